//! The host's error type: the WIT `error` variant, plus failures of the sandbox itself.

use crate::bindings::qdrant::retriever::types as wit;

/// Every failure a [`crate::QdrantClient`] call can return. Mirrors the WIT `error` variant;
/// messages never contain the api-key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("connection failed: {0}")]
    Connection(String),
    #[error("timed out: {0}")]
    Timeout(String),
    #[error("unauthorized (check the api key): {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("rate limited{}", .retry_after_secs.map(|s| format!(", retry after {s} s")).unwrap_or_default())]
    RateLimited { retry_after_secs: Option<u32> },
    #[error("server error {status}: {message}")]
    Server { status: u16, message: String },
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("unexpected response: {0}")]
    Decode(String),
    /// The component could not be loaded or instantiated, or it trapped.
    #[error("component runtime: {0}")]
    Runtime(String),
}

impl Error {
    /// The server could not be reached in time (connection failed or timed out), as
    /// opposed to an answer that refused the request.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Error::Connection(_) | Error::Timeout(_))
    }
}

impl From<wit::Error> for Error {
    fn from(e: wit::Error) -> Self {
        match e {
            wit::Error::Connection(m) => Error::Connection(m),
            wit::Error::Timeout(m) => Error::Timeout(m),
            wit::Error::Unauthorized(m) => Error::Unauthorized(m),
            wit::Error::Forbidden(m) => Error::Forbidden(m),
            wit::Error::NotFound(m) => Error::NotFound(m),
            wit::Error::BadRequest(m) => Error::BadRequest(m),
            wit::Error::Conflict(m) => Error::Conflict(m),
            wit::Error::RateLimited(s) => Error::RateLimited {
                retry_after_secs: s,
            },
            wit::Error::Server(s) => Error::Server {
                status: s.status,
                message: s.message,
            },
            wit::Error::InvalidInput(m) => Error::InvalidInput(m),
            wit::Error::Decode(m) => Error::Decode(m),
        }
    }
}

impl From<wasmtime::Error> for Error {
    /// What went wrong, in one line (e.g. the trap's reason); the guest's wasm backtrace
    /// goes to the debug log, and the host's own stack backtrace nowhere.
    fn from(e: wasmtime::Error) -> Self {
        tracing::debug!("component error: {e:#}");
        let reason = e.root_cause().to_string();
        match e.downcast_ref::<wasmtime::Trap>() {
            Some(trap) if reason != trap.to_string() => {
                Error::Runtime(format!("the component trapped ({trap}): {reason}"))
            }
            Some(trap) => Error::Runtime(format!("the component trapped: {trap}")),
            None => Error::Runtime(reason),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
