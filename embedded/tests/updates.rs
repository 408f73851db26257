//! Vector updates (`PUT .../points/vectors`, `POST .../points/vectors/delete`) and
//! `POST .../points/batch`, checked by reading the points back.

mod common;

use common::Server;
use serde_json::{Value, json};

fn collection(server: &Server) {
    server.ok(
        "PUT",
        "/collections/u",
        Some(json!({
            "vectors": {"a": {"size": 2, "distance": "Dot"}, "b": {"size": 3, "distance": "Dot"}},
            "sparse_vectors": {"s": {}},
        })),
    );
    server.ok(
        "PUT",
        "/collections/u/points?wait=true",
        Some(json!({"points": [
            {"id": 1, "vector": {"a": [1.0, 0.0], "b": [1.0, 1.0, 1.0]}, "payload": {"k": 1}},
            {"id": 2, "vector": {"a": [0.0, 1.0], "s": {"indices": [4], "values": [0.5]}}, "payload": {"k": 2}},
        ]})),
    );
}

/// Points by id, with payloads and every vector.
fn read(server: &Server, ids: &[u64]) -> Vec<Value> {
    let records = server.ok(
        "POST",
        "/collections/u/points",
        Some(json!({"ids": ids, "with_payload": true, "with_vector": true})),
    );
    records.as_array().unwrap().clone()
}

#[test]
fn vectors_are_updated_and_deleted_by_name() {
    let server = Server::start();
    collection(&server);
    let r = server.ok(
        "PUT",
        "/collections/u/points/vectors?wait=true",
        Some(json!({"points": [{"id": 1, "vector": {"a": [0.0, 2.0], "s": {"indices": [1], "values": [3.0]}}}]})),
    );
    assert_eq!(r["status"], "completed");
    let one = &read(&server, &[1])[0];
    assert_eq!(one["vector"]["a"], json!([0.0, 2.0]));
    assert_eq!(
        one["vector"]["b"],
        json!([1.0, 1.0, 1.0]),
        "other vectors are kept"
    );
    assert_eq!(one["vector"]["s"], json!({"indices": [1], "values": [3.0]}));
    assert_eq!(one["payload"], json!({"k": 1}));

    // Wrong size, unknown name, sparse for dense: refused, nothing written.
    let before = read(&server, &[1, 2]);
    for (vector, start) in [
        (
            json!({"a": [1.0]}),
            "Wrong input: Vector dimension error: expected dim: 2, got 1",
        ),
        (
            json!({"zzz": [1.0, 2.0]}),
            "Wrong input: Not existing vector name error: zzz",
        ),
        (
            json!({"a": {"indices": [1], "values": [1.0]}}),
            "Wrong input: ",
        ),
    ] {
        let body = json!({"points": [{"id": 2, "vector": {"a": [5.0, 5.0]}}, {"id": 1, "vector": vector}]});
        let message = server.err("PUT", "/collections/u/points/vectors", Some(body), 400);
        assert!(message.starts_with(start), "{message}");
    }
    assert_eq!(read(&server, &[1, 2]), before);

    server.ok(
        "POST",
        "/collections/u/points/vectors/delete?wait=true",
        Some(json!({"points": [1], "vector": ["b", "s"]})),
    );
    let one = &read(&server, &[1])[0];
    assert_eq!(one["vector"], json!({"a": [0.0, 2.0]}));
    server.ok(
        "POST",
        "/collections/u/points/vectors/delete?wait=true",
        Some(json!({"filter": {"must": [{"key": "k", "match": {"value": 2}}]}, "vector": ["a"]})),
    );
    let two = &read(&server, &[2])[0];
    assert_eq!(
        two["vector"],
        json!({"s": {"indices": [4], "values": [0.5]}})
    );
    let message = server.err(
        "POST",
        "/collections/u/points/vectors/delete",
        Some(json!({"points": [1], "vector": ["nope"]})),
        400,
    );
    assert_eq!(message, "Wrong input: Not existing vector name error: nope");
    let message = server.err(
        "POST",
        "/collections/u/points/vectors/delete",
        Some(json!({"points": [1]})),
        400,
    );
    assert!(
        message.starts_with("Json deserialize error: missing field `vector`"),
        "{message}"
    );
    server.stop();
}

#[test]
fn a_batch_applies_its_operations_in_order() {
    let server = Server::start();
    collection(&server);
    let operations = json!([
        {"upsert": {"points": [{"id": 3, "vector": {"a": [1.0, 1.0]}, "payload": {"k": 3, "x": true}}]}},
        {"set_payload": {"payload": {"tag": "new"}, "points": [1, 3]}},
        {"delete_payload": {"keys": ["x"], "points": [3]}},
        {"overwrite_payload": {"payload": {"only": 1}, "filter": {"must": [{"key": "k", "match": {"value": 1}}]}}},
        {"update_vectors": {"points": [{"id": 3, "vector": {"b": [0.0, 0.0, 1.0]}}]}},
        {"delete_vectors": {"points": [3], "vector": ["a"]}},
        {"delete": {"points": [2]}},
        {"upsert": {"batch": {"ids": [4], "vectors": {"a": [[2.0, 2.0]]}, "payloads": [{"k": 4}]}}},
        {"clear_payload": {"points": [4]}},
    ]);
    let results = server.ok(
        "POST",
        "/collections/u/points/batch?wait=true",
        Some(json!({"operations": operations})),
    );
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), 9);
    assert!(
        results.iter().all(|r| r["status"] == "completed"),
        "{results:?}"
    );
    let ids: Vec<u64> = results
        .iter()
        .map(|r| r["operation_id"].as_u64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");

    let points = read(&server, &[1, 2, 3, 4]);
    let by_id = |id: u64| points.iter().find(|p| p["id"] == json!(id)).cloned();
    assert!(by_id(2).is_none(), "deleted");
    assert_eq!(by_id(1).unwrap()["payload"], json!({"only": 1}));
    let three = by_id(3).unwrap();
    assert_eq!(three["payload"], json!({"k": 3, "tag": "new"}));
    assert_eq!(three["vector"], json!({"b": [0.0, 0.0, 1.0]}));
    let four = by_id(4).unwrap();
    assert_eq!(four["payload"], json!({}));
    assert_eq!(four["vector"], json!({"a": [2.0, 2.0]}));

    // One bad operation anywhere: refused before anything is written.
    let before = read(&server, &[1, 3, 4, 5]);
    let bad = json!({"operations": [
        {"upsert": {"points": [{"id": 5, "vector": {"a": [1.0, 1.0]}}]}},
        {"delete": {"points": [1]}},
        {"update_vectors": {"points": [{"id": 3, "vector": {"b": [1.0]}}]}},
    ]});
    let message = server.err("POST", "/collections/u/points/batch", Some(bad), 400);
    assert!(
        message.starts_with("Wrong input: Vector dimension error"),
        "{message}"
    );
    assert_eq!(read(&server, &[1, 3, 4, 5]), before);
    let unknown = json!({"operations": [{"frobnicate": {}}]});
    let message = server.err("POST", "/collections/u/points/batch", Some(unknown), 400);
    assert!(
        message.starts_with("Json deserialize error: unknown variant `frobnicate`"),
        "{message}"
    );
    let r = server.ok(
        "POST",
        "/collections/u/points/batch",
        Some(json!({"operations": []})),
    );
    assert_eq!(r, json!([]));
    server.stop();
}
