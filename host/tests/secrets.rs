//! The api-key stays a secret: it appears in no log line (everything `tracing` emits, at
//! every level), no error message and no `Debug` output, whatever a server echoes back.
//! Where it may be sent: `secrets_egress.rs`.
//!
//! Logs are captured by a subscriber of the test binary's own (`common/secrets.rs`); raw
//! TCP listeners (`common/raw_http.rs`) play servers that echo the key.

#[path = "common/raw_http.rs"]
mod raw_http;
#[path = "common/secrets.rs"]
mod secrets;

use std::time::Duration;

use qdrant_embedded::{EmbeddedServer, Options};
use qdrant_integration::types::{PointsSelector, QueryRequest, ScrollRequest};
use qdrant_integration::{Error, Outbound, QdrantClient, Settings, VectorPoint};
use raw_http::{HEALTH, RawServer, Reply, Request, json, typed};
use secrets::{
    BUILDS, assert_error_keeps, assert_logs_keep, capture_logs, leaks, scripted_client,
    skip_known_bug,
};
use serde_json::json;

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
