//! A Qdrant client whose Qdrant logic runs as a sandboxed WebAssembly component.
//!
//! [`QdrantClient`] runs every call in a sandboxed wasmtime instance of the retriever
//! component (built from `component/`), reused by the client between calls. The component
//! reaches Qdrant's REST API through the host's `http-transport` import (or `wasi:http`, see
//! [`Outbound`]), and the host lets it reach only the configured origin.

// Safe Rust everywhere but the two modules that name their reason.
#![deny(unsafe_code)]

// The code `wasmtime::component::bindgen!` generates implements unsafe traits.
#[allow(unsafe_code)]
mod bindings;
// Loading a compiled component is `unsafe` in wasmtime (it runs machine code from disk).
#[allow(unsafe_code)]
mod cache;
mod client;
mod egress;
mod error;
mod fnv;
mod sandbox;
mod self_wake;
mod settings;
pub mod types;

pub use client::{QdrantClient, SearchFilter, SearchResult, ServerInfo, VectorPoint};
pub use error::{Error, Result};
/// The embedded Qdrant-compatible engine (feature `embedded`, on by default).
#[cfg(feature = "embedded")]
pub use qdrant_embedded as embedded;
pub use sandbox::{
    COMPONENT_WASI_HTTP_WASM, COMPONENT_WASM, Limits, MAX_CONCURRENT_INSTANCES, MAX_MEMORY_BYTES,
    Outbound,
};
pub use settings::Settings;

// The README's Rust examples are compiled as doctests of this crate.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeExamples;
