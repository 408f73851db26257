//! The one seam between Qdrant logic and the network: the wasm build sends through
//! wasi-http, native unit tests through a recording fake.

use crate::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Put,
    Post,
    Delete,
    Patch,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct HttpRequest {
    pub method: Method,
    /// Absolute URL.
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// JSON body, if any.
    pub body: Option<Vec<u8>>,
    pub connect_timeout_ms: u32,
    /// Wait for the first byte of the answer, and between bytes.
    pub read_timeout_ms: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: Vec<u8>,
}

pub trait Transport {
    /// Sends one request; `Err` only for transport failures (no response at all).
    /// Borrowed, so a retry resends the same body without copying it first.
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, Error>;

    /// Waits before a retry.
    fn sleep(&self, duration: std::time::Duration);

    /// A monotonic clock reading, for the retry time budget and jitter.
    fn now(&self) -> std::time::Duration;
}
