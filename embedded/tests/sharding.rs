//! Custom sharding and the cluster parameters, answered as a standalone Qdrant answers
//! them: `consistency` and `ordering` are taken, shard keys cannot be created, a custom
//! collection has no shards, and a named shard key does not exist.

mod common;

use common::{Server, create_dense, ids, seed};
use serde_json::{Value, json};

const N: u64 = 12;

#[test]
fn consistency_and_ordering_are_accepted_on_every_endpoint_that_takes_them() {
    let server = Server::start();
    create_dense(&server, "c", "Cosine");
    seed(&server, "c", N);
    for consistency in ["2", "majority", "quorum", "all"] {
        let q = format!("consistency={consistency}");
        let count = server.ok(
            "POST",
            &format!("/collections/c/points/count?{q}"),
            Some(json!({"exact": true})),
        );
        assert_eq!(count["count"], N);
        let hits = server.ok(
            "POST",
            &format!("/collections/c/points/query?{q}"),
            Some(json!({"query": 3, "limit": 2})),
        );
        assert_eq!(hits["points"].as_array().unwrap().len(), 2);
        let got = server.ok(
            "POST",
            &format!("/collections/c/points?{q}"),
            Some(json!({"ids": [1, 2]})),
        );
        assert_eq!(ids(&got), [1, 2]);
    }
    for ordering in ["weak", "medium", "strong"] {
        let path = format!("/collections/c/points/payload?wait=true&ordering={ordering}");
        let r = server.ok(
            "POST",
            &path,
            Some(json!({"points": [1], "payload": {"o": ordering}})),
        );
        assert_eq!(r["status"], "completed");
    }
    let got = server.ok("GET", "/collections/c/points/1", None);
    assert_eq!(got["payload"]["o"], "strong");
}

#[test]
fn shard_keys_cannot_be_created_on_a_standalone_server() {
    let server = Server::start();
    create_dense(&server, "auto", "Dot");
    for (method, path) in [
        ("PUT", "/collections/auto/shards"),
        ("POST", "/collections/auto/shards/delete"),
        // Refused before the collection is looked up, as Qdrant does.
        ("PUT", "/collections/nowhere/shards"),
    ] {
        let message = server.err(method, path, Some(json!({"shard_key": "eu"})), 400);
        assert_eq!(message, "Bad request: Distributed mode disabled");
    }
    assert_eq!(
        server.ok("GET", "/collections/auto/shards", None),
        json!({"shard_keys": null})
    );
    let missing = server.err("GET", "/collections/nowhere/shards", None, 404);
    assert!(
        missing.starts_with("Not found: Collection `nowhere`"),
        "{missing}"
    );
}

#[test]
fn a_named_shard_key_does_not_exist() {
    let server = Server::start();
    create_dense(&server, "c", "Cosine");
    seed(&server, "c", N);
    let writes = [
        (
            "PUT",
            "points",
            json!({"points": [{"id": 99, "vector": [1, 0, 0, 0]}], "shard_key": "eu"}),
        ),
        (
            "POST",
            "points/delete",
            json!({"points": [1], "shard_key": "eu"}),
        ),
        (
            "POST",
            "points/payload",
            json!({"points": [1], "payload": {"a": 1}, "shard_key": "eu"}),
        ),
        (
            "PUT",
            "points/payload",
            json!({"points": [1], "payload": {"a": 1}, "shard_key": "eu"}),
        ),
        (
            "POST",
            "points/payload/delete",
            json!({"points": [1], "keys": ["n"], "shard_key": "eu"}),
        ),
        (
            "POST",
            "points/payload/clear",
            json!({"points": [1], "shard_key": "eu"}),
        ),
        (
            "PUT",
            "points/vectors",
            json!({"points": [{"id": 1, "vector": [0, 1, 0, 0]}], "shard_key": "eu"}),
        ),
        (
            "POST",
            "points/vectors/delete",
            json!({"points": [1], "vector": [""], "shard_key": "eu"}),
        ),
        (
            "POST",
            "points/batch",
            json!({"operations": [{"delete": {"points": [1], "shard_key": "eu"}}]}),
        ),
    ];
    for (method, path, body) in writes {
        let message = server.err(
            method,
            &format!("/collections/c/{path}?wait=true"),
            Some(body),
            400,
        );
        assert_eq!(message, "Wrong input: Shard key \"eu\" not found", "{path}");
    }
    let numbered = json!({"points": [{"id": 99, "vector": [1, 0, 0, 0]}], "shard_key": [7, "eu"]});
    let message = server.err(
        "PUT",
        "/collections/c/points?wait=true",
        Some(numbered),
        400,
    );
    assert_eq!(message, "Wrong input: Shard key 7 not found");
    let reads = [
        ("points", json!({"ids": [1], "shard_key": "eu"})),
        ("points/count", json!({"shard_key": "eu"})),
        ("points/scroll", json!({"shard_key": "eu"})),
        ("points/query", json!({"query": 1, "shard_key": "eu"})),
        (
            "points/query/batch",
            json!({"searches": [{"query": 1, "shard_key": "eu"}]}),
        ),
        (
            "points/query/groups",
            json!({"query": 1, "group_by": "parity", "shard_key": "eu"}),
        ),
        (
            "points/search",
            json!({"vector": [1, 0, 0, 0], "limit": 3, "shard_key": "eu"}),
        ),
        (
            "points/recommend",
            json!({"positive": [1], "limit": 3, "shard_key": "eu"}),
        ),
        ("facet", json!({"key": "parity", "shard_key": "eu"})),
    ];
    for (path, body) in reads {
        let message = server.err("POST", &format!("/collections/c/{path}"), Some(body), 400);
        assert_eq!(message, "Bad request: Shard key \"eu\" not found", "{path}");
    }
    let fallback = json!({"target": "tenant-1", "fallback": "shared"});
    for (method, path, body) in [
        (
            "PUT",
            "points?wait=true",
            json!({"points": [{"id": 99, "vector": [1, 0, 0, 0]}], "shard_key": fallback}),
        ),
        (
            "POST",
            "points/query",
            json!({"query": 1, "shard_key": fallback}),
        ),
    ] {
        let message = server.err(method, &format!("/collections/c/{path}"), Some(body), 404);
        assert_eq!(
            message,
            "Not found: Neither target shard key \"tenant-1\" nor fallback shard key \"shared\" exist not found"
        );
    }
    // Nothing was written or lost.
    let all = server.ok(
        "POST",
        "/collections/c/points/scroll",
        Some(json!({"limit": 100, "with_vector": true})),
    );
    assert_eq!(ids(&all["points"]), (1..=N).collect::<Vec<_>>());
    assert!(
        all["points"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["payload"].get("a").is_none())
    );
}

#[test]
fn a_custom_sharded_collection_has_no_shards() {
    let server = Server::start();
    let body = json!({"vectors": {"size": 4, "distance": "Cosine"}, "sharding_method": "custom"});
    assert_eq!(server.ok("PUT", "/collections/t", Some(body)), json!(true));
    let info = server.ok("GET", "/collections/t", None);
    assert_eq!(info["config"]["params"]["sharding_method"], "custom");
    assert_eq!(
        server.ok("GET", "/collections/t/shards", None),
        json!({"shard_keys": []})
    );
    let upsert = json!({"points": [{"id": 1, "vector": [1, 0, 0, 0]}]});
    let message = server.err("PUT", "/collections/t/points?wait=true", Some(upsert), 400);
    assert_eq!(message, "Wrong input: Shard key not specified");
    let message = server.err(
        "POST",
        "/collections/t/points/delete",
        Some(json!({"points": [1]})),
        400,
    );
    assert_eq!(message, "Wrong input: Shard key not specified");
    // Reads without a key look in every shard, and there are none.
    assert_eq!(
        server.ok("POST", "/collections/t/points/count", Some(json!({}))),
        json!({"count": 0})
    );
    assert_eq!(
        server.ok("POST", "/collections/t/points", Some(json!({"ids": [1]}))),
        json!([])
    );
    let page = server.ok("POST", "/collections/t/points/scroll", Some(json!({})));
    assert_eq!(page, json!({"points": [], "next_page_offset": null}));
    let hits = server.ok(
        "POST",
        "/collections/t/points/query",
        Some(json!({"query": [1, 0, 0, 0]})),
    );
    assert_eq!(hits, json!({"points": []}));
    let groups = server.ok(
        "POST",
        "/collections/t/points/query/groups",
        Some(json!({"query": [1, 0, 0, 0], "group_by": "g"})),
    );
    assert_eq!(groups, json!({"groups": []}));
    let search: Value = server.ok(
        "POST",
        "/collections/t/points/search",
        Some(json!({"vector": [1, 0, 0, 0], "limit": 3})),
    );
    assert_eq!(search, json!([]));
}
