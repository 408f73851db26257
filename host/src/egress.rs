//! Egress: where the component's requests may go and how they leave. Every request, by
//! either way out ([`crate::Outbound`]), passes [`OriginPolicy`], which admits only the
//! client's origin and sends over the pooled connections of [`pool`].

mod origin;
pub(crate) mod pool;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

pub use origin::Origin;
use pool::ConnectionPool;

use crate::bindings::qdrant::retriever::http_transport;
use crate::error::Result;

/// Denies every request outside the allowed origin (fail closed), sends the rest over
/// pooled connections. Both [`Outbound`] ways go through [`OriginPolicy::admit`].
pub(crate) struct OriginPolicy {
    allowed: Origin,
    pool: Arc<ConnectionPool>,
    /// The largest answer body read: the sandbox's memory cap, which a bigger body could
    /// not be handed into anyway.
    max_body: usize,
    /// Requests sent since [`OriginPolicy::take_sent`] (a call's retries included).
    sent: AtomicU32,
}

impl OriginPolicy {
    /// Checks `request` against the allowed origin; `Some` is the send to await.
    fn admit(
        &self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
    ) -> std::result::Result<PendingSend, HttpError> {
        if Origin::of_uri(request.uri()).as_ref() != Some(&self.allowed) {
            tracing::warn!(uri = %request.uri(), "denied a request outside the allowed origin");
            return Err(HttpError::HttpRequestDenied);
        }
        self.sent.fetch_add(1, Ordering::Relaxed);
        Ok(Box::pin(self.pool.clone().send(
            self.allowed.clone(),
            request,
            options,
        )))
    }
}

/// An admitted request on its way. Boxed: the send future is kilobytes (hyper, timers),
/// and each layer of the import moves its future by value.
type PendingSend = std::pin::Pin<
    Box<dyn Future<Output = std::result::Result<http::Response<WasiBody>, HttpError>> + Send>,
>;

type IoFuture = Box<dyn Future<Output = Result<(), HttpError>> + Send>;

impl WasiHttpHooks for OriginPolicy {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: IoFuture,
    ) -> Box<dyn Future<Output = Result<(http::Response<WasiBody>, IoFuture), HttpError>> + Send>
    {
        let send = self.admit(request, options);
        Box::new(async move {
            let response = send?.await?;
            // The connection is driven by its own task, not by this future.
            Ok((response, Box::new(async { Ok(()) }) as IoFuture))
        })
    }
}

/// Requests begun with `http-transport.start`, by ticket, each sent by its own task.
#[derive(Default)]
pub(crate) struct Tickets {
    in_flight: HashMap<u64, InFlightTask>,
    next: u64,
}

impl Tickets {
    /// Begins sending `request` (if the policy admits it) and returns its ticket.
    pub(crate) fn start(&mut self, policy: &OriginPolicy, request: http_transport::Request) -> u64 {
        let ticket = self.next;
        self.next += 1;
        let exchange = policy.exchange(request);
        self.in_flight
            .insert(ticket, InFlightTask(tokio::spawn(exchange)));
        ticket
    }

    /// The answer to the request behind `ticket`, waiting for it if need be.
    pub(crate) async fn finish(&mut self, ticket: u64) -> wasmtime::Result<Exchanged> {
        use http_transport::TransportError as E;
        let Some(mut task) = self.in_flight.remove(&ticket) else {
            return Ok(Err(E::Connection(format!(
                "no request was started as ticket {ticket}"
            ))));
        };
        (&mut task.0)
            .await
            .unwrap_or_else(|e| Ok(Err(E::Connection(format!("the send task failed: {e}")))))
    }
}

/// A request sent by its own task (`http-transport.start`); aborted if its store goes
/// before the component collected the answer (a trap or the call deadline).
struct InFlightTask(tokio::task::JoinHandle<wasmtime::Result<Exchanged>>);

/// One exchange's outcome as the component sees it: an answer or a transport error. The
/// outer `Err` traps the call instead (an answer larger than the sandbox's memory).
pub(crate) type Exchanged =
    std::result::Result<http_transport::Response, http_transport::TransportError>;

impl Drop for InFlightTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl OriginPolicy {
    /// One `http-transport` request and its whole answer; owns what it needs, so it can
    /// run as its own task.
    pub(crate) fn exchange(
        &self,
        request: http_transport::Request,
    ) -> impl Future<Output = wasmtime::Result<Exchanged>> + Send + 'static {
        use http_transport::TransportError as E;
        let read = Duration::from_millis(u64::from(request.read_timeout_ms));
        let options = RequestOptions {
            connect_timeout: Some(Duration::from_millis(u64::from(request.connect_timeout_ms))),
            first_byte_timeout: Some(read),
            between_bytes_timeout: Some(read),
        };
        let send = build_request(request)
            .map_err(E::Connection)
            .and_then(|outgoing| {
                self.admit(outgoing, Some(options)).map_err(|_| {
                    E::Denied("the host denied this request (outside the allowed origin)".into())
                })
            });
        let max_body = self.max_body;
        async move {
            let transport_error = |e: HttpError| match e {
                HttpError::ConnectionTimeout
                | HttpError::ConnectionReadTimeout
                | HttpError::HttpResponseTimeout => E::Timeout(e.to_string()),
                e => E::Connection(e.to_string()),
            };
            let response = match send {
                Ok(send) => send.await.map_err(transport_error),
                Err(e) => Err(e),
            };
            let response = match response {
                Ok(response) => response,
                Err(e) => return Ok(Err(e)),
            };
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = match Limited::new(response.into_body(), max_body).collect().await {
                Ok(body) => body.to_bytes(),
                Err(e) => match e.downcast::<HttpError>() {
                    Ok(e) => return Ok(Err(transport_error(*e))),
                    // Limited's own error: the body passed the cap.
                    Err(_) => {
                        return Err(wasmtime::Error::msg(format!(
                            "out of memory: the answer's body is larger than the sandbox's \
                             memory cap of {} MiB (Limits::memory_bytes), so it was not read",
                            max_body >> 20
                        )));
                    }
                },
            };
            // Qdrant answers JSON or plain text; anything else is not worth a panic.
            let body = match String::from_utf8(Vec::from(body)) {
                Ok(text) => text,
                Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
            };
            Ok(Ok(http_transport::Response {
                status,
                retry_after,
                body,
            }))
        }
    }
}

/// The guest's request as hyper's, the body moved rather than copied.
fn build_request(
    request: http_transport::Request,
) -> std::result::Result<http::Request<WasiBody>, String> {
    let mut builder = http::Request::builder()
        .method(request.method.as_str())
        .uri(&request.url);
    let uri: http::Uri = request
        .url
        .parse()
        .map_err(|e| format!("`{}` is not a URL: {e}", request.url))?;
    if let Some(authority) = uri.authority() {
        builder = builder.header(http::header::HOST, authority.as_str());
    }
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    let body = Full::new(bytes::Bytes::from(request.body))
        .map_err(|never| match never {})
        .boxed_unsync();
    builder
        .body(body)
        .map_err(|e| format!("cannot build the request: {e}"))
}

impl OriginPolicy {
    pub(crate) fn new(allowed: Origin, pool: Arc<ConnectionPool>, max_body: usize) -> Self {
        OriginPolicy {
            allowed,
            pool,
            max_body,
            sent: AtomicU32::new(0),
        }
    }

    /// The requests admitted since the last take: what one call cost, retries included.
    pub(crate) fn take_sent(&mut self) -> u32 {
        std::mem::take(self.sent.get_mut())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Empty;

    fn request_to(uri: &str) -> http::Request<WasiBody> {
        let body = Empty::<bytes::Bytes>::new()
            .map_err(|never| match never {})
            .boxed_unsync();
        http::Request::get(uri).body(body).unwrap()
    }

    #[tokio::test]
    async fn the_hook_denies_every_other_origin() {
        let allowed = Origin::of_url("http://127.0.0.1:6333").unwrap();
        let mut policy = OriginPolicy::new(allowed, Arc::default(), 1 << 20);
        for uri in [
            "http://127.0.0.1:6334/collections",
            "https://127.0.0.1:6333/",
            "http://localhost:6333/",
            "http://169.254.169.254/latest/meta-data",
        ] {
            let io: IoFuture = Box::new(async { Ok(()) });
            let sent = Box::into_pin(policy.send_request(request_to(uri), None, io)).await;
            assert!(
                matches!(sent, Err(HttpError::HttpRequestDenied)),
                "{uri} was not denied"
            );
        }
    }
}
