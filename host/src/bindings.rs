//! Host bindings generated from `wit/` (the single source of truth). The `retriever-any` world
//! imports both ways out, so the same bindings drive either build of the component.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "qdrant:retriever/retriever-any",
    // A transport answer too large for the sandbox traps the call (as running out of
    // memory would) rather than becoming an error the component might retry.
    imports: {
        default: async,
        "qdrant:retriever/http-transport.send": async | trappable,
        "qdrant:retriever/http-transport.finish": async | trappable,
    },
    // As the component crate's native bindings do: one generic conversion between the two
    // (`types::from_component`), not one by hand per type.
    additional_derives: [serde::Serialize, serde::Deserialize],
    exports: { default: async },
    with: {
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
        "wasi:io": wasmtime_wasi::p2::bindings::io,
        "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
    },
});
