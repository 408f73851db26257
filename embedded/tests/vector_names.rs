//! `PUT`/`DELETE /collections/{name}/vectors/{vector}`: a named vector added to or removed
//! from a collection that has points, checked through reads, queries and a restart.

mod common;

use common::{Server, create_dense, seed};
use serde_json::{Value, json};

const N: u64 = 10;

fn vectors_of(server: &Server, id: u64) -> Value {
    server.ok("GET", &format!("/collections/c/points/{id}"), None)["vector"].clone()
}

#[test]
fn a_named_vector_is_added_filled_queried_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(Some(dir.path().to_owned()), None);
    create_dense(&server, "c", "Cosine");
    seed(&server, "c", N);
    let before = vectors_of(&server, 2);

    let added = server.ok(
        "PUT",
        "/collections/c/vectors/extra?wait=true",
        Some(json!({"dense": {"size": 3, "distance": "Dot"}})),
    );
    assert_eq!(added["status"], "completed");
    let params = &server.ok("GET", "/collections/c", None)["config"]["params"];
    assert_eq!(params["vectors"]["extra"]["size"], 3);
    assert_eq!(params["vectors"]["extra"]["distance"], "Dot");
    // Existing points have no value for it, and keep their others.
    assert_eq!(vectors_of(&server, 2), before);
    let by_extra = json!({"query": [1.0, 0.0, 0.0], "using": "extra", "limit": 5});
    let hits = server.ok(
        "POST",
        "/collections/c/points/query",
        Some(by_extra.clone()),
    );
    assert_eq!(hits["points"], json!([]));

    // Filled for two points, it finds them by their own scores.
    let update = json!({"points": [
        {"id": 1, "vector": {"extra": [2.0, 0.0, 0.0]}},
        {"id": 3, "vector": {"extra": [0.5, 0.5, 0.0]}}
    ]});
    server.ok(
        "PUT",
        "/collections/c/points/vectors?wait=true",
        Some(update),
    );
    let hits = server.ok(
        "POST",
        "/collections/c/points/query",
        Some(by_extra.clone()),
    );
    let scored: Vec<(u64, f64)> = hits["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_u64().unwrap(), p["score"].as_f64().unwrap()))
        .collect();
    assert_eq!(scored, [(1, 2.0), (3, 0.5)]);

    // The same configuration again changes nothing; another one is refused.
    let again = server.ok(
        "PUT",
        "/collections/c/vectors/extra",
        Some(json!({"dense": {"size": 3, "distance": "Dot"}})),
    );
    assert_eq!(again["status"], "acknowledged");
    let message = server.err(
        "PUT",
        "/collections/c/vectors/extra",
        Some(json!({"dense": {"size": 4, "distance": "Dot"}})),
        400,
    );
    assert_eq!(
        message,
        "Wrong input: Vector `extra` already exists with a different configuration"
    );
    let message = server.err(
        "PUT",
        "/collections/c/vectors/extra",
        Some(json!({"sparse": {}})),
        400,
    );
    assert_eq!(
        message,
        "Wrong input: Vector `extra` already exists as a dense vector"
    );

    // A sparse one.
    server.ok(
        "PUT",
        "/collections/c/vectors/bm25?wait=true",
        Some(json!({"sparse": {"modifier": "idf"}})),
    );
    let params = &server.ok("GET", "/collections/c", None)["config"]["params"];
    assert_eq!(params["sparse_vectors"]["bm25"]["modifier"], "idf");
    let message = server.err(
        "PUT",
        "/collections/c/vectors/bm25",
        Some(json!({"dense": {"size": 3, "distance": "Dot"}})),
        400,
    );
    assert_eq!(
        message,
        "Wrong input: Vector `bm25` already exists as a sparse vector"
    );

    // Removed: its values are gone, queries by it are refused, removing again is a no-op.
    let removed = server.ok("DELETE", "/collections/c/vectors/extra?wait=true", None);
    assert_eq!(removed["status"], "completed");
    assert_eq!(vectors_of(&server, 1), before_of(&server, 1));
    assert!(vectors_of(&server, 1).get("extra").is_none());
    let message = server.err("POST", "/collections/c/points/query", Some(by_extra), 400);
    assert!(
        message.starts_with("Wrong input:") && message.contains("extra"),
        "{message}"
    );
    server.ok("DELETE", "/collections/c/vectors/extra", None);
    assert!(
        server.ok("GET", "/collections/c", None)["config"]["params"]["vectors"]
            .get("extra")
            .is_none()
    );

    // Both changes outlive a restart.
    server.stop();
    let server = Server::start_with(Some(dir.path().to_owned()), None);
    let params = &server.ok("GET", "/collections/c", None)["config"]["params"];
    assert_eq!(params["sparse_vectors"]["bm25"]["modifier"], "idf");
    assert!(params["vectors"].get("extra").is_none(), "{params}");
    assert_eq!(vectors_of(&server, 2), before);
}

/// Point `id`'s vectors without `extra`: what it had before `extra` existed.
fn before_of(server: &Server, id: u64) -> Value {
    let mut v = vectors_of(server, id);
    if let Some(map) = v.as_object_mut() {
        map.remove("extra");
    }
    v
}

#[test]
fn bad_vector_names_and_bodies_answer_as_qdrant() {
    let server = Server::start();
    create_dense(&server, "c", "Cosine");
    let message = server.err(
        "PUT",
        "/collections/c/vectors/extra",
        Some(json!({"dense": {"size": 0, "distance": "Dot"}})),
        422,
    );
    assert!(
        message.contains("dense.size: value 0 invalid, must be from 1 to 65536"),
        "{message}"
    );
    let message = server.err("PUT", "/collections/c/vectors/extra", Some(json!({})), 400);
    assert!(
        message.contains("did not match any variant of untagged enum VectorNameConfig"),
        "{message}"
    );
    let message = server.err(
        "PUT",
        "/collections/c/vectors/a:b",
        Some(json!({"dense": {"size": 3, "distance": "Dot"}})),
        422,
    );
    assert!(
        message.starts_with("Validation error in path parameters: [vector_name:"),
        "{message}"
    );
    server.err(
        "PUT",
        "/collections/absent/vectors/extra",
        Some(json!({"dense": {"size": 3, "distance": "Dot"}})),
        404,
    );
}
