//! The wasm32-wasip2 build: the WIT exports over [`crate::rest::Qdrant`], and the transport
//! of the world being built (wasi-http, or the host's `http-transport`).

use std::time::Duration;

use crate::bindings::export;
use crate::bindings::exports::qdrant::retriever::client::Guest;
use crate::model::*;
use crate::rest::Qdrant;
use crate::transport::{HttpRequest, HttpResponse, Transport};

#[cfg(not(feature = "host-transport"))]
type ActiveTransport = WasiHttp;
#[cfg(feature = "host-transport")]
type ActiveTransport = HostHttp;

#[cfg(feature = "edge")]
mod incoming;

struct Component;
export!(Component with_types_in crate::bindings);

type Wit<T> = Result<T, Error>;

fn client(cfg: Config) -> Result<Qdrant<ActiveTransport>, crate::Error> {
    Qdrant::new(cfg, ActiveTransport::default())
}

/// Runs one operation on a client built from `cfg`, converting the error to WIT's.
/// Every error leaves without the api-key: a decode error may quote a server's answer, and
/// a hostile server may echo the key in it.
fn with<R>(
    cfg: Config,
    op: impl FnOnce(&Qdrant<ActiveTransport>) -> Result<R, crate::Error>,
) -> Wit<R> {
    let client = client(cfg)?;
    op(&client).map_err(|e| crate::error::redact(e, client.config.api_key.as_deref()).into())
}

impl Guest for Component {
    fn default_config(url: String) -> Config {
        Config::defaults(url)
    }
    fn distance_named(_cfg: Config, name: String) -> Wit<Distance> {
        Ok(Distance::from_user(&name)?)
    }
    fn quantization_named(_cfg: Config, name: String) -> Wit<Quantization> {
        Ok(crate::model::quantization_named(&name)?)
    }
    fn health_check(cfg: Config) -> Wit<ServerInfo> {
        with(cfg, |c| c.health_check())
    }
    fn ready(cfg: Config) -> Wit<bool> {
        with(cfg, |c| c.ready())
    }
    fn create_collection(cfg: Config, name: String, size: u64, distance: Distance) -> Wit<()> {
        with(cfg, |c| c.create_collection(&name, size, distance))
    }
    fn create_collection_with(cfg: Config, name: String, config: CollectionConfig) -> Wit<()> {
        with(cfg, |c| c.create_collection_with(&name, &config))
    }
    fn update_collection(cfg: Config, name: String, update: CollectionUpdate) -> Wit<()> {
        with(cfg, |c| c.update_collection(&name, &update))
    }
    fn delete_collection(cfg: Config, name: String) -> Wit<bool> {
        with(cfg, |c| c.delete_collection(&name))
    }
    fn collection_exists(cfg: Config, name: String) -> Wit<bool> {
        with(cfg, |c| c.collection_exists(&name))
    }
    fn get_collection(cfg: Config, name: String) -> Wit<CollectionInfo> {
        with(cfg, |c| c.get_collection(&name))
    }
    fn list_collections(cfg: Config) -> Wit<Vec<String>> {
        with(cfg, |c| c.list_collections())
    }
    fn create_alias(cfg: Config, alias: String, collection: String) -> Wit<()> {
        with(cfg, |c| c.create_alias(&alias, &collection))
    }
    fn delete_alias(cfg: Config, alias: String) -> Wit<()> {
        with(cfg, |c| c.delete_alias(&alias))
    }
    fn list_aliases(cfg: Config, collection: Option<String>) -> Wit<Vec<Alias>> {
        with(cfg, |c| c.list_aliases(collection.as_deref()))
    }
    fn create_shard_key(cfg: Config, collection: String, key: ShardKey) -> Wit<()> {
        with(cfg, |c| c.create_shard_key(&collection, &key))
    }
    fn delete_shard_key(cfg: Config, collection: String, key: ShardKey) -> Wit<()> {
        with(cfg, |c| c.delete_shard_key(&collection, &key))
    }
    fn list_shard_keys(cfg: Config, collection: String) -> Wit<Vec<ShardKey>> {
        with(cfg, |c| c.list_shard_keys(&collection))
    }
    fn upsert_points(cfg: Config, collection: String, points: PointBatch, wait: bool) -> Wit<u32> {
        with(cfg, |c| c.upsert_points(&collection, &points, wait))
    }
    fn validate_points(_cfg: Config, points: PointBatch) -> Wit<()> {
        Ok(crate::points::validate_points(&points)?)
    }
    fn get_points(
        cfg: Config,
        collection: String,
        ids: Vec<String>,
        with_payload: PayloadSelector,
        with_vectors: VectorSelector,
    ) -> Wit<Vec<Point>> {
        with(cfg, |c| {
            c.get_points(&collection, &ids, &with_payload, &with_vectors)
        })
    }
    fn delete_points(
        cfg: Config,
        collection: String,
        selector: PointsSelector,
        wait: bool,
    ) -> Wit<UpdateResult> {
        with(cfg, |c| c.delete_points(&collection, &selector, wait))
    }
    fn set_payload(
        cfg: Config,
        collection: String,
        selector: PointsSelector,
        payload: String,
        key: Option<String>,
        wait: bool,
    ) -> Wit<UpdateResult> {
        with(cfg, |c| {
            c.set_payload(&collection, &selector, &payload, key.as_deref(), wait)
        })
    }
    fn overwrite_payload(
        cfg: Config,
        collection: String,
        selector: PointsSelector,
        payload: String,
        wait: bool,
    ) -> Wit<UpdateResult> {
        with(cfg, |c| {
            c.overwrite_payload(&collection, &selector, &payload, wait)
        })
    }
    fn delete_payload_keys(
        cfg: Config,
        collection: String,
        selector: PointsSelector,
        keys: Vec<String>,
        wait: bool,
    ) -> Wit<UpdateResult> {
        with(cfg, |c| {
            c.delete_payload_keys(&collection, &selector, &keys, wait)
        })
    }
    fn clear_payload(
        cfg: Config,
        collection: String,
        selector: PointsSelector,
        wait: bool,
    ) -> Wit<UpdateResult> {
        with(cfg, |c| c.clear_payload(&collection, &selector, wait))
    }
    fn count(cfg: Config, collection: String, filter: Option<Filter>, exact: bool) -> Wit<u64> {
        with(cfg, |c| c.count(&collection, filter.as_ref(), exact))
    }
    fn scroll(cfg: Config, collection: String, request: ScrollRequest) -> Wit<ScrollPage> {
        with(cfg, |c| c.scroll(&collection, &request))
    }
    fn query(cfg: Config, collection: String, request: QueryRequest) -> Wit<Vec<ScoredPoint>> {
        with(cfg, |c| c.query(&collection, &request))
    }
    fn query_batch(
        cfg: Config,
        collection: String,
        requests: Vec<QueryRequest>,
    ) -> Wit<Vec<Vec<ScoredPoint>>> {
        with(cfg, |c| c.query_batch(&collection, &requests))
    }
    fn create_payload_index(
        cfg: Config,
        collection: String,
        field: String,
        schema: PayloadSchemaType,
        wait: bool,
    ) -> Wit<UpdateResult> {
        with(cfg, |c| {
            c.create_payload_index(&collection, &field, schema, wait)
        })
    }
    fn delete_payload_index(
        cfg: Config,
        collection: String,
        field: String,
        wait: bool,
    ) -> Wit<UpdateResult> {
        with(cfg, |c| c.delete_payload_index(&collection, &field, wait))
    }
    fn create_snapshot(cfg: Config, collection: String) -> Wit<Snapshot> {
        with(cfg, |c| c.create_snapshot(&collection))
    }
    fn list_snapshots(cfg: Config, collection: String) -> Wit<Vec<Snapshot>> {
        with(cfg, |c| c.list_snapshots(&collection))
    }
    fn delete_snapshot(cfg: Config, collection: String, name: String) -> Wit<bool> {
        with(cfg, |c| c.delete_snapshot(&collection, &name))
    }
    fn recover_snapshot(
        cfg: Config,
        collection: String,
        location: String,
        checksum: Option<String>,
    ) -> Wit<()> {
        with(cfg, |c| {
            c.recover_snapshot(&collection, &location, checksum.as_deref())
        })
    }
}

impl From<crate::Error> for Error {
    fn from(e: crate::Error) -> Self {
        use crate::Error as E;
        match e {
            E::Connection(m) => Error::Connection(m),
            E::Timeout(m) => Error::Timeout(m),
            E::Unauthorized(m) => Error::Unauthorized(m),
            E::Forbidden(m) => Error::Forbidden(m),
            E::NotFound(m) => Error::NotFound(m),
            E::BadRequest(m) => Error::BadRequest(m),
            E::Conflict(m) => Error::Conflict(m),
            E::RateLimited(s) => Error::RateLimited(s),
            E::Server { status, message } => Error::Server(ServerError { status, message }),
            E::InvalidInput(m) => Error::InvalidInput(m),
            E::Decode(m) => Error::Decode(m),
        }
    }
}

/// Monotonic time, for retry budgets and jitter.
fn now() -> Duration {
    Duration::from_nanos(wasip2::clocks::monotonic_clock::now())
}

/// Blocks on a wasi:clocks pollable.
fn pause(duration: Duration) {
    let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
    wasip2::clocks::monotonic_clock::subscribe_duration(nanos).block();
}

#[cfg(not(feature = "host-transport"))]
use wasi_http::WasiHttp;

#[cfg(not(feature = "host-transport"))]
mod wasi_http {
    use super::*;
    use crate::transport::Method;
    use wasip2::http::outgoing_handler;
    use wasip2::http::types::{
        ErrorCode, Fields, IncomingBody, Method as WasiMethod, OutgoingBody, OutgoingRequest,
        RequestOptions, Scheme,
    };
    use wasip2::io::streams::StreamError;

    /// Sends through `wasi:http/outgoing-handler` with connect, first-byte and between-bytes
    /// timeouts, one blocking step at a time.
    ///
    /// A request without a body has its (empty) body finished before it is handed over.
    /// Finishing it afterwards, concurrently with waiting for the answer (as async clients
    /// such as wstd do), races the host: wasmtime's client may drop an empty body's stream
    /// once the answer is in, and the late `finish` then fails the whole request ("connection
    /// reset", about one GET in ten against a fast server).
    #[derive(Default)]
    pub(super) struct WasiHttp;

    impl Transport for WasiHttp {
        fn send(&self, request: &HttpRequest) -> Result<HttpResponse, crate::Error> {
            send(request)
        }

        fn sleep(&self, duration: Duration) {
            pause(duration);
        }

        fn now(&self) -> Duration {
            now()
        }
    }

    fn send(request: &HttpRequest) -> Result<HttpResponse, crate::Error> {
        let invalid = |what: &str| {
            crate::Error::InvalidInput(format!("cannot send to `{}`: {what}", request.url))
        };
        let (scheme, rest) = if let Some(rest) = request.url.strip_prefix("http://") {
            (Scheme::Http, rest)
        } else if let Some(rest) = request.url.strip_prefix("https://") {
            (Scheme::Https, rest)
        } else {
            return Err(invalid("not an http(s) URL"));
        };
        let (authority, path) = match rest.find('/') {
            Some(at) => rest.split_at(at),
            None => (rest, "/"),
        };
        let headers = Fields::new();
        let body = request.body.as_deref().unwrap_or_default();
        let length = body.len().to_string();
        let content_length = (!body.is_empty()).then_some(("content-length", length.as_str()));
        for (name, value) in request
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .chain(content_length)
        {
            headers
                .append(name, value.as_bytes())
                .map_err(|e| invalid(&format!("header `{name}`: {e:?}")))?;
        }
        let outgoing = OutgoingRequest::new(headers);
        let method = match request.method {
            Method::Get => WasiMethod::Get,
            Method::Put => WasiMethod::Put,
            Method::Post => WasiMethod::Post,
            Method::Delete => WasiMethod::Delete,
            Method::Patch => WasiMethod::Patch,
        };
        outgoing
            .set_method(&method)
            .map_err(|()| invalid("method"))?;
        outgoing
            .set_scheme(Some(&scheme))
            .map_err(|()| invalid("scheme"))?;
        outgoing
            .set_authority(Some(authority))
            .map_err(|()| invalid("authority"))?;
        outgoing
            .set_path_with_query(Some(path))
            .map_err(|()| invalid("path"))?;
        let options = RequestOptions::new();
        let nanos = |ms: u32| u64::from(ms) * 1_000_000;
        // A host that does not support a timeout refuses to set it; the component's
        // own budget still bounds the call.
        let _ = options.set_connect_timeout(Some(nanos(request.connect_timeout_ms)));
        let _ = options.set_first_byte_timeout(Some(nanos(request.read_timeout_ms)));
        let _ = options.set_between_bytes_timeout(Some(nanos(request.read_timeout_ms)));

        let outgoing_body = outgoing.body().map_err(|()| invalid("body"))?;
        let pending_body = if body.is_empty() {
            OutgoingBody::finish(outgoing_body, None).map_err(transport_error)?;
            None
        } else {
            Some(outgoing_body)
        };
        let future = outgoing_handler::handle(outgoing, Some(options)).map_err(transport_error)?;
        // A body is written once the request is under way (the host streams it out); if
        // the server answers before taking all of it, its answer is what counts.
        let mut write_failed = None;
        if let Some(outgoing_body) = pending_body {
            if let Err(e) = write_body(&outgoing_body, body) {
                write_failed = Some(e);
            }
            if let Err(e) = OutgoingBody::finish(outgoing_body, None) {
                write_failed.get_or_insert(transport_error(e));
            }
        }
        future.subscribe().block();
        let response = match future.get() {
            Some(Ok(Ok(response))) => response,
            Some(Ok(Err(code))) => {
                return Err(write_failed.unwrap_or_else(|| transport_error(code)));
            }
            Some(Err(())) | None => {
                return Err(crate::Error::Connection("the host lost the answer".into()));
            }
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get("retry-after")
            .into_iter()
            .next()
            .and_then(|v| String::from_utf8(v).ok());
        let incoming = response
            .consume()
            .map_err(|()| crate::Error::Connection("the answer has no body".into()))?;
        let bytes = read_body(&incoming)?;
        let _trailers = IncomingBody::finish(incoming);
        Ok(HttpResponse {
            status,
            retry_after,
            body: bytes,
        })
    }

    fn write_body(outgoing: &OutgoingBody, body: &[u8]) -> Result<(), crate::Error> {
        let stream = outgoing
            .write()
            .map_err(|()| crate::Error::Connection("the request body cannot be written".into()))?;
        let mut rest = body;
        while !rest.is_empty() {
            let permitted = loop {
                match stream.check_write().map_err(stream_error)? {
                    0 => stream.subscribe().block(),
                    n => break usize::try_from(n).unwrap_or(usize::MAX),
                }
            };
            let (chunk, after) = rest.split_at(permitted.min(rest.len()));
            stream.write(chunk).map_err(stream_error)?;
            rest = after;
        }
        stream.blocking_flush().map_err(stream_error)
    }

    fn read_body(incoming: &IncomingBody) -> Result<Vec<u8>, crate::Error> {
        let stream = incoming
            .stream()
            .map_err(|()| crate::Error::Connection("the answer's body cannot be read".into()))?;
        let mut bytes = Vec::new();
        loop {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) => bytes.extend_from_slice(&chunk),
                Err(StreamError::Closed) => return Ok(bytes),
                Err(e) => return Err(stream_error(e)),
            }
        }
    }

    fn stream_error(error: StreamError) -> crate::Error {
        match error {
            StreamError::LastOperationFailed(e) => match wasip2::http::types::http_error_code(&e) {
                Some(code) => transport_error(code),
                None => crate::Error::Connection(e.to_debug_string()),
            },
            StreamError::Closed => crate::Error::Connection("the connection closed".into()),
        }
    }

    fn transport_error(code: ErrorCode) -> crate::Error {
        use ErrorCode as C;
        match code {
            C::ConnectionTimeout
            | C::ConnectionReadTimeout
            | C::ConnectionWriteTimeout
            | C::HttpResponseTimeout
            | C::DnsTimeout => crate::Error::Timeout(format!("{code:?}")),
            C::HttpRequestDenied => crate::Error::Forbidden(
                "the host denied this request (outside the allowed origin)".into(),
            ),
            _ => crate::Error::Connection(format!("{code:?}")),
        }
    }
}

#[cfg(feature = "host-transport")]
use host_http::HostHttp;

#[cfg(feature = "host-transport")]
mod host_http {
    use super::*;
    use crate::bindings::qdrant::retriever::http_transport as host;
    use crate::transport::InFlight;

    /// Sends through the host's `http-transport` import; the host owns the connection.
    #[derive(Default)]
    pub(super) struct HostHttp;

    impl Transport for HostHttp {
        fn send(&self, request: &HttpRequest) -> Result<HttpResponse, crate::Error> {
            answer(host::send(outgoing(request, &mut Vec::new())?))
        }

        fn start(&self, request: HttpRequest) -> InFlight {
            // A request the host cannot take fails in `finish`, through `send`.
            let ticket = outgoing(&request, &mut Vec::new()).ok().map(host::start);
            InFlight { request, ticket }
        }

        fn finish(&self, in_flight: &InFlight) -> Result<HttpResponse, crate::Error> {
            match in_flight.ticket {
                Some(ticket) => answer(host::finish(ticket)),
                None => self.send(&in_flight.request),
            }
        }

        fn sleep(&self, duration: Duration) {
            pause(duration);
        }

        fn now(&self) -> Duration {
            now()
        }
    }

    /// The import's borrowed view of `request`; `headers` holds the pairs it points into.
    fn outgoing<'a>(
        request: &'a HttpRequest,
        headers: &'a mut Vec<(&'a str, &'a str)>,
    ) -> Result<host::Request<'a>, crate::Error> {
        let body = match &request.body {
            // Our bodies are serde_json output: always UTF-8, so this only checks.
            Some(bytes) => std::str::from_utf8(bytes)
                .map_err(|e| crate::Error::InvalidInput(format!("body is not UTF-8: {e}")))?,
            None => "",
        };
        headers.extend(
            request
                .headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str())),
        );
        Ok(host::Request {
            method: request.method.as_str(),
            url: &request.url,
            headers,
            body,
            connect_timeout_ms: request.connect_timeout_ms,
            read_timeout_ms: request.read_timeout_ms,
        })
    }

    fn answer(
        result: Result<host::Response, host::TransportError>,
    ) -> Result<HttpResponse, crate::Error> {
        match result {
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
}
