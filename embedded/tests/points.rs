//! The embedded server over real HTTP, as a Qdrant client drives it: points written, read,
//! counted and scrolled, their payloads changed, and their vectors given back as stored.

mod common;

use common::{Server, create_dense, seed};
use serde_json::{Value, json};

#[test]
fn points_crud_payload_count_scroll() {
    let s = Server::start();
    create_dense(&s, "c", "Cosine");
    seed(&s, "c", 25);
    // UUID ids and the batch form.
    let uuid = "5c56c793-69f3-4fbf-87e6-c4bf54c28c26";
    s.ok(
        "PUT",
        "/collections/c/points",
        Some(json!({"points": [{"id": uuid, "vector": [1.0, 0.0, 0.0, 0.0], "payload": {"kind": "uuid"}}]})),
    );
    let r = s.ok(
        "PUT",
        "/collections/c/points?wait=true",
        Some(json!({"batch": {
            "ids": [100, 101],
            "vectors": [[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]],
            "payloads": [{"kind": "batch"}, null]
        }})),
    );
    assert_eq!(r["status"], "completed");
    assert!(r["operation_id"].is_u64());
    assert_eq!(
        s.ok("POST", "/collections/c/points/count", Some(json!({})))["count"],
        28
    );

    // Get by ids: payload by default, no vector, missing ids skipped, order kept.
    let got = s.ok(
        "POST",
        "/collections/c/points",
        Some(json!({"ids": [101, 100, 9999, uuid]})),
    );
    let got = got.as_array().unwrap();
    assert_eq!(got.len(), 3);
    assert_eq!(got[0]["id"], 101);
    assert_eq!(got[0]["payload"], json!({}));
    assert_eq!(got[1]["payload"], json!({"kind": "batch"}));
    assert_eq!(got[2]["id"], uuid);
    assert!(got[2]["vector"].is_null());
    let got = s.ok(
        "POST",
        "/collections/c/points",
        Some(json!({"ids": [100], "with_payload": false, "with_vector": true})),
    );
    assert_eq!(got[0]["vector"], json!([0.0, 1.0, 0.0, 0.0]));
    assert!(got[0]["payload"].is_null());

    // Single point.
    let p = s.ok("GET", "/collections/c/points/3", None);
    assert_eq!(p["id"], 3);
    assert_eq!(p["payload"]["n"], 3);
    assert_eq!(p["vector"].as_array().unwrap().len(), 4);
    let p = s.ok("GET", &format!("/collections/c/points/{uuid}"), None);
    assert_eq!(p["payload"]["kind"], "uuid");
    let m = s.err("GET", "/collections/c/points/424242", None, 404);
    assert_eq!(m, "Not found: No point with id 424242 found");

    // Count with filters.
    let count = |filter: Value| {
        s.ok(
            "POST",
            "/collections/c/points/count",
            Some(json!({"filter": filter, "exact": true})),
        )["count"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(
        count(json!({"must": [{"key": "parity", "match": {"value": "even"}}]})),
        12
    );
    assert_eq!(
        count(json!({"must": [{"key": "n", "range": {"gte": 5, "lt": 10}}]})),
        5
    );
    assert_eq!(
        count(json!({"must_not": [{"key": "parity", "match": {"value": "even"}}]})),
        16
    );
    assert_eq!(
        count(
            json!({"should": [{"key": "n", "match": {"any": [1, 2, 3]}}, {"key": "kind", "match": {"value": "uuid"}}]})
        ),
        4
    );
    assert_eq!(
        count(json!({"must": [{"key": "tags", "match": {"value": "t2"}}]})),
        6
    );
    assert_eq!(
        count(json!({"must": [{"key": "nested.x", "range": {"gt": 200}}]})),
        5
    );
    assert_eq!(count(json!({"must": [{"has_id": [1, 2, 100, 5000]}]})), 3);
    assert_eq!(count(json!({"must": [{"is_empty": {"key": "n"}}]})), 3);

    // Scroll walks the whole collection.
    let mut seen = Vec::new();
    let mut offset = Value::Null;
    let mut pages = 0;
    loop {
        let page = s.ok(
            "POST",
            "/collections/c/points/scroll",
            Some(
                json!({"limit": 6, "offset": offset, "with_payload": ["n"], "with_vector": false}),
            ),
        );
        pages += 1;
        for p in page["points"].as_array().unwrap() {
            assert!(p["vector"].is_null());
            seen.push(p["id"].clone());
        }
        offset = page["next_page_offset"].clone();
        if offset.is_null() {
            break;
        }
    }
    assert_eq!(pages, 5);
    assert_eq!(seen.len(), 28);
    let page = s.ok(
        "POST",
        "/collections/c/points/scroll",
        Some(json!({"filter": {"must": [{"key": "parity", "match": {"value": "odd"}}]}, "limit": 100, "with_vector": true})),
    );
    assert_eq!(page["points"].as_array().unwrap().len(), 13);
    assert!(page["next_page_offset"].is_null());
    assert_eq!(page["points"][0]["vector"].as_array().unwrap().len(), 4);
    assert_eq!(page["points"][0]["payload"]["parity"], "odd");
    s.err(
        "POST",
        "/collections/c/points/scroll",
        Some(json!({"limit": 0})),
        422,
    );

    // Payload: set (by ids, by filter, under a key), overwrite, delete keys, clear.
    let r = s.ok(
        "POST",
        "/collections/c/points/payload?wait=true",
        Some(json!({"payload": {"color": "red"}, "points": [1, 2]})),
    );
    assert_eq!(r["status"], "completed");
    s.ok(
        "POST",
        "/collections/c/points/payload",
        Some(json!({"payload": {"big": true}, "filter": {"must": [{"key": "n", "range": {"gte": 20}}]}})),
    );
    s.ok(
        "POST",
        "/collections/c/points/payload",
        Some(json!({"payload": {"y": 7}, "points": [1], "key": "nested"})),
    );
    let p = s.ok("GET", "/collections/c/points/1", None);
    assert_eq!(p["payload"]["color"], "red");
    assert_eq!(p["payload"]["nested"], json!({"x": 10, "y": 7}));
    assert_eq!(
        count(json!({"must": [{"key": "big", "match": {"value": true}}]})),
        6
    );
    s.ok(
        "PUT",
        "/collections/c/points/payload",
        Some(json!({"payload": {"only": 1}, "points": [2]})),
    );
    assert_eq!(
        s.ok("GET", "/collections/c/points/2", None)["payload"],
        json!({"only": 1})
    );
    s.ok(
        "POST",
        "/collections/c/points/payload/delete",
        Some(json!({"keys": ["color", "tags"], "points": [1]})),
    );
    let p = s.ok("GET", "/collections/c/points/1", None);
    assert!(p["payload"].get("color").is_none() && p["payload"].get("tags").is_none());
    assert_eq!(p["payload"]["n"], 1);
    s.ok(
        "POST",
        "/collections/c/points/payload/clear",
        Some(json!({"points": [1]})),
    );
    assert_eq!(
        s.ok("GET", "/collections/c/points/1", None)["payload"],
        json!({})
    );
    s.ok(
        "POST",
        "/collections/c/points/payload/clear",
        Some(json!({"filter": {"must": [{"key": "big", "match": {"value": true}}]}})),
    );
    assert_eq!(
        count(json!({"must": [{"key": "big", "match": {"value": true}}]})),
        0
    );
    s.err(
        "POST",
        "/collections/c/points/payload",
        Some(json!({"payload": {"a": 1}})),
        422,
    );

    // Delete by ids and by filter; wait=false acknowledges.
    let r = s.ok(
        "POST",
        "/collections/c/points/delete?wait=false",
        Some(json!({"points": [3, 4, uuid]})),
    );
    assert_eq!(r["status"], "acknowledged");
    s.ok(
        "POST",
        "/collections/c/points/delete?wait=true",
        Some(json!({"filter": {"must": [{"key": "parity", "match": {"value": "even"}}]}})),
    );
    // 28 - 3 by id = 25; then the 7 points still tagged even (6..=18; 2 was overwritten, 20+ cleared).
    assert_eq!(
        s.ok("POST", "/collections/c/points/count", None)["count"],
        18
    );
    assert_eq!(s.ok("GET", "/collections/c", None)["points_count"], 18);

    // Write errors: dimension, unknown collection, bad ids, bad json.
    let m = s.err(
        "PUT",
        "/collections/c/points?wait=true",
        Some(json!({"points": [{"id": 1, "vector": [1.0, 2.0, 3.0]}]})),
        400,
    );
    assert_eq!(
        m,
        "Wrong input: Vector dimension error: expected dim: 4, got 3"
    );
    s.err(
        "PUT",
        "/collections/zzz/points",
        Some(json!({"points": [{"id": 1, "vector": [1.0, 2.0, 3.0, 4.0]}]})),
        404,
    );
    s.err(
        "PUT",
        "/collections/c/points",
        Some(json!({"points": [{"id": "not-a-uuid", "vector": [1.0, 2.0, 3.0, 4.0]}]})),
        400,
    );
    s.err(
        "PUT",
        "/collections/c/points",
        Some(json!({"points": [{"id": -1, "vector": [1.0, 2.0, 3.0, 4.0]}]})),
        400,
    );
    s.err(
        "PUT",
        "/collections/c/points",
        Some(json!({"batch": {"ids": [1, 2], "vectors": [[1.0, 2.0, 3.0, 4.0]]}})),
        422,
    );
    let (status, _) = s.raw("POST", "/collections/c/points/count", Some("[".into()));
    assert_eq!(status, 400);
    s.stop();
}

#[test]
fn vectors_and_scores_come_back_as_the_f32_they_are() {
    // Qdrant stores f32 and writes each value the shortest way that reads back as the same
    // f32: 0.15, not 0.15000000596046448 (the f64 nearest to that f32).
    let s = Server::start();
    s.ok(
        "PUT",
        "/collections/v",
        Some(json!({"vectors": {"size": 4, "distance": "Dot"}, "sparse_vectors": {"w": {}}})),
    );
    let dense = [0.15f32, -0.1, 1e-7, 3.0];
    s.ok(
        "PUT",
        "/collections/v/points?wait=true",
        Some(json!({"points": [{"id": 1, "vector": {"": dense, "w": {"indices": [7], "values": [0.3]}}}]})),
    );
    let record = &s.ok(
        "POST",
        "/collections/v/points",
        Some(json!({"ids": [1], "with_vector": true})),
    )[0];
    assert_eq!(record["vector"][""], json!([0.15, -0.1, 1e-7, 3.0]));
    assert_eq!(
        record["vector"]["w"],
        json!({"indices": [7], "values": [0.3]})
    );
    let hit = &s.ok(
        "POST",
        "/collections/v/points/query",
        Some(json!({"query": [1.0, 0.0, 0.0, 0.0], "with_vector": true})),
    )["points"][0];
    let text = hit["score"].to_string();
    assert_eq!(text, "0.15", "{hit}");
    assert_eq!(hit["vector"][""], json!([0.15, -0.1, 1e-7, 3.0]));
    s.stop();
}
