//! The wasm32-wasip2 build: WIT exports over [`crate::rest::Qdrant`] and a wasi-http transport.

use std::time::Duration;

use crate::model;
use crate::rest::Qdrant;
use crate::transport::{HttpRequest, HttpResponse, Transport};

#[cfg(not(feature = "host-transport"))]
wit_bindgen::generate!({
    world: "retriever",
    path: "../wit",
    // The WASI imports are the ones `wstd` already binds through `wasip2`.
    with: {
        "wasi:http/outgoing-handler@0.2.12": wasip2::http::outgoing_handler,
        "wasi:http/types@0.2.12": wasip2::http::types,
        "wasi:io/error@0.2.12": wasip2::io::error,
        "wasi:io/poll@0.2.12": wasip2::io::poll,
        "wasi:io/streams@0.2.12": wasip2::io::streams,
        "wasi:clocks/monotonic-clock@0.2.12": wasip2::clocks::monotonic_clock,
    },
});

#[cfg(feature = "host-transport")]
wit_bindgen::generate!({
    world: "retriever-hosted",
    path: "../wit",
});

#[cfg(not(feature = "host-transport"))]
type ActiveTransport = WasiHttp;
#[cfg(feature = "host-transport")]
type ActiveTransport = HostHttp;

use exports::qdrant::retriever::client::Guest;
use qdrant::retriever::types as wit;

struct Component;
export!(Component);

impl Guest for Component {
    fn health_check(cfg: wit::Config) -> Result<wit::ServerInfo, wit::Error> {
        let info = client(cfg)?.health_check()?;
        Ok(wit::ServerInfo {
            title: info.title,
            version: info.version,
        })
    }

    fn create_collection(
        cfg: wit::Config,
        name: String,
        size: u64,
        distance: wit::Distance,
    ) -> Result<(), wit::Error> {
        Ok(client(cfg)?.create_collection(&name, size, distance.into())?)
    }

    fn delete_collection(cfg: wit::Config, name: String) -> Result<bool, wit::Error> {
        Ok(client(cfg)?.delete_collection(&name)?)
    }

    fn collection_exists(cfg: wit::Config, name: String) -> Result<bool, wit::Error> {
        Ok(client(cfg)?.collection_exists(&name)?)
    }

    fn upsert_points(
        cfg: wit::Config,
        collection: String,
        points: wit::PointBatch,
    ) -> Result<u32, wit::Error> {
        let batch = model::PointBatch {
            ids: points.ids,
            vectors: points.vectors,
            dimension: points.dimension,
            payloads: points.payloads,
        };
        Ok(client(cfg)?.upsert_points(&collection, &batch)?)
    }

    fn query(
        cfg: wit::Config,
        request: wit::QueryRequest,
    ) -> Result<Vec<wit::ScoredPoint>, wit::Error> {
        let request = model::QueryRequest {
            collection: request.collection,
            vector: request.vector,
            limit: request.limit,
            filter: request.filter.map(|f| match f {
                wit::Filter::Json(text) => model::Filter::Json(text),
                wit::Filter::MustMatch(pairs) => model::Filter::MustMatch(pairs),
            }),
            score_threshold: request.score_threshold,
            with_payload: request.with_payload,
        };
        let points = client(cfg)?.query(&request)?;
        Ok(points
            .into_iter()
            .map(|p| wit::ScoredPoint {
                id: p.id,
                score: p.score,
                payload: p.payload,
            })
            .collect())
    }
}

fn client(cfg: wit::Config) -> Result<Qdrant<ActiveTransport>, crate::Error> {
    let config = model::Config {
        url: cfg.url,
        api_key: cfg.api_key,
        timeout_ms: cfg.timeout_ms,
    };
    Qdrant::new(config, ActiveTransport::default())
}

impl From<wit::Distance> for model::Distance {
    fn from(d: wit::Distance) -> Self {
        match d {
            wit::Distance::Cosine => model::Distance::Cosine,
            wit::Distance::Dot => model::Distance::Dot,
            wit::Distance::Euclid => model::Distance::Euclid,
            wit::Distance::Manhattan => model::Distance::Manhattan,
        }
    }
}

impl From<crate::Error> for wit::Error {
    fn from(e: crate::Error) -> Self {
        use crate::Error as E;
        match e {
            E::Connection(m) => wit::Error::Connection(m),
            E::Timeout(m) => wit::Error::Timeout(m),
            E::Unauthorized(m) => wit::Error::Unauthorized(m),
            E::Forbidden(m) => wit::Error::Forbidden(m),
            E::NotFound(m) => wit::Error::NotFound(m),
            E::BadRequest(m) => wit::Error::BadRequest(m),
            E::Conflict(m) => wit::Error::Conflict(m),
            E::RateLimited(s) => wit::Error::RateLimited(s),
            E::Server { status, message } => {
                wit::Error::Server(wit::ServerError { status, message })
            }
            E::InvalidInput(m) => wit::Error::InvalidInput(m),
            E::Decode(m) => wit::Error::Decode(m),
        }
    }
}

/// Blocks on a plain wasi:clocks pollable (wstd's timers need its reactor, which lives
/// only inside `block_on`).
fn pause(duration: Duration) {
    let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
    wasip2::clocks::monotonic_clock::subscribe_duration(nanos).block();
}

#[cfg(not(feature = "host-transport"))]
use wasi_http::WasiHttp;

#[cfg(not(feature = "host-transport"))]
mod wasi_http {
    use super::*;
    use wstd::http::{Body, Client, Request};

    /// Sends through `wasi:http/outgoing-handler` with connect, first-byte and between-bytes timeouts.
    #[derive(Default)]
    pub(super) struct WasiHttp;

    impl Transport for WasiHttp {
        fn send(&self, request: &HttpRequest) -> Result<HttpResponse, crate::Error> {
            wstd::runtime::block_on(send(request))
        }

        fn sleep(&self, duration: Duration) {
            pause(duration);
        }
    }

    async fn send(request: &HttpRequest) -> Result<HttpResponse, crate::Error> {
        let timeout = Duration::from_millis(u64::from(request.timeout_ms));
        let mut client = Client::new();
        client.set_connect_timeout(timeout);
        client.set_first_byte_timeout(timeout);
        client.set_between_bytes_timeout(timeout);

        let body = request.body.clone().unwrap_or_default();
        let mut builder = Request::builder()
            .method(request.method.as_str())
            .uri(&request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if !body.is_empty() {
            builder = builder.header("content-length", body.len());
        }
        let outgoing = builder
            .body(Body::from(body))
            .map_err(|e| crate::Error::InvalidInput(format!("cannot build request: {e}")))?;
        let response = client.send(outgoing).await.map_err(transport_error)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut body = response.into_body();
        let bytes = body.contents().await.map_err(transport_error)?.to_vec();
        Ok(HttpResponse {
            status,
            retry_after,
            body: bytes,
        })
    }

    fn transport_error(error: wstd::http::Error) -> crate::Error {
        use wstd::http::ErrorCode as C;
        match error.downcast_ref::<C>() {
            Some(
                C::ConnectionTimeout
                | C::ConnectionReadTimeout
                | C::ConnectionWriteTimeout
                | C::HttpResponseTimeout
                | C::DnsTimeout,
            ) => crate::Error::Timeout(format!("{error}")),
            Some(C::HttpRequestDenied) => crate::Error::Forbidden(
                "the host denied this request (outside the allowed origin)".into(),
            ),
            _ => crate::Error::Connection(format!("{error:#}")),
        }
    }
}

#[cfg(feature = "host-transport")]
use host_http::HostHttp;

#[cfg(feature = "host-transport")]
mod host_http {
    use super::*;
    use qdrant::retriever::http_transport as host;

    /// Sends through the host's `http-transport` import; the host owns the connection.
    #[derive(Default)]
    pub(super) struct HostHttp;

    impl Transport for HostHttp {
        fn send(&self, request: &HttpRequest) -> Result<HttpResponse, crate::Error> {
            let body = match &request.body {
                // Our bodies are serde_json output: always UTF-8.
                Some(bytes) => String::from_utf8_lossy(bytes).into_owned(),
                None => String::new(),
            };
            let outgoing = host::Request {
                method: request.method.as_str().to_owned(),
                url: request.url.clone(),
                headers: request.headers.clone(),
                body,
                timeout_ms: request.timeout_ms,
            };
            match host::send(&outgoing) {
                Ok(response) => Ok(HttpResponse {
                    status: response.status,
                    retry_after: response.retry_after,
                    body: response.body.into_bytes(),
                }),
                Err(host::TransportError::Connection(m)) => Err(crate::Error::Connection(m)),
                Err(host::TransportError::Timeout(m)) => Err(crate::Error::Timeout(m)),
                Err(host::TransportError::Denied(m)) => Err(crate::Error::Forbidden(m)),
            }
        }

        fn sleep(&self, duration: Duration) {
            pause(duration);
        }
    }
}
