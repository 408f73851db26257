//! Shared by the host-vs-native benchmarks: the embedded engine on its own runtime, the
//! data set, the native baseline client, request capture and statistics.
//!
//! The baseline sends exactly the bytes the component sends: the component's Qdrant logic
//! (`qdrant_component::rest::Qdrant`) runs natively over a recording transport to capture
//! each request's method, path, headers and body, and the baseline replays them over a
//! pooled keep-alive hyper client (what a native Rust client does), parsing every answer.

#![allow(dead_code)] // each bench uses a part of this module

use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use qdrant_component::model::Config as ComponentConfig;
use qdrant_component::rest::Qdrant;
use qdrant_component::transport::{HttpRequest, HttpResponse, Transport};
use qdrant_embedded::{EmbeddedServer, Options};
use serde_json::{Value, json};

pub const DIM: usize = 384;
pub const POINTS: usize = 10_000;
pub const BATCH: usize = 256;

/// The embedded engine, served from its own runtime (2 workers) on a background thread so
/// the client runtime under test is not the one answering.
pub struct Server {
    pub url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    pub fn start() -> Self {
        let (url_tx, url_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("embedded-engine".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("engine")
                    .enable_all()
                    .build()
                    .expect("engine runtime");
                rt.block_on(async move {
                    let server = EmbeddedServer::start(Options::default())
                        .await
                        .expect("start the embedded engine");
                    url_tx.send(server.url()).expect("send url");
                    let _ = stopped.await;
                    server.shutdown().await;
                });
            })
            .expect("spawn engine thread");
        let url = url_rx.recv().expect("engine url");
        Server {
            url,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The client runtime: multi-threaded with as many workers as cores (tokio's default).
/// `QI_BENCH_RUNTIME=current` uses a current-thread runtime instead (a diagnostic: it
/// removes cross-thread wake-ups between the tasks one call involves).
pub fn client_runtime() -> tokio::runtime::Runtime {
    let mut builder = if std::env::var("QI_BENCH_RUNTIME").as_deref() == Ok("current") {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    builder.enable_all().build().expect("client runtime")
}

/// Deterministic pseudo-random vectors in [-1, 1), row-major (`n * DIM`).
pub fn vectors(n: usize, seed: u64) -> Vec<f32> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n * DIM)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// A small payload, as a retriever stores it.
pub fn payload(i: usize) -> Value {
    let category = ["documentation", "blog", "reference"][i % 3];
    json!({
        "text": format!("Document number {i} about vector search and retrieval."),
        "category": category,
        "rank": i,
    })
}

/// Integer ids as strings (the component sends them as JSON integers).
pub fn ids(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| i.to_string()).collect()
}

// ---- request capture ----------------------------------------------------------------------

/// A transport that records the request and answers with a canned 200.
pub struct Capture {
    sent: RefCell<Vec<HttpRequest>>,
    reply: &'static str,
}

impl Transport for &Capture {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, qdrant_component::Error> {
        self.sent.borrow_mut().push(request.clone());
        Ok(HttpResponse {
            status: 200,
            retry_after: None,
            body: self.reply.as_bytes().to_vec(),
        })
    }

    fn sleep(&self, _: Duration) {}

    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

pub const REPLY_QUERY: &str = r#"{"result":{"points":[]},"status":"ok","time":0}"#;
pub const REPLY_UPDATE: &str =
    r#"{"result":{"operation_id":1,"status":"completed"},"status":"ok","time":0}"#;
pub const REPLY_INFO: &str = r#"{"title":"qdrant","version":"1.0.0"}"#;

/// The single request the component sends for `call` with the default configuration.
pub fn capture(
    url: &str,
    reply: &'static str,
    call: impl FnOnce(&Qdrant<&Capture>) -> Result<(), qdrant_component::Error>,
) -> HttpRequest {
    let capture = Capture {
        sent: RefCell::new(vec![]),
        reply,
    };
    let config = ComponentConfig {
        url: url.to_owned(),
        ..ComponentConfig::default()
    };
    let qdrant = Qdrant::new(config, &capture).expect("component client");
    call(&qdrant).expect("captured call");
    let mut sent = capture.sent.into_inner();
    assert_eq!(sent.len(), 1, "expected exactly one request");
    sent.remove(0)
}

/// Equal JSON, numbers compared as the `f32` they read back as (integers exactly).
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            x.as_f64().map(|v| v as f32) == y.as_f64().map(|v| v as f32)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((kx, vx), (ky, vy))| kx == ky && same_json(vx, vy))
        }
        _ => a == b,
    }
}

// ---- the native baseline ------------------------------------------------------------------

/// A native Rust client: hyper-util's pooled keep-alive client (HTTP/1.1), idle timeout
/// 4 s like the host's pool, JSON in and out with serde_json.
#[derive(Clone)]
pub struct Native {
    client: Client<HttpConnector, Full<Bytes>>,
}

/// Serialises a request body from the caller's data, as a native client does.
pub type BodyFn = Arc<dyn Fn() -> Vec<u8> + Send + Sync>;

/// One REST request as the component sends it, ready to replay.
#[derive(Clone)]
pub struct Replay {
    pub method: http::Method,
    pub uri: http::Uri,
    pub headers: Vec<(http::HeaderName, http::HeaderValue)>,
    /// Serialises the body on every send (typed structs + serde_json, like a native client).
    pub body: Option<BodyFn>,
}

impl Replay {
    /// A body-less request as captured.
    pub fn of(request: &HttpRequest) -> Self {
        assert!(request.body.is_none(), "this request has a body");
        Self::build(request, None)
    }

    /// A request with a body that `body` serialises; checks it is the captured request:
    /// the same bytes, or the same JSON where a float's text differs but reads back as the
    /// same `f32` (the component's formatter picks another decimal for a few floats in a
    /// thousand), and within 0.1 % of the length.
    pub fn with_body(request: &HttpRequest, body: BodyFn) -> Self {
        let captured = request.body.as_deref().expect("a captured body");
        let ours = body();
        if ours != captured {
            let at = ours
                .iter()
                .zip(captured)
                .position(|(a, b)| a != b)
                .unwrap_or(ours.len().min(captured.len()));
            let window = |b: &[u8]| {
                String::from_utf8_lossy(&b[at.saturating_sub(40)..(at + 40).min(b.len())])
                    .into_owned()
            };
            let parse = |b: &[u8]| serde_json::from_slice::<Value>(b).expect("a JSON body");
            assert!(
                same_json(&parse(&ours), &parse(captured))
                    && ours.len().abs_diff(captured.len()) * 1000 <= captured.len(),
                "the baseline must send the component's request; they differ at byte {at}:\n  native:    {}\n  component: {}",
                window(&ours),
                window(captured)
            );
        }
        Self::build(request, Some(body))
    }

    fn build(request: &HttpRequest, body: Option<BodyFn>) -> Self {
        Replay {
            method: request.method.as_str().parse().unwrap(),
            uri: request.url.parse().expect("captured url"),
            headers: request
                .headers
                .iter()
                .map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap()))
                .collect(),
            body,
        }
    }
}

impl Default for Native {
    fn default() -> Self {
        Self::new()
    }
}

impl Native {
    pub fn new() -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(4))
            .pool_max_idle_per_host(64)
            .build(connector);
        Native { client }
    }

    /// Sends the request and checks the status only (the body is read and dropped).
    pub async fn status(&self, replay: &Replay) -> http::StatusCode {
        let response = self
            .client
            .request(self.request(replay))
            .await
            .expect("native send");
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("native body");
        std::hint::black_box(bytes);
        assert!(status.is_success(), "native {}: {status}", replay.uri);
        status
    }

    /// The request of `replay`, its body serialised now.
    pub fn request(&self, replay: &Replay) -> http::Request<Full<Bytes>> {
        let body = match &replay.body {
            Some(serialise) => Bytes::from(serialise()),
            None => Bytes::new(),
        };
        let mut request = http::Request::builder()
            .method(replay.method.clone())
            .uri(replay.uri.clone());
        for (name, value) in &replay.headers {
            request = request.header(name, value);
        }
        request.body(Full::new(body)).expect("request")
    }

    /// Sends the request and parses the JSON answer; panics on a non-2xx status.
    pub async fn send(&self, replay: &Replay) -> Value {
        self.send_request(self.request(replay)).await
    }

    /// Sends a request made by [`Native::request`]; as [`Native::send`].
    pub async fn send_request(&self, request: http::Request<Full<Bytes>>) -> Value {
        let (method, uri) = (request.method().clone(), request.uri().clone());
        let response = self.client.request(request).await.expect("native send");
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("native body")
            .to_bytes();
        assert!(
            status.is_success(),
            "native {method} {uri}: {status} {}",
            String::from_utf8_lossy(&bytes)
        );
        serde_json::from_slice(&bytes).expect("JSON answer")
    }
}

// ---- statistics ---------------------------------------------------------------------------

pub struct Stats {
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub mean: Duration,
    pub n: usize,
}

pub fn stats(samples: &mut [Duration]) -> Stats {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    Stats {
        p50: at(0.50),
        p90: at(0.90),
        p99: at(0.99),
        mean: samples.iter().sum::<Duration>() / samples.len() as u32,
        n: samples.len(),
    }
}

pub fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

pub fn print_latency_row(name: &str, s: &Stats) {
    println!(
        "  {name:<28} p50 {:>11}  p90 {:>11}  p99 {:>11}  mean {:>11}  (n={})",
        us(s.p50),
        us(s.p90),
        us(s.p99),
        us(s.mean),
        s.n
    );
}

/// `name  value  target …  met|MISSED`, for the summaries.
pub fn line(name: &str, value: f64, target: &str, met: bool) -> String {
    format!(
        "  {name:<44} {value:>8.3}   target {target:<8} {}",
        if met { "met" } else { "MISSED" }
    )
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    }
}

/// Times `f` once.
pub async fn timed<F: std::future::Future>(f: F) -> (Duration, F::Output) {
    let started = Instant::now();
    let out = f.await;
    (started.elapsed(), out)
}

/// Whether this benchmark's name matches the filter cargo passes through (`cargo bench --
/// NAME`); no filter runs everything.
pub fn selected(name: &str) -> bool {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()))
}

/// Waits until the engine has optimized every collection. It starts optimizing a collection
/// 0.8 s after its last write: first let that begin, then wait until no collection is
/// optimizing, so the work cannot overlap the next measurement.
pub async fn wait_until_optimized(client: &qdrant_integration::QdrantClient) {
    tokio::time::sleep(Duration::from_secs(1)).await;
    let started = Instant::now();
    for name in client.list_collections().await.expect("list") {
        while started.elapsed() < Duration::from_secs(120) {
            match client.collection_info(&name).await {
                Ok(info) if info.status != qdrant_integration::types::CollectionStatus::Green => {
                    tokio::time::sleep(Duration::from_millis(100)).await
                }
                _ => break,
            }
        }
    }
}
