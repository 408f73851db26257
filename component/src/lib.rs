//! The Qdrant retriever component.
//!
//! Everything that knows Qdrant lives here: request building, JSON, id mapping,
//! validation, retries and error classification. [`rest::Qdrant`] is written against the
//! [`transport::Transport`] trait so it compiles and is unit-tested natively; the
//! `wasm32-wasip2` build adds only the transports and the WIT exports (`guest`).
//! The data model is the WIT records themselves ([`model`]).

mod bindings;
pub mod collections;
pub mod error;
pub mod filter;
pub mod float_text;
pub mod ids;
pub mod model;
pub mod points;
pub mod query;
pub mod rest;
pub mod snapshots;
pub mod transport;
pub mod vector;

#[cfg(test)]
mod testing;

#[cfg(target_family = "wasm")]
mod guest;

pub use error::Error;
