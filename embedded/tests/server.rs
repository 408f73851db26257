//! The embedded server over real HTTP, as a whole: one engine per data directory, data kept
//! across a restart, the background optimizer, the api-key, and regressions of what the
//! conformance run found.

use std::time::{Duration, Instant};

mod common;

use common::Server;
use qdrant_embedded::{EmbeddedServer, Options};
use serde_json::{Value, json};

#[test]
fn a_data_directory_serves_one_engine_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let first = Server::start_with(Some(dir.path().to_path_buf()), None);
    let second = first.rt.block_on(EmbeddedServer::start(Options {
        data_dir: Some(dir.path().to_path_buf()),
        ..Options::default()
    }));
    let message = second
        .err()
        .expect("a second engine is refused")
        .to_string();
    assert!(
        message.contains("is in use by another embedded engine"),
        "{message}"
    );
    first.stop();
    // Released with the engine.
    Server::start_with(Some(dir.path().to_path_buf()), None).stop();
}

#[test]
fn persistence_across_restart() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start_with(Some(dir.path().to_path_buf()), None);
    s.ok(
        "PUT",
        "/collections/keep",
        Some(json!({
            "vectors": {"v": {"size": 4, "distance": "Dot"}},
            "sparse_vectors": {"s": {"modifier": "idf"}},
            "shard_number": 3,
            "hnsw_config": {"m": 12},
            "optimizers_config": {"indexing_threshold": 0},
            "quantization_config": {"scalar": {"type": "int8"}}
        })),
    );
    s.ok(
        "PUT",
        "/collections/keep/points?wait=true",
        Some(json!({"points": [
            {"id": 1, "vector": {"v": [1.0, 0.0, 0.0, 0.0], "s": {"indices": [3], "values": [1.0]}}, "payload": {"k": "a"}},
            {"id": "0d0b9c3e-0000-4000-8000-000000000001", "vector": {"v": [0.0, 1.0, 0.0, 0.0]}, "payload": {"k": "b"}}
        ]})),
    );
    s.ok(
        "PUT",
        "/collections/keep/index?wait=true",
        Some(json!({"field_name": "k", "field_schema": "keyword"})),
    );
    s.ok(
        "POST",
        "/collections/aliases",
        Some(json!({"actions": [{"create_alias": {"collection_name": "keep", "alias_name": "kept"}}]})),
    );
    s.ok(
        "PATCH",
        "/collections/keep",
        Some(json!({"optimizers_config": {"deleted_threshold": 0.5}})),
    );
    let before = s.ok("GET", "/collections/keep", None);
    s.stop();

    let s = Server::start_with(Some(dir.path().to_path_buf()), None);
    let after = s.ok("GET", "/collections/kept", None);
    assert_eq!(after["points_count"], 2);
    assert_eq!(after["config"], before["config"]);
    assert_eq!(after["config"]["params"]["shard_number"], 3);
    assert_eq!(
        after["config"]["optimizer_config"]["deleted_threshold"],
        0.5
    );
    assert_eq!(after["payload_schema"]["k"]["data_type"], "keyword");
    let r = s.ok(
        "POST",
        "/collections/kept/points/query",
        Some(
            json!({"query": {"indices": [3], "values": [1.0]}, "using": "s", "with_payload": true}),
        ),
    );
    assert_eq!(r["points"][0]["payload"]["k"], "a");
    s.stop();
}

#[test]
fn background_optimizer_builds_the_index() {
    let s = Server::start();
    s.ok(
        "PUT",
        "/collections/opt",
        Some(json!({
            "vectors": {"size": 8, "distance": "Cosine"},
            "optimizers_config": {"indexing_threshold": 1}
        })),
    );
    let points: Vec<Value> = (0..300u64)
        .map(|i| {
            let v: Vec<f32> = (0..8)
                .map(|d| ((i * 7 + d * 13) % 17) as f32 + 0.5)
                .collect();
            json!({"id": i, "vector": v})
        })
        .collect();
    s.ok(
        "PUT",
        "/collections/opt/points?wait=true",
        Some(json!({"points": points})),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let info = loop {
        let info = s.ok("GET", "/collections/opt", None);
        assert_ne!(info["status"], "red", "{info}");
        if info["indexed_vectors_count"].as_u64().unwrap() >= 300 && info["status"] == "green" {
            break info;
        }
        assert!(Instant::now() < deadline, "optimizer did not index: {info}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(info["points_count"], 300);
    // Search still answers the same after indexing.
    let r = s.ok(
        "POST",
        "/collections/opt/points/query",
        Some(json!({"query": 5, "limit": 5, "params": {"hnsw_ef": 64}})),
    );
    assert_eq!(r["points"].as_array().unwrap().len(), 5);
    let exact = s.ok(
        "POST",
        "/collections/opt/points/query",
        Some(json!({"query": 5, "limit": 5, "params": {"exact": true}})),
    );
    assert_eq!(exact["points"].as_array().unwrap().len(), 5);
    s.stop();
}

#[test]
fn api_key_is_required_except_for_health() {
    let mut s = Server::start_with(None, Some("secret"));
    let (status, body) = s.req("GET", "/collections", None);
    assert_eq!(status, 401);
    assert!(body.is_string());
    for open in ["/", "/healthz", "/livez", "/readyz"] {
        assert_eq!(s.req("GET", open, None).0, 200, "{open}");
    }
    s.api_key = Some("wrong".into());
    assert_eq!(s.req("GET", "/collections", None).0, 401);
    s.api_key = Some("secret".into());
    s.ok("GET", "/collections", None);
    s.api_key = None;
    let mut response = s
        .agent
        .get(format!("{}/collections", s.url))
        .header("Authorization", "Bearer secret")
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let _ = response.body_mut().read_to_string();
    s.stop();
}

/// Cases schemathesis (tests/conformance) found: each answered 5xx or broke the spec's schema.
#[test]
fn conformance_regressions() {
    let server = Server::start();
    // A vector name is a directory name: a NUL or a slash in it was a 500 (or a path outside
    // the collection); Qdrant rejects such names as a validation error.
    for (vectors, sparse) in [
        (
            json!({"a\u{0}b": {"size": 4, "distance": "Dot"}}),
            json!(null),
        ),
        (json!({"../x": {"size": 4, "distance": "Dot"}}), json!(null)),
        (json!(null), json!({"s\u{0}": {}})),
        (json!(null), json!({"a/b": {}})),
        (
            json!({"v".repeat(201): {"size": 4, "distance": "Dot"}}),
            json!(null),
        ),
    ] {
        let message = server.err(
            "PUT",
            "/collections/bad_vector_name",
            Some(json!({"vectors": vectors, "sparse_vectors": sparse})),
            422,
        );
        assert!(message.contains("vector name"), "{message}");
        assert!(
            !server.ok("GET", "/collections/bad_vector_name/exists", None)["exists"]
                .as_bool()
                .unwrap()
        );
    }
    server.stop();
}
