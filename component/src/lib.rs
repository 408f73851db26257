//! The Qdrant retriever component.
//!
//! Everything that knows Qdrant lives here: request building, JSON, id mapping,
//! validation and error classification. [`rest::Qdrant`] is written against the
//! [`transport::Transport`] trait so it compiles and is unit-tested natively; the
//! `wasm32-wasip2` build adds only the wasi-http transport and the WIT exports (`guest`).

pub mod error;
pub mod filter;
pub mod ids;
pub mod model;
pub mod rest;
pub mod transport;
pub mod vector;

#[cfg(target_family = "wasm")]
mod guest;

pub use error::Error;
