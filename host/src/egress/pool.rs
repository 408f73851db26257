//! Outbound HTTP for the component: keep-alive connections pooled per origin, HTTP/1.1, and
//! HTTP/2 when a TLS server offers it (ALPN), with rustls and the webpki roots for https.
//!
//! wasmtime-wasi-http's default sender opens a connection per request; a retriever makes
//! many small requests to one server, so reusing connections saves a TCP (and TLS)
//! handshake on every call. Idle connections are dropped before Qdrant's 5 s idle close.
//! An HTTP/1.1 connection has no task of its own: the call using it drives it (see
//! [`Http1`]), which saves a task wake-up in each direction of every exchange.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Waker, ready};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body::{Body, Frame};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody};

use super::Origin;

/// Pooled connections idle longer than this are closed (Qdrant closes after 5 s). Each host
/// pools its own connections, so the Python host's `_egress.IDLE_SECONDS` is the same
/// figure on purpose: a capability of each host, not a rule the component could hold.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(4);
/// Idle HTTP/1.1 connections kept per origin.
const MAX_IDLE_PER_ORIGIN: usize = 64;
/// Used when the guest sets no timeout (wstd always does).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

enum Sender {
    Http1(Http1),
    Http2(http2::SendRequest<Full<Bytes>>),
}

/// An HTTP/1.1 connection without a task of its own: whichever task uses it drives its I/O
/// (`driver`), so an answer wakes the caller directly instead of a connection task that then
/// wakes the caller. Idle, it is not polled (only once as it is handed back, to leave it
/// a no-op waker); a close by the server shows on the next use, which then reconnects.
struct Http1 {
    sender: http1::SendRequest<Full<Bytes>>,
    driver: ConnectionDriver,
}

type ConnectionDriver = Pin<Box<dyn Future<Output = hyper::Result<()>> + Send>>;

#[derive(Default)]
struct Idle {
    http1: Vec<(Http1, Instant)>,
    /// One multiplexed connection serves every request.
    http2: Option<http2::SendRequest<Full<Bytes>>>,
}

/// Connections by origin, shared by every store of the process.
#[derive(Default)]
pub struct ConnectionPool {
    idle: Mutex<HashMap<Origin, Idle>>,
}

impl ConnectionPool {
    /// Sends `request` (already checked against the origin policy) and returns the response
    /// with a body that enforces the between-bytes timeout and returns the connection to
    /// the pool when fully read.
    pub async fn send(
        self: Arc<Self>,
        origin: Origin,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
    ) -> Result<http::Response<WasiBody>, HttpError> {
        let timeouts = Timeouts::from(options);
        let started = Instant::now();
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let sent = self.send_buffered(origin, request, timeouts).await;
        // Each attempt of the component's retries shows up here; headers are never logged.
        match &sent {
            Ok(response) => tracing::debug!(
                %method, path, status = response.status().as_u16(),
                elapsed_us = started.elapsed().as_micros() as u64, "http"
            ),
            Err(e) => tracing::debug!(%method, path, error = %e, "http failed"),
        }
        sent
    }

    async fn send_buffered(
        self: Arc<Self>,
        origin: Origin,
        request: http::Request<WasiBody>,
        timeouts: Timeouts,
    ) -> Result<http::Response<WasiBody>, HttpError> {
        let (parts, body) = request.into_parts();
        // Buffered, so a request on a connection the server had just closed can be resent.
        let body = body.collect().await?.to_bytes();
        let mut parts = parts;
        parts.uri = http::Uri::builder()
            .path_and_query(parts.uri.path_and_query().map_or("/", |p| p.as_str()))
            .build()
            .map_err(|_| HttpError::HttpRequestUriInvalid)?;
        let rebuild = || http::Request::from_parts(parts.clone(), Full::new(body.clone()));

        if let Some(sender) = self.take(&origin) {
            match send_on(sender, rebuild(), timeouts.first_byte).await {
                Ok((response, sender)) => return Ok(self.wrap(origin, response, sender, timeouts)),
                // A stale keep-alive connection fails before any answer: use a fresh one.
                Err(SendError::BeforeResponse(e)) => {
                    tracing::debug!("pooled connection failed ({e}), reconnecting");
                }
                Err(SendError::Fatal(e)) => return Err(e),
            }
        }
        // Boxed: a TLS handshake's state is kilobytes that every pooled send would carry.
        let sender = Box::pin(connect(&origin, timeouts.connect)).await?;
        match send_on(sender, rebuild(), timeouts.first_byte).await {
            Ok((response, sender)) => Ok(self.wrap(origin, response, sender, timeouts)),
            Err(SendError::BeforeResponse(e) | SendError::Fatal(e)) => Err(e),
        }
    }

    fn take(&self, origin: &Origin) -> Option<Sender> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let entry = idle.get_mut(origin)?;
        if let Some(h2) = &entry.http2 {
            if !h2.is_closed() {
                return Some(Sender::Http2(h2.clone()));
            }
            entry.http2 = None;
        }
        entry
            .http1
            .retain(|(c, since)| since.elapsed() < IDLE_TIMEOUT && !c.sender.is_closed());
        // The most recently used: its socket is the likeliest to be warm and open.
        entry.http1.pop().map(|(c, _)| Sender::Http1(c))
    }

    fn give_back(&self, origin: Origin, mut sender: Sender) {
        if let Sender::Http1(h1) = &mut sender {
            // The driver keeps the waker of its last poll, and the next request sent on it
            // wakes that one: the task of the last call, which may be running again (tokio
            // then takes it for a yield and wakes another worker) or be another searcher (a
            // spurious poll). Idle, it holds a no-op waker instead. Polled outside the lock.
            let mut idle_cx = Context::from_waker(Waker::noop());
            if h1.driver.as_mut().poll(&mut idle_cx).is_ready() {
                return; // closed or broken: not reusable
            }
        }
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let entry = idle.entry(origin).or_default();
        match sender {
            Sender::Http2(h2) => entry.http2 = Some(h2),
            Sender::Http1(h1) => {
                entry
                    .http1
                    .retain(|(c, since)| since.elapsed() < IDLE_TIMEOUT && !c.sender.is_closed());
                if entry.http1.len() < MAX_IDLE_PER_ORIGIN {
                    entry.http1.push((h1, Instant::now()));
                }
            }
        }
    }

    fn wrap(
        self: Arc<Self>,
        origin: Origin,
        response: http::Response<hyper::body::Incoming>,
        sender: Sender,
        timeouts: Timeouts,
    ) -> http::Response<WasiBody> {
        // HTTP/2 multiplexes: the connection is free again at once.
        let sender = match sender {
            Sender::Http2(h2) => {
                self.give_back(origin.clone(), Sender::Http2(h2));
                None
            }
            http1 => Some(http1),
        };
        let mut between = tokio::time::interval(timeouts.between_bytes);
        between.reset();
        response.map(|incoming| {
            PooledBody {
                incoming,
                between,
                release: sender.map(|s| (self, origin, s)),
            }
            .boxed_unsync()
        })
    }
}

#[derive(Clone, Copy)]
struct Timeouts {
    connect: Duration,
    first_byte: Duration,
    between_bytes: Duration,
}

impl From<Option<RequestOptions>> for Timeouts {
    fn from(options: Option<RequestOptions>) -> Self {
        let o = options.unwrap_or_default();
        // tokio's interval panics on zero.
        let nonzero =
            |d: Option<Duration>| d.unwrap_or(DEFAULT_TIMEOUT).max(Duration::from_nanos(1));
        Timeouts {
            connect: nonzero(o.connect_timeout),
            first_byte: nonzero(o.first_byte_timeout),
            between_bytes: nonzero(o.between_bytes_timeout),
        }
    }
}

enum SendError {
    /// The request was not written: safe to send on a fresh connection.
    BeforeResponse(HttpError),
    Fatal(HttpError),
}

async fn send_on(
    sender: Sender,
    request: http::Request<Full<Bytes>>,
    first_byte: Duration,
) -> Result<(http::Response<hyper::body::Incoming>, Sender), SendError> {
    let sent = match sender {
        Sender::Http1(Http1 {
            mut sender,
            mut driver,
        }) => {
            // First the connection must take a request: failing here, nothing was written,
            // so a fresh connection may send it.
            match tokio::time::timeout(first_byte, driving(&mut driver, sender.ready())).await {
                Err(_elapsed) => {
                    return Err(SendError::Fatal(HttpError::ConnectionReadTimeout));
                }
                Ok(None | Some(Err(_))) => {
                    return Err(SendError::BeforeResponse(HttpError::ConnectionTerminated));
                }
                Ok(Some(Ok(()))) => {}
            }
            // Once written, the server may have acted on it (a reset after a create): it is
            // not sent again here; the component decides, by what the operation is.
            let exchange = sender.send_request(request);
            match tokio::time::timeout(first_byte, driving(&mut driver, exchange)).await {
                Ok(None) => return Err(SendError::Fatal(HttpError::ConnectionTerminated)),
                Ok(Some(response)) => {
                    Ok(response.map(|r| (r, Sender::Http1(Http1 { sender, driver }))))
                }
                Err(elapsed) => Err(elapsed),
            }
        }
        Sender::Http2(mut h2) => {
            let response = tokio::time::timeout(first_byte, h2.send_request(request)).await;
            response.map(|r| r.map(|r| (r, Sender::Http2(h2))))
        }
    };
    match sent {
        Err(_elapsed) => Err(SendError::Fatal(HttpError::ConnectionReadTimeout)),
        Ok(Ok(answer)) => Ok(answer),
        // Canceled: the request never left (the connection was already going away).
        Ok(Err(e)) if e.is_canceled() => Err(SendError::BeforeResponse(HttpError::from(e))),
        Ok(Err(e)) => Err(SendError::Fatal(HttpError::from(e))),
    }
}

/// Polls `work` and the connection's `driver` together until `work` is done; `None` when
/// the connection ended first (closed by the server, or broken).
async fn driving<T>(driver: &mut ConnectionDriver, work: impl Future<Output = T>) -> Option<T> {
    let mut work = std::pin::pin!(work);
    std::future::poll_fn(|cx| {
        if let Poll::Ready(done) = work.as_mut().poll(cx) {
            return Poll::Ready(Some(done));
        }
        let ended = driver.as_mut().poll(cx).is_ready();
        // Driving may have finished the work (the answer arrived in that poll).
        match work.as_mut().poll(cx) {
            Poll::Ready(done) => Poll::Ready(Some(done)),
            Poll::Pending if ended => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

/// A new connection: TCP, then TLS for https (offering h2 and http/1.1), then the handshake.
async fn connect(origin: &Origin, timeout: Duration) -> Result<Sender, HttpError> {
    let connecting = async {
        let tcp = TcpStream::connect((origin.address(), origin.port()))
            .await
            .map_err(HttpError::Connect)?;
        let _ = tcp.set_nodelay(true);
        if !origin.is_https() {
            let (sender, connection) = http1::handshake(TokioIo::new(tcp)).await?;
            return Ok(Sender::Http1(Http1 {
                sender,
                driver: Box::pin(connection),
            }));
        }
        let name = rustls::pki_types::ServerName::try_from(origin.address().to_owned())
            .map_err(|e| HttpError::Tls(std::io::Error::other(e)))?;
        let tls = tokio_rustls::TlsConnector::from(tls_config())
            .connect(name, tcp)
            .await
            .map_err(HttpError::Tls)?;
        if tls.get_ref().1.alpn_protocol() == Some(b"h2") {
            let (sender, connection) =
                http2::handshake(TokioExecutor::new(), TokioIo::new(tls)).await?;
            tokio::spawn(async move {
                let _ = connection.await;
            });
            Ok(Sender::Http2(sender))
        } else {
            let (sender, connection) = http1::handshake(TokioIo::new(tls)).await?;
            Ok(Sender::Http1(Http1 {
                sender,
                driver: Box::pin(connection),
            }))
        }
    };
    tokio::time::timeout(timeout, connecting)
        .await
        .map_err(|_| HttpError::ConnectionTimeout)?
}

/// One TLS configuration for the process, h2 preferred. Trusted roots: webpki's (Qdrant
/// Cloud) and the system's, which include `SSL_CERT_FILE` / `SSL_CERT_DIR` when set (a
/// self-hosted Qdrant behind a private CA).
fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.into(),
            };
            let system = rustls_native_certs::load_native_certs();
            for error in &system.errors {
                tracing::debug!("system root certificates: {error}");
            }
            let (added, unparsable) = roots.add_parsable_certificates(system.certs);
            tracing::debug!(added, unparsable, "system root certificates");
            let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
            config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
            Arc::new(config)
        })
        .clone()
}

/// A response body that times out between frames and, once read to the end, hands its
/// HTTP/1.1 connection back to the pool.
struct PooledBody {
    incoming: hyper::body::Incoming,
    between: tokio::time::Interval,
    release: Option<(Arc<ConnectionPool>, Origin, Sender)>,
}

impl Body for PooledBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        // An HTTP/1.1 answer's bytes come in through its connection's driver, polled here by
        // the reader. If the connection ends, what it read is still in `incoming`; the
        // connection is not reused.
        if let Some((_, _, Sender::Http1(h1))) = &mut self.release
            && h1.driver.as_mut().poll(cx).is_ready()
        {
            self.release = None;
        }
        match Pin::new(&mut self.incoming).poll_frame(cx) {
            Poll::Ready(None) => {
                if let Some((pool, origin, sender)) = self.release.take() {
                    pool.give_back(origin, sender);
                }
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(e))) => {
                // A broken connection is never reused.
                self.release = None;
                Poll::Ready(Some(Err(HttpError::from(e))))
            }
            Poll::Ready(Some(Ok(frame))) => {
                self.between.reset();
                // The reader may stop at the last frame without polling for the end.
                if self.incoming.is_end_stream()
                    && let Some((pool, origin, sender)) = self.release.take()
                {
                    pool.give_back(origin, sender);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => {
                ready!(self.between.poll_tick(cx));
                self.release = None;
                Poll::Ready(Some(Err(HttpError::ConnectionReadTimeout)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.incoming.size_hint()
    }
}
