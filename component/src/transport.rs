//! The one seam between Qdrant logic and the network: the wasm build sends through the
//! host's `http-transport` import or wasi-http, native unit tests through a recording fake.

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

/// A request begun with [`Transport::start`]; kept whole so a retry can resend it.
#[derive(Debug)]
pub struct InFlight {
    pub request: HttpRequest,
    /// The host's ticket, when the host is already sending it.
    pub ticket: Option<u64>,
}

pub trait Transport {
    /// Sends one request; `Err` only for transport failures (no response at all).
    /// Borrowed, so a retry resends the same body without copying it first.
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, Error>;

    /// Begins sending, so the caller can work while the request is in flight. By default
    /// it only holds the request (no ticket), and the first attempt goes out through
    /// [`Transport::send`] when the caller waits for the answer.
    fn start(&self, request: HttpRequest) -> InFlight {
        InFlight {
            request,
            ticket: None,
        }
    }

    /// The answer to a request [`Transport::start`] gave a ticket (first attempt only;
    /// retries use `send`).
    fn finish(&self, in_flight: &InFlight) -> Result<HttpResponse, Error> {
        self.send(&in_flight.request)
    }

    /// Waits before a retry.
    fn sleep(&self, duration: std::time::Duration);

    /// A monotonic clock reading, for the retry time budget and jitter.
    fn now(&self) -> std::time::Duration;
}
