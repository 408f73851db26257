//! The api-key stays a secret: it appears in no log line (everything `tracing` emits, at
//! every level), no error message and no `Debug` output, and it is sent to the configured
//! origin only: never along a redirect, never to a server a snapshot restore fetches from.
//! The component has no way to read a file or open a socket of its own.
//!
//! Logs are captured by a subscriber of this file's own (only `tracing` itself is needed);
//! raw TCP listeners (`common/raw_http.rs`) capture what reaches other origins.
//!
//! `SECRETS_RUN_KNOWN_BUGS=1` runs the checks in [`KNOWN_BUGS`] too (or `=<name>`, that one).

mod common;
#[path = "common/raw_http.rs"]
mod raw_http;

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, Once};
use std::time::Duration;

use qdrant_embedded::{EmbeddedServer, Options};
use qdrant_integration::types::{PointsSelector, QueryRequest, RetryPolicy, ScrollRequest};
use qdrant_integration::{
    COMPONENT_WASI_HTTP_WASM, COMPONENT_WASM, Error, Outbound, QdrantClient, Settings, VectorPoint,
};
use raw_http::{HEALTH, RawServer, Reply, Request, json, typed};
use serde_json::json;

/// Checks that expose a bug not fixed yet: skipped (unless `SECRETS_RUN_KNOWN_BUGS=1`) so
/// the suite passes. Each is marked `// BUG:` where it is defined.
const KNOWN_BUGS: &[&str] = &[];

fn skip_known_bug(name: &str) -> bool {
    // `1` runs them all, a bug's name runs that one.
    let run = std::env::var("SECRETS_RUN_KNOWN_BUGS").is_ok_and(|v| v == "1" || v == name);
    let skip = KNOWN_BUGS.contains(&name) && !run;
    if skip {
        println!("skip (known bug): {name}");
    }
    skip
}

// ---- log capture ----------------------------------------------------------------------

/// Every line any test of this binary logged.
static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Records every span and event of every target at every level, fields included (compiler
/// internals aside, which never see a request).
struct Capture;

struct Line(String);

impl tracing::field::Visit for Line {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        let _ = write!(self.0, " {}={value}", field.name());
    }
}

fn compiler_internals(target: &str) -> bool {
    [
        "cranelift",
        "regalloc",
        "wasmtime_cranelift",
        "wasmtime_environ",
        "object",
        "gimli",
    ]
    .iter()
    .any(|prefix| target.starts_with(prefix))
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        !compiler_internals(metadata.target())
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }

    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let meta = span.metadata();
        let mut line = Line(format!(
            "{} {} span {}:",
            meta.level(),
            meta.target(),
            meta.name()
        ));
        span.record(&mut line);
        LINES.lock().unwrap().push(line.0);
        tracing::span::Id::from_u64(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut line = Line("span record:".into());
        values.record(&mut line);
        LINES.lock().unwrap().push(line.0);
    }

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let meta = event.metadata();
        let mut line = Line(format!("{} {}:", meta.level(), meta.target()));
        event.record(&mut line);
        LINES.lock().unwrap().push(line.0);
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

fn capture_logs() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| tracing::subscriber::set_global_default(Capture).unwrap());
}

/// Asserts no captured line holds any part of these keys, and that lines were captured.
fn assert_logs_keep(keys: &[&str]) {
    let lines = LINES.lock().unwrap();
    assert!(
        lines.iter().any(|l| l.contains("operation=")),
        "no call was logged: is the capture working? {} lines",
        lines.len()
    );
    for line in lines.iter() {
        for key in keys {
            assert!(
                !leaks(line, key),
                "a log line holds the key {key:?}: {line}"
            );
        }
    }
}

// ---- keys -----------------------------------------------------------------------------

/// Whether `text` holds `key` or any 12-character piece of it (a cut or partly redacted key
/// is still a leak), or its first bytes as a `Debug`-printed byte list (`[115, 107, ...]`,
/// how a `Vec<u8>` header value would show in a trace).
fn leaks(text: &str, key: &str) -> bool {
    let bytes: Vec<String> = key.bytes().take(8).map(|b| b.to_string()).collect();
    if text.contains(&bytes.join(", ")) {
        return true;
    }
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 12 {
        return text.contains(key);
    }
    chars
        .windows(12)
        .any(|piece| text.contains(&piece.iter().collect::<String>()))
}

#[track_caller]
fn assert_error_keeps(what: &str, error: &Error, key: &str) {
    for text in [
        error.to_string(),
        format!("{error:?}"),
        format!("{error:#?}"),
    ] {
        assert!(!leaks(&text, key), "{what}: the key leaked into {text}");
    }
}

/// The scripted clients: patient enough for loopback, quick to give up.
async fn scripted_client(url: &str, key: &str, outbound: Outbound) -> QdrantClient {
    QdrantClient::new(url, Some(key))
        .await
        .unwrap()
        .with_outbound(outbound)
        .with_timeout(Duration::from_secs(2))
        .with_retry(RetryPolicy {
            max_attempts: 2,
            initial_backoff_ms: 10,
            max_backoff_ms: 10,
            max_elapsed_ms: 1_000,
        })
}

const BUILDS: [Outbound; 2] = [Outbound::HostTransport, Outbound::WasiHttp];

// ---- the key goes to its origin only --------------------------------------------------

/// Redirects to every other spelling of an origin (another port, `localhost` for
/// `127.0.0.1`, `[::1]`, another scheme) are never followed: the other origins see no
/// connection at all, and the configured one sees each call once, with its key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_never_followed_to_any_origin() {
    capture_logs();
    const KEY: &str = "sk-redirect-canary-5e1b7c3a9d2f4e6b8a0c";
    let other_port = RawServer::recorder("127.0.0.1:0").await;
    let ipv6 = RawServer::recorder("[::1]:0").await;
    // The configured server answers `/collections/{i}/exists` with the i-th redirect; its
    // own port is known only once it listens, so the locations name it through a cell.
    let own_port = std::sync::Arc::new(std::sync::OnceLock::<u16>::new());
    let port = own_port.clone();
    let (p2, p6) = (other_port.addr.port(), ipv6.addr.port());
    let locations = move |i: usize| -> (u16, String) {
        let p = *port.get().unwrap();
        match i {
            0 => (301, format!("http://localhost:{p}/collections/c/exists")),
            1 => (302, format!("http://127.0.0.1:{p2}/collections/c/exists")),
            2 => (303, format!("http://localhost:{p2}/collections/c/exists")),
            3 => (307, format!("http://[::1]:{p6}/collections/c/exists")),
            4 => (308, format!("https://127.0.0.1:{p}/collections/c/exists")),
            5 => (307, format!("http://127.0.0.1:{p}/collections/c/exists")),
            _ => (302, format!("http://127.0.0.1:{p}/")),
        }
    };
    const REDIRECTS: usize = 7;
    let origin = RawServer::start("127.0.0.1:0", move |r: &Request| {
        if r.path() == "/" {
            return json(200, HEALTH);
        }
        let i: usize = r.path().split('/').nth(2).unwrap().parse().unwrap();
        let (status, location) = locations(i);
        Reply::Full {
            status,
            headers: format!("location: {location}\r\n"),
            body: b"moved".to_vec(),
        }
    })
    .await;
    own_port.set(origin.addr.port()).unwrap();

    // Configured as 127.0.0.1, and as `localhost` (the same socket, another origin).
    let localhost_url = format!("http://localhost:{}", origin.addr.port());
    for url in [origin.url.as_str(), localhost_url.as_str()] {
        for outbound in BUILDS {
            let client = scripted_client(url, KEY, outbound).await;
            for i in 0..REDIRECTS {
                let before = origin.requests().len();
                let got = client.collection_exists(&i.to_string()).await;
                let Err(error) = &got else {
                    panic!("{url} {outbound:?} redirect {i}: {got:?}");
                };
                assert!(
                    matches!(
                        error,
                        Error::Server {
                            status: 301..=308,
                            ..
                        }
                    ),
                    "{url} {outbound:?} redirect {i}: {error:?}"
                );
                assert_error_keeps("a redirect", error, KEY);
                let requests = origin.requests();
                assert_eq!(
                    requests.len(),
                    before + 1,
                    "{url} {outbound:?} redirect {i} was followed (or resent)"
                );
                // The key went to the configured origin: the test can tell it apart.
                assert_eq!(requests[before].header("api-key"), Some(KEY));
            }
            // The client still works after all that.
            assert_eq!(
                client.server_info().await.unwrap().version,
                "1.18.0-scripted"
            );
        }
    }
    assert_eq!(other_port.connections(), 0, "another port was contacted");
    assert_eq!(ipv6.connections(), 0, "[::1] was contacted");
    assert_logs_keep(&[KEY]);
}

/// A restore from a URL is fetched by the server, from wherever it points: the server
/// must not pass the key on. Captured at each other origin: `127.0.0.1` and `localhost`
/// on another port, and `[::1]`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_restore_from_another_origin_gets_no_api_key() {
    capture_logs();
    const KEY: &str = "sk-restore-canary-0c9d8e7f6a5b4c3d2e1f";
    let server = EmbeddedServer::start(Options {
        api_key: Some(KEY.into()),
        ..Options::default()
    })
    .await
    .unwrap();
    for outbound in BUILDS {
        let client = QdrantClient::new(&server.url(), Some(KEY))
            .await
            .unwrap()
            .with_outbound(outbound);
        let name = format!("secrets_restore_{outbound:?}");
        let _ = client.delete_collection(&name).await;
        client.create_collection(&name, 4, "Dot").await.unwrap();
        let other_port = RawServer::recorder("127.0.0.1:0").await;
        let ipv6 = RawServer::recorder("[::1]:0").await;
        let file = format!("/collections/{name}/snapshots/{name}-elsewhere.snapshot");
        let p2 = other_port.addr.port();
        for (location, listener) in [
            (format!("http://127.0.0.1:{p2}{file}"), &other_port),
            (format!("http://localhost:{p2}{file}"), &other_port),
            (format!("{}{file}", ipv6.url), &ipv6),
        ] {
            let before = listener.requests().len();
            let got = client.restore_snapshot(&name, &location).await;
            let Err(error) = &got else {
                panic!("{location}: restored from nothing? {got:?}");
            };
            assert!(
                matches!(error, Error::BadRequest(m) if m.contains("HTTP status 404")),
                "{location}: {error:?}"
            );
            assert_error_keeps("a restore", error, KEY);
            let requests = listener.requests();
            assert_eq!(requests.len(), before + 1, "{location} was not fetched");
            let fetch = &requests[before];
            assert_eq!(fetch.target, file);
            assert_eq!(fetch.header("api-key"), None, "{location}: {}", fetch.head);
            assert!(!leaks(&fetch.head, KEY), "{location}: {}", fetch.head);
            assert!(!leaks(&String::from_utf8_lossy(&fetch.body), KEY));
        }
        // Nothing was restored over the collection.
        assert_eq!(client.count(&name, None, true).await.unwrap(), 0);
        client.delete_collection(&name).await.unwrap();
    }
    server.shutdown().await;
    assert_logs_keep(&[KEY]);
}

/// A client configured with an IPv6 literal reaches it.
#[tokio::test]
async fn an_ipv6_origin_is_reachable() {
    if skip_known_bug("an IPv6 literal origin") {
        return;
    }
    let server = RawServer::start("[::1]:0", |_| json(200, HEALTH)).await;
    for outbound in BUILDS {
        let client = scripted_client(&server.url, "sk-ipv6-canary-0123456789", outbound).await;
        let info = client.server_info().await;
        assert!(
            matches!(&info, Ok(i) if i.version == "1.18.0-scripted"),
            "{} {outbound:?}: {info:?}",
            server.url
        );
    }
}

// ---- the key stays out of errors, logs and Debug --------------------------------------

/// A server that puts the key it was sent into its answers, in every place an answer can
/// carry text: `/collections/{route}/...` picks the answer.
fn echo(request: &Request) -> Reply {
    if request.path() == "/" {
        return json(200, HEALTH);
    }
    let key = request
        .header("api-key")
        .unwrap_or("no key sent")
        .to_owned();
    let route = request.path().split('/').nth(2).unwrap_or("");
    let error = |status: u16, text: String| {
        json(
            status,
            &json!({"status": {"error": text}, "time": 0}).to_string(),
        )
    };
    match route {
        "401" => typed(401, "text/plain", format!("Invalid api-key: {key}")),
        "403" => error(403, format!("Forbidden: key {key} may not read this")),
        "400" => error(400, format!("Bad request: api-key {key} malformed")),
        "404" => error(404, format!("Not found: Collection `{key}` doesn't exist!")),
        "409" => error(409, format!("Conflict: {key}")),
        "422" => error(422, format!("Validation error: {key}")),
        "429" => typed(429, "text/plain", format!("slow down, {key}")),
        "500" => typed(500, "text/html", format!("<html><body>Internal error for {key}</body></html>")),
        "503" => typed(503, "text/plain", format!("busy, {key}")),
        "302" => Reply::Full {
            status: 302,
            headers: format!("location: http://elsewhere.invalid/?api-key={key}\r\n"),
            body: format!("moved, {key}").into_bytes(),
        },
        // The key straddles the 1,024-character cut of long messages.
        "long-401" => typed(401, "text/plain", format!("{}{key}", "x".repeat(1024 - key.len() / 2))),
        "not-json" => typed(200, "text/plain", key),
        // A write's answer whose status is the key.
        // Decode errors quote the answer: they must be redacted like status errors.
        "echo-update" => json(
            200,
            &json!({"result": {"operation_id": 1, "status": key}, "status": "ok", "time": 0}).to_string(),
        ),
        // A scroll's answer whose point id is an object holding the key.
        // Decode errors quote the answer: they must be redacted like status errors.
        "echo-scroll" => json(
            200,
            &json!({"result": {"points": [{"id": {"echo": key}, "payload": {}}], "next_page_offset": null},
                    "status": "ok", "time": 0})
            .to_string(),
        ),
        _ => typed(404, "text/plain", "no such route"),
    }
}

/// How a route is called.
#[derive(Clone, Copy)]
enum Call {
    Exists,
    DeletePoints,
    Scroll,
}

/// Echoing servers, keys refused by a real engine, and keys that are not header values:
/// no error holds the key, no log line holds it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_key_never_appears_in_errors_or_logs() {
    capture_logs();
    const KEY: &str = "sk-echo-canary-3f9a1c7e5b2d4f6a8c0e1b3d5f7a";
    const WRONG: &str = "sk-wrong-canary-9e8d7c6b5a4f3e2d1c0b";
    const RIGHT: &str = "sk-right-canary-1a2b3c4d5e6f7a8b9c0d";
    const INJECTING: &str = "sk-crlf-canary-4d5e6f\r\nx-injected: yes";

    // 1. A server that echoes the key in every kind of answer.
    let server = RawServer::start("127.0.0.1:0", echo).await;
    let routes: [(&str, Call, &str); 15] = [
        ("401", Call::Exists, "401 with the key in plain text"),
        ("403", Call::Exists, "403 with the key in Qdrant's JSON"),
        ("400", Call::Exists, "400 with the key"),
        ("404", Call::Exists, "404 with the key"),
        ("409", Call::Exists, "409 with the key"),
        ("422", Call::Exists, "422 with the key"),
        ("429", Call::Exists, "429 with the key"),
        ("500", Call::Exists, "500 HTML page with the key"),
        ("503", Call::Exists, "503 with the key, retried"),
        ("302", Call::Exists, "302 with the key in body and location"),
        (
            "long-401",
            Call::Exists,
            "401 whose key straddles the message cut",
        ),
        ("not-json", Call::Exists, "200 whose body is the key"),
        (
            "echo-update",
            Call::DeletePoints,
            "200 write answer whose status is the key",
        ),
        (
            "echo-scroll",
            Call::Scroll,
            "200 scroll answer whose point id holds the key",
        ),
        ("none", Call::Exists, "404 without the key"),
    ];
    for outbound in BUILDS {
        let client = scripted_client(&server.url, KEY, outbound).await;
        for (route, call, what) in routes {
            if skip_known_bug(what) {
                continue;
            }
            let got = match call {
                Call::Exists => client
                    .collection_exists(route)
                    .await
                    .map(|e| format!("{e}")),
                Call::DeletePoints => client
                    .delete_points(route, &PointsSelector::Ids(vec!["1".into()]), true)
                    .await
                    .map(|r| format!("{r:?}")),
                Call::Scroll => client
                    .scroll(route, &ScrollRequest::new(10))
                    .await
                    .map(|p| format!("{p:?}")),
            };
            let Err(error) = &got else {
                panic!("{what} ({outbound:?}): accepted as {got:?}");
            };
            assert_error_keeps(&format!("{what} ({outbound:?})"), error, KEY);
        }
        // The key was sent (to this, the configured origin): the echo had it to echo.
        assert!(
            server
                .requests()
                .iter()
                .all(|r| r.header("api-key") == Some(KEY)),
            "a request went without the key"
        );
    }

    // 2. A real engine that requires a key: the right one works, a wrong one is refused,
    // and neither shows anywhere.
    let engine = EmbeddedServer::start(Options {
        api_key: Some(RIGHT.into()),
        ..Options::default()
    })
    .await
    .unwrap();
    for outbound in BUILDS {
        let right = QdrantClient::new(&engine.url(), Some(RIGHT))
            .await
            .unwrap()
            .with_outbound(outbound);
        let name = format!("secrets_logged_{outbound:?}");
        let _ = right.delete_collection(&name).await;
        right.create_collection(&name, 2, "Dot").await.unwrap();
        right
            .upsert_vectors(
                &name,
                vec![VectorPoint {
                    id: "doc-1".into(),
                    vector: vec![1.0, 0.0],
                    payload: json!({"text": "first"}),
                }],
            )
            .await
            .unwrap();
        assert_eq!(
            right
                .query(&name, &QueryRequest::nearest(&[1.0, 0.0], 3))
                .await
                .unwrap()
                .len(),
            1
        );
        let wrong = QdrantClient::new(&engine.url(), Some(WRONG))
            .await
            .unwrap()
            .with_outbound(outbound);
        for refused in [
            wrong.collection_exists(&name).await.map(|_| ()),
            wrong.count(&name, None, true).await.map(|_| ()),
            wrong.create_collection("other", 2, "Dot").await,
        ] {
            let Err(error) = &refused else {
                panic!("a wrong key was accepted");
            };
            assert!(matches!(error, Error::Unauthorized(_)), "{error:?}");
            assert_error_keeps("a wrong key", error, WRONG);
            assert_error_keeps("a wrong key", error, RIGHT);
        }
        right.delete_collection(&name).await.unwrap();
    }
    engine.shutdown().await;

    // 3. A key that is not a valid header value is refused before anything is sent: no
    // header is injected, and the error does not show it.
    for outbound in BUILDS {
        let client = scripted_client(&server.url, INJECTING, outbound).await;
        let before = server.requests().len();
        let got = client.collection_exists("401").await;
        let Err(error) = &got else {
            panic!("{outbound:?}: {got:?}");
        };
        assert_error_keeps("a key with CRLF", error, INJECTING);
        assert_error_keeps("a key with CRLF", error, "sk-crlf-canary-4d5e6f");
        let sent = &server.requests()[before..];
        assert!(
            sent.iter().all(|r| r.header("x-injected").is_none()),
            "{outbound:?}: a header was injected: {sent:?}"
        );
    }

    assert_logs_keep(&[KEY, WRONG, RIGHT, INJECTING, "sk-crlf-canary-4d5e6f"]);
}

/// `Debug` of the client, of both kinds of configuration and of errors never shows the key.
#[tokio::test]
async fn debug_output_never_shows_the_api_key() {
    const KEY: &str = "sk-debug-canary-7b6a5f4e3d2c1b0a9f8e";
    let client = QdrantClient::new("http://127.0.0.1:6333", Some(KEY))
        .await
        .unwrap();
    let tuned = client
        .clone()
        .with_timeout(Duration::from_secs(3))
        .with_outbound(Outbound::WasiHttp)
        .with_shard_key("tenant");
    for shown in [format!("{client:?}"), format!("{tuned:#?}")] {
        assert!(!leaks(&shown, KEY), "{shown}");
        assert!(shown.contains("127.0.0.1:6333"), "{shown}");
    }

    let settings = Settings::from_lookup(|name| match name {
        "QDRANT_API_KEY" => Some(KEY.to_owned()),
        _ => None,
    })
    .unwrap();
    assert_eq!(settings.api_key.as_deref(), Some(KEY));
    for shown in [format!("{settings:?}"), format!("{settings:#?}")] {
        assert!(!leaks(&shown, KEY), "{shown}");
    }

    // The WIT config record, which carries the key into the component, derives `Debug`
    // (wasmtime's bindgen) and is not public: only the client's own `Debug` can show it.

    // Errors from a refused key (the message comes from the server).
    let server = EmbeddedServer::start(Options {
        api_key: Some("the-right-one".into()),
        ..Options::default()
    })
    .await
    .unwrap();
    let refused = QdrantClient::new(&server.url(), Some(KEY))
        .await
        .unwrap()
        .collection_exists("c")
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Unauthorized(_)), "{refused:?}");
    assert_error_keeps("a refused key", &refused, KEY);
    server.shutdown().await;
}

// ---- the component has no way out of its own ------------------------------------------

/// The import names of a component build.
fn imports(wasm: &[u8]) -> Vec<String> {
    let mut config = wasmtime::Config::new();
    config.cranelift_opt_level(wasmtime::OptLevel::None);
    let engine = wasmtime::Engine::new(&config).unwrap();
    let component = wasmtime::component::Component::new(&engine, wasm).unwrap();
    let ty = component.component_type();
    ty.imports(&engine)
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// Neither build imports a filesystem or sockets: whatever a host links, the component
/// cannot open a file or a connection. Its only ways out are the host's `http-transport`
/// (the default build) or `wasi:http` (the `retriever` build), both policed by the host.
/// Its other imports are std's: clocks, random seed, stdio and `wasi:cli/environment`, which
/// the hosts grant empty (no variables, no arguments, no preopened directories).
#[test]
fn the_component_imports_no_filesystem_sockets_or_other_way_out() {
    let allowed = |import: &str, extra: &[&str]| {
        ["wasi:cli/", "wasi:clocks/", "wasi:io/", "wasi:random/"]
            .iter()
            .chain(extra)
            .any(|prefix| import.starts_with(prefix))
    };
    for (build, wasm, way_out, extra) in [
        (
            "retriever-hosted",
            COMPONENT_WASM,
            "qdrant:retriever/http-transport@",
            &[
                "qdrant:retriever/http-transport@",
                "qdrant:retriever/types@",
            ][..],
        ),
        (
            "retriever",
            COMPONENT_WASI_HTTP_WASM,
            "wasi:http/outgoing-handler@",
            &[
                "wasi:http/outgoing-handler@",
                "wasi:http/types@",
                "qdrant:retriever/types@",
            ][..],
        ),
    ] {
        let imports = imports(wasm);
        assert!(
            imports.iter().any(|i| i.starts_with(way_out)),
            "{build}: no {way_out} in {imports:?}"
        );
        for import in &imports {
            assert!(
                !import.starts_with("wasi:filesystem") && !import.starts_with("wasi:sockets"),
                "{build} imports {import}"
            );
            assert!(
                allowed(import, extra),
                "{build} imports {import}, a new capability"
            );
        }
        if build == "retriever-hosted" {
            assert!(
                !imports.iter().any(|i| i.starts_with("wasi:http")),
                "{build}: {imports:?}"
            );
        }
        println!("{build}: {}", imports.join(", "));
    }
}
