//! Bindings generated from `wit/`. The WIT records are the component's data model on every
//! target: native builds (unit tests) generate the `retriever-hosted` world, which imports no
//! WASI, and never call its import.

// Natively (unit tests, and the Rust host, which links this crate) the records also derive
// serde, so the host converts between these types and its own bindgen's in one generic
// place. The import is never called natively, so its records may own their data.
#[cfg(not(target_family = "wasm"))]
wit_bindgen::generate!({
    world: "retriever-hosted",
    path: "../wit",
    additional_derives: [PartialEq, serde::Serialize, serde::Deserialize],
});

#[cfg(all(target_family = "wasm", feature = "host-transport"))]
wit_bindgen::generate!({
    world: "retriever-hosted",
    path: "../wit",
    additional_derives: [PartialEq],
    // Imports take borrowed records: a request body (megabytes for an upsert) goes to the
    // host straight from where it was written, not through a copy.
    ownership: Borrowing { duplicate_if_necessary: true },
});

#[cfg(all(feature = "host-transport", feature = "edge"))]
compile_error!("`host-transport` and `edge` build different worlds: pick one");

/// A wasi:http world, whose WASI imports are the ones the `wasip2` crate binds
/// (those beyond `retriever`'s are listed at the call).
#[cfg(target_family = "wasm")]
macro_rules! wasi_http_world {
    ($world:literal $(, $interface:literal => $module:path)*) => {
        wit_bindgen::generate!({
            world: $world,
            path: "../wit",
            additional_derives: [PartialEq],
            with: {
                "wasi:http/outgoing-handler@0.2.12": wasip2::http::outgoing_handler,
                "wasi:http/types@0.2.12": wasip2::http::types,
                "wasi:io/error@0.2.12": wasip2::io::error,
                "wasi:io/poll@0.2.12": wasip2::io::poll,
                "wasi:io/streams@0.2.12": wasip2::io::streams,
                "wasi:clocks/monotonic-clock@0.2.12": wasip2::clocks::monotonic_clock,
                $($interface: $module,)*
            },
        });
    };
}

#[cfg(all(
    target_family = "wasm",
    not(feature = "host-transport"),
    not(feature = "edge")
))]
wasi_http_world!("retriever");

#[cfg(all(
    target_family = "wasm",
    feature = "edge",
    not(feature = "host-transport")
))]
wasi_http_world!(
    "edge",
    "wasi:cli/environment@0.2.12" => wasip2::cli::environment,
    "wasi:cli/stderr@0.2.12" => wasip2::cli::stderr
);

pub use qdrant::retriever::types;
