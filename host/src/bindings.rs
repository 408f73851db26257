//! Host bindings generated from `wit/` (the single source of truth). The `retriever-any` world
//! imports both ways out, so the same bindings drive either build of the component.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "qdrant:retriever/retriever-any",
    imports: { default: async },
    exports: { default: async },
    with: {
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
        "wasi:io": wasmtime_wasi::p2::bindings::io,
        "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
    },
});
