//! The Qdrant retriever component.
//!
//! Everything that knows Qdrant lives here: request building, JSON, id mapping,
//! validation, retries and error classification. [`rest::Qdrant`] is written against the
//! [`transport::Transport`] trait so it compiles and is unit-tested natively; the
//! `wasm32-wasip2` build adds only the transports and the WIT exports (`guest`).
//! The data model is the WIT records themselves ([`model`]).

// Safe Rust everywhere but the generated WIT glue.
#![deny(unsafe_code)]

// wit-bindgen's generated code (the canonical ABI) is unsafe by nature.
#[allow(unsafe_code)]
mod bindings;
pub mod cluster;
pub mod collections;
mod decode;
pub mod edge;
pub mod error;
pub mod filter;
pub mod float_text;
pub mod ids;
mod json_reader;
pub mod model;
pub mod paths;
pub mod points;
pub mod query;
pub mod rest;
pub mod snapshots;
pub mod transport;
pub mod vector;

#[cfg(test)]
mod agreement;
#[cfg(test)]
mod testing;

// `export!` expands wit-bindgen's unsafe export glue here.
#[cfg(target_family = "wasm")]
#[allow(unsafe_code)]
mod guest;

/// Talc instead of the default dlmalloc: a call makes a few hundred small allocations
/// (request pieces, decoded answers), and dlmalloc's bookkeeping was a tenth of a search's
/// guest time. The component is single-threaded.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

pub use error::Error;
