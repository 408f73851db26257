//! Drives the embedded server over real HTTP, endpoint by endpoint, as a Qdrant client would.

use std::time::{Duration, Instant};

mod common;

use common::{Server, create_dense, ids, seed};
use qdrant_embedded::{EmbeddedServer, Options};
use serde_json::{Value, json};

#[test]
fn collections_lifecycle_and_info() {
    let s = Server::start();
    assert_eq!(
        s.ok("GET", "/collections", None),
        json!({"collections": []})
    );
    s.ok(
        "PUT",
        "/collections/full",
        Some(json!({
            "vectors": {"size": 4, "distance": "Cosine", "on_disk": true},
            "shard_number": 2, "replication_factor": 1, "write_consistency_factor": 1,
            "on_disk_payload": false,
            "hnsw_config": {"m": 8, "ef_construct": 64},
            "optimizers_config": {"indexing_threshold": 20000, "default_segment_number": 2},
            "wal_config": {"wal_capacity_mb": 4},
            "quantization_config": {"scalar": {"type": "int8", "quantile": 0.99, "always_ram": true}}
        })),
    );
    let info = s.ok("GET", "/collections/full", None);
    assert_eq!(info["status"], "green");
    assert_eq!(info["optimizer_status"], "ok");
    assert_eq!(info["points_count"], 0);
    assert!(info["segments_count"].as_u64().unwrap() >= 1);
    let config = &info["config"];
    assert_eq!(config["params"]["vectors"]["size"], 4);
    assert_eq!(config["params"]["vectors"]["distance"], "Cosine");
    assert_eq!(config["params"]["vectors"]["on_disk"], true);
    assert_eq!(config["params"]["shard_number"], 2);
    assert_eq!(config["params"]["on_disk_payload"], false);
    assert_eq!(config["hnsw_config"]["m"], 8);
    assert_eq!(config["hnsw_config"]["ef_construct"], 64);
    assert_eq!(config["hnsw_config"]["full_scan_threshold"], 10000);
    assert_eq!(config["optimizer_config"]["indexing_threshold"], 20000);
    assert_eq!(config["optimizer_config"]["deleted_threshold"], 0.2);
    assert_eq!(config["wal_config"]["wal_capacity_mb"], 4);
    assert_eq!(config["quantization_config"]["scalar"]["type"], "int8");
    assert_eq!(info["payload_schema"], json!({}));

    // Named dense vectors with all distances, and a sparse vector with IDF.
    s.ok(
        "PUT",
        "/collections/named",
        Some(json!({
            "vectors": {
                "a": {"size": 3, "distance": "Dot"},
                "b": {"size": 2, "distance": "Euclid", "hnsw_config": {"m": 4}},
                "c": {"size": 2, "distance": "Manhattan"}
            },
            "sparse_vectors": {"text": {"modifier": "idf"}, "plain": {}}
        })),
    );
    let info = s.ok("GET", "/collections/named", None);
    let params = &info["config"]["params"];
    assert_eq!(params["vectors"]["a"]["distance"], "Dot");
    assert_eq!(params["vectors"]["b"]["distance"], "Euclid");
    assert_eq!(params["vectors"]["b"]["hnsw_config"], json!({"m": 4}));
    assert_eq!(params["vectors"]["c"]["distance"], "Manhattan");
    assert_eq!(params["sparse_vectors"]["text"]["modifier"], "idf");
    assert_eq!(params["sparse_vectors"]["plain"], json!({}));

    // Errors.
    let m = s.err(
        "PUT",
        "/collections/full",
        Some(json!({"vectors": {"size": 4, "distance": "Cosine"}})),
        409,
    );
    assert!(m.contains("already exists"), "{m}");
    let m = s.err("GET", "/collections/nope", None, 404);
    assert_eq!(m, "Not found: Collection `nope` doesn't exist!");
    s.err(
        "PUT",
        "/collections/zero",
        Some(json!({"vectors": {"size": 0, "distance": "Cosine"}})),
        422,
    );
    s.err(
        "PUT",
        "/collections/bad",
        Some(json!({"vectors": {"size": 4, "distance": "Hamming"}})),
        400,
    );
    let (status, body) = s.raw("PUT", "/collections/bad", Some("{not json".into()));
    assert_eq!(status, 400);
    assert!(
        body["status"]["error"]
            .as_str()
            .unwrap()
            .starts_with("Json deserialize error:")
    );
    assert_eq!(
        s.ok("GET", "/collections/full/exists", None),
        json!({"exists": true})
    );
    assert_eq!(
        s.ok("GET", "/collections/nope/exists", None),
        json!({"exists": false})
    );

    // PATCH: hnsw, optimizers, quantization on and off, per-vector params.
    s.ok(
        "PATCH",
        "/collections/full",
        Some(json!({
            "hnsw_config": {"m": 32},
            "optimizers_config": {"indexing_threshold": 5000},
            "quantization_config": {"binary": {"always_ram": true}},
            "params": {"replication_factor": 2}
        })),
    );
    let info = s.ok("GET", "/collections/full", None);
    assert_eq!(info["config"]["hnsw_config"]["m"], 32);
    assert_eq!(info["config"]["hnsw_config"]["ef_construct"], 64);
    assert_eq!(
        info["config"]["optimizer_config"]["indexing_threshold"],
        5000
    );
    assert_eq!(
        info["config"]["optimizer_config"]["default_segment_number"],
        2
    );
    assert!(info["config"]["quantization_config"]["binary"].is_object());
    assert_eq!(info["config"]["params"]["replication_factor"], 2);
    s.ok(
        "PATCH",
        "/collections/full",
        Some(json!({"quantization_config": "Disabled"})),
    );
    let info = s.ok("GET", "/collections/full", None);
    assert!(info["config"]["quantization_config"].is_null(), "{info}");
    s.ok(
        "PATCH",
        "/collections/named",
        Some(json!({"vectors": {"a": {"on_disk": true, "hnsw_config": {"ef_construct": 50}}}})),
    );
    let info = s.ok("GET", "/collections/named", None);
    assert_eq!(info["config"]["params"]["vectors"]["a"]["on_disk"], true);
    assert_eq!(
        info["config"]["params"]["vectors"]["a"]["hnsw_config"]["ef_construct"],
        50
    );
    s.err(
        "PATCH",
        "/collections/named",
        Some(json!({"vectors": {"zzz": {"on_disk": true}}})),
        400,
    );
    s.err("PATCH", "/collections/nope", Some(json!({})), 404);

    let names = s.ok("GET", "/collections", None);
    assert_eq!(
        names,
        json!({"collections": [{"name": "full"}, {"name": "named"}]})
    );
    assert_eq!(s.ok("DELETE", "/collections/full", None), json!(true));
    assert_eq!(s.ok("DELETE", "/collections/full", None), json!(false));
    s.err("GET", "/collections/full", None, 404);
    s.stop();
}

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
fn query_api() {
    let s = Server::start();
    create_dense(&s, "q", "Dot");
    seed(&s, "q", 30);
    let query = |body: Value| s.ok("POST", "/collections/q/points/query", Some(body));

    // Plain nearest: sorted by score, default limit 10, no payload/vector by default.
    let r = query(json!({"query": [1.0, 0.0, 0.0, 0.0]}));
    let points = r["points"].as_array().unwrap();
    assert_eq!(points.len(), 10);
    assert!(points[0].get("payload").is_none() && points[0].get("vector").is_none());
    assert!(
        points
            .windows(2)
            .all(|w| w[0]["score"].as_f64() >= w[1]["score"].as_f64())
    );
    let all = ids(&r["points"]);
    // {"nearest": ..} is the same query.
    let r2 = query(json!({"query": {"nearest": [1.0, 0.0, 0.0, 0.0]}}));
    assert_eq!(ids(&r2["points"]), all);

    // Offset skips.
    let r = query(json!({"query": [1.0, 0.0, 0.0, 0.0], "limit": 4, "offset": 3}));
    assert_eq!(ids(&r["points"]), all[3..7].to_vec());

    // Score threshold.
    let top = points[2]["score"].as_f64().unwrap() as f32 - 1e-4;
    let r = query(json!({"query": [1.0, 0.0, 0.0, 0.0], "score_threshold": top, "limit": 30}));
    assert!(
        r["points"].as_array().unwrap().len() >= 3,
        "{top} {r} {all:?}"
    );
    assert!(
        r["points"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["score"].as_f64().unwrap() as f32 >= top)
    );

    // Filter.
    let r = query(json!({
        "query": [1.0, 0.0, 0.0, 0.0], "limit": 30,
        "filter": {"must": [{"key": "parity", "match": {"value": "even"}}, {"key": "n", "range": {"lte": 10}}]}
    }));
    let mut got = ids(&r["points"]);
    got.sort();
    assert_eq!(got, vec![2, 4, 6, 8, 10]);

    // Payload selection and vectors.
    let r = query(
        json!({"query": [1.0, 0.0, 0.0, 0.0], "limit": 1, "with_payload": true, "with_vector": true}),
    );
    let p = &r["points"][0];
    assert!(p["payload"]["n"].is_u64() && p["payload"]["parity"].is_string());
    assert_eq!(p["vector"].as_array().unwrap().len(), 4);
    let r = query(json!({"query": [1.0, 0.0, 0.0, 0.0], "limit": 1, "with_payload": ["n"]}));
    assert_eq!(r["points"][0]["payload"].as_object().unwrap().len(), 1);
    let r = query(
        json!({"query": [1.0, 0.0, 0.0, 0.0], "limit": 1, "with_payload": {"include": ["parity", "nested"]}}),
    );
    let keys: Vec<&String> = r["points"][0]["payload"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(keys.len(), 2);
    let r = query(
        json!({"query": [1.0, 0.0, 0.0, 0.0], "limit": 1, "with_payload": {"exclude": ["tags", "nested"]}}),
    );
    let payload = r["points"][0]["payload"].as_object().unwrap();
    assert!(
        payload.contains_key("n")
            && !payload.contains_key("tags")
            && !payload.contains_key("nested")
    );

    // By point id: that point's vector, the point itself excluded.
    let r = query(json!({"query": 7, "limit": 5}));
    assert!(!ids(&r["points"]).contains(&7));
    assert_eq!(r["points"].as_array().unwrap().len(), 5);
    s.err(
        "POST",
        "/collections/q/points/query",
        Some(json!({"query": 777})),
        404,
    );

    // No query: points by id order.
    let r = query(json!({"limit": 3}));
    assert_eq!(ids(&r["points"]), vec![1, 2, 3]);

    // Order by a payload field (needs an index, as in Qdrant).
    s.ok(
        "PUT",
        "/collections/q/index?wait=true",
        Some(json!({"field_name": "n", "field_schema": "integer"})),
    );
    let r = query(json!({"query": {"order_by": {"key": "n", "direction": "desc"}}, "limit": 3}));
    assert_eq!(ids(&r["points"]), vec![30, 29, 28]);

    // Batch.
    let r = s.ok(
        "POST",
        "/collections/q/points/query/batch",
        Some(json!({"searches": [
            {"query": [1.0, 0.0, 0.0, 0.0], "limit": 2},
            {"query": [0.0, 1.0, 0.0, 0.0], "limit": 3, "filter": {"must": [{"key": "parity", "match": {"value": "odd"}}]}}
        ]})),
    );
    assert_eq!(r.as_array().unwrap().len(), 2);
    assert_eq!(r[0]["points"].as_array().unwrap().len(), 2);
    assert_eq!(r[1]["points"].as_array().unwrap().len(), 3);

    // Errors.
    let m = s.err(
        "POST",
        "/collections/q/points/query",
        Some(json!({"query": [1.0, 0.0, 0.0]})),
        400,
    );
    assert_eq!(
        m,
        "Wrong input: Vector dimension error: expected dim: 4, got 3"
    );
    let m = s.err(
        "POST",
        "/collections/q/points/query",
        Some(json!({"query": [1.0, 0.0, 0.0, 0.0], "using": "nope"})),
        400,
    );
    assert_eq!(m, "Wrong input: Not existing vector name error: nope");
    s.err(
        "POST",
        "/collections/q/points/query",
        Some(json!({"query": [1.0, 0.0, 0.0, 0.0], "limit": 0})),
        422,
    );
    s.err(
        "POST",
        "/collections/q/points/query",
        Some(json!({"query": [1.0, 0.0, 0.0, 0.0], "filter": {"must": 5}})),
        400,
    );
    s.err(
        "POST",
        "/collections/nope/points/query",
        Some(json!({"query": [1.0, 0.0, 0.0, 0.0]})),
        404,
    );
    s.stop();
}

#[test]
fn named_sparse_and_fusion() {
    let s = Server::start();
    s.ok(
        "PUT",
        "/collections/h",
        Some(json!({
            "vectors": {"dense": {"size": 2, "distance": "Cosine"}},
            "sparse_vectors": {"text": {"modifier": "idf"}}
        })),
    );
    // Point 1: dense-close to [1,0], no sparse match. Point 2: sparse match only.
    // Point 3: both, moderately. Point 4: neither.
    let points = json!({"points": [
        {"id": 1, "vector": {"dense": [1.0, 0.0], "text": {"indices": [9], "values": [1.0]}}, "payload": {"name": "one"}},
        {"id": 2, "vector": {"dense": [-1.0, 0.1], "text": {"indices": [1, 2], "values": [2.0, 1.0]}}},
        {"id": 3, "vector": {"dense": [0.8, 0.6], "text": {"indices": [1], "values": [0.5]}}},
        {"id": 4, "vector": {"dense": [-1.0, -0.2]}}
    ]});
    s.ok("PUT", "/collections/h/points?wait=true", Some(points));
    // Batch form with named vectors.
    s.ok(
        "PUT",
        "/collections/h/points?wait=true",
        Some(json!({"batch": {"ids": [5], "vectors": {"dense": [[0.0, -1.0]], "text": [{"indices": [7], "values": [1.0]}]}}})),
    );

    let query = |body: Value| s.ok("POST", "/collections/h/points/query", Some(body));
    let dense = query(json!({"query": [1.0, 0.0], "using": "dense", "limit": 2}));
    assert_eq!(ids(&dense["points"]), vec![1, 3]);
    let sparse = query(
        json!({"query": {"indices": [1, 2], "values": [1.0, 1.0]}, "using": "text", "limit": 5}),
    );
    assert_eq!(ids(&sparse["points"]), vec![2, 3]);
    let sparse =
        query(json!({"query": {"nearest": {"indices": [1], "values": [1.0]}}, "using": "text"}));
    assert_eq!(ids(&sparse["points"]), vec![2, 3]);

    // Fusion over dense + sparse prefetches: point 3 is in both lists and wins under RRF.
    for fusion in ["rrf", "dbsf"] {
        let fused = query(json!({
            "prefetch": [
                {"query": [1.0, 0.0], "using": "dense", "limit": 2},
                {"query": {"indices": [1, 2], "values": [1.0, 1.0]}, "using": "text", "limit": 2}
            ],
            "query": {"fusion": fusion},
            "limit": 10,
            "with_payload": true
        }));
        let got = ids(&fused["points"]);
        let mut sorted = got.clone();
        sorted.sort();
        assert_eq!(sorted, vec![1, 2, 3], "{fusion}: {fused}");
        if fusion == "rrf" {
            assert_eq!(got[0], 3, "{fused}");
        }
    }
    let rrf = query(json!({
        "prefetch": [
            {"query": [1.0, 0.0], "using": "dense", "limit": 2},
            {"query": {"indices": [1, 2], "values": [1.0, 1.0]}, "using": "text", "limit": 2}
        ],
        "query": {"rrf": {"k": 60}},
        "limit": 1, "offset": 1
    }));
    assert_eq!(rrf["points"].as_array().unwrap().len(), 1);

    // Nested prefetch: a single prefetch object, re-scored by a dense query.
    let nested = query(json!({
        "prefetch": {
            "prefetch": {"query": {"indices": [1, 2, 7], "values": [1.0, 1.0, 1.0]}, "using": "text", "limit": 10},
            "query": [0.0, -1.0], "using": "dense", "limit": 2
        },
        "query": [1.0, 0.0], "using": "dense", "limit": 5,
        "with_vector": ["dense"]
    }));
    let got = ids(&nested["points"]);
    assert_eq!(got.len(), 2, "{nested}");
    assert!(got.contains(&5), "{nested}");
    let v = &nested["points"][0]["vector"];
    assert!(v["dense"].is_array() && v.get("text").is_none(), "{v}");

    // By id, on a named vector.
    let by_id = query(json!({"query": 1, "using": "dense", "limit": 1}));
    assert_eq!(ids(&by_id["points"]), vec![3]);

    // Vector output shapes for named + sparse.
    let p = s.ok("GET", "/collections/h/points/2", None);
    assert_eq!(p["vector"]["text"]["indices"], json!([1, 2]));
    assert_eq!(p["vector"]["dense"].as_array().unwrap().len(), 2);

    // Errors.
    s.err(
        "POST",
        "/collections/h/points/query",
        Some(json!({"query": [1.0, 0.0]})),
        400,
    );
    s.err(
        "POST",
        "/collections/h/points/query",
        Some(json!({"query": {"indices": [1], "values": [1.0]}, "using": "dense"})),
        400,
    );
    s.err(
        "POST",
        "/collections/h/points/query",
        Some(json!({"query": {"fusion": "rrf"}})),
        400,
    );
    s.err(
        "POST",
        "/collections/h/points/query",
        Some(json!({"query": {"indices": [1, 1], "values": [1.0, 2.0]}, "using": "text"})),
        422,
    );
    s.err(
        "PUT",
        "/collections/h/points",
        Some(json!({"points": [{"id": 9, "vector": {"other": [1.0, 0.0]}}]})),
        400,
    );
    s.err(
        "PUT",
        "/collections/h/points",
        Some(json!({"points": [{"id": 9, "vector": {"dense": [1.0, 0.0, 3.0]}}]})),
        400,
    );
    s.stop();
}

#[test]
fn payload_indexes() {
    let s = Server::start();
    create_dense(&s, "i", "Euclid");
    seed(&s, "i", 10);
    for (field, schema) in [
        ("parity", json!("keyword")),
        (
            "n",
            json!({"type": "integer", "range": true, "lookup": true}),
        ),
        ("nested.x", json!("float")),
        ("flag", json!("bool")),
        ("loc", json!("geo")),
        ("when", json!("datetime")),
        (
            "body",
            json!({"type": "text", "tokenizer": "word", "lowercase": true}),
        ),
        ("ref", json!("uuid")),
    ] {
        let r = s.ok(
            "PUT",
            "/collections/i/index?wait=true",
            Some(json!({"field_name": field, "field_schema": schema})),
        );
        assert_eq!(r["status"], "completed");
    }
    let schema = s.ok("GET", "/collections/i", None)["payload_schema"].clone();
    assert_eq!(schema["parity"]["data_type"], "keyword");
    assert_eq!(schema["parity"]["points"], 10);
    assert_eq!(schema["n"]["data_type"], "integer");
    assert_eq!(schema["nested.x"]["data_type"], "float");
    assert_eq!(schema["body"]["data_type"], "text");
    assert_eq!(schema["ref"]["data_type"], "uuid");
    assert_eq!(schema.as_object().unwrap().len(), 8);
    // Filtering uses the index and still selects the right points.
    let c = s.ok(
        "POST",
        "/collections/i/points/count",
        Some(json!({"filter": {"must": [{"key": "parity", "match": {"value": "odd"}}]}})),
    );
    assert_eq!(c["count"], 5);
    s.ok("DELETE", "/collections/i/index/parity?wait=true", None);
    let schema = s.ok("GET", "/collections/i", None)["payload_schema"].clone();
    assert!(schema.get("parity").is_none());
    s.err(
        "PUT",
        "/collections/i/index",
        Some(json!({"field_name": "x", "field_schema": "nonsense"})),
        400,
    );
    s.err(
        "PUT",
        "/collections/nope/index",
        Some(json!({"field_name": "x", "field_schema": "keyword"})),
        404,
    );
    s.stop();
}

#[test]
fn aliases() {
    let s = Server::start();
    create_dense(&s, "a1", "Cosine");
    create_dense(&s, "a2", "Cosine");
    seed(&s, "a1", 3);
    s.ok(
        "POST",
        "/collections/aliases",
        Some(json!({"actions": [
            {"create_alias": {"collection_name": "a1", "alias_name": "current"}},
            {"create_alias": {"collection_name": "a2", "alias_name": "other"}}
        ]})),
    );
    let all = s.ok("GET", "/aliases", None);
    assert_eq!(all["aliases"].as_array().unwrap().len(), 2);
    assert_eq!(
        s.ok("GET", "/collections/a1/aliases", None),
        json!({"aliases": [{"alias_name": "current", "collection_name": "a1"}]})
    );
    // The alias works wherever a collection name does.
    assert_eq!(s.ok("GET", "/collections/current", None)["points_count"], 3);
    assert_eq!(
        s.ok("GET", "/collections/current/exists", None),
        json!({"exists": true})
    );
    seed(&s, "current", 5);
    let r = s.ok(
        "POST",
        "/collections/current/points/query",
        Some(json!({"query": [1.0, 0.0, 0.5, 0.0], "limit": 100})),
    );
    assert_eq!(r["points"].as_array().unwrap().len(), 5);
    // Switch the alias atomically, rename, delete.
    s.ok(
        "POST",
        "/collections/aliases",
        Some(json!({"actions": [
            {"delete_alias": {"alias_name": "current"}},
            {"create_alias": {"collection_name": "a2", "alias_name": "current"}},
            {"rename_alias": {"old_alias_name": "other", "new_alias_name": "renamed"}}
        ]})),
    );
    assert_eq!(s.ok("GET", "/collections/current", None)["points_count"], 0);
    s.ok("GET", "/collections/renamed", None);
    s.err("GET", "/collections/other", None, 404);
    s.err(
        "POST",
        "/collections/aliases",
        Some(json!({"actions": [{"delete_alias": {"alias_name": "ghost"}}]})),
        404,
    );
    s.err(
        "POST",
        "/collections/aliases",
        Some(
            json!({"actions": [{"create_alias": {"collection_name": "ghost", "alias_name": "x"}}]}),
        ),
        404,
    );
    // Deleting a collection drops its aliases.
    s.ok("DELETE", "/collections/a2", None);
    assert_eq!(s.ok("GET", "/aliases", None), json!({"aliases": []}));
    s.stop();
}

#[test]
fn snapshots_create_download_recover() {
    let s = Server::start();
    create_dense(&s, "snap", "Cosine");
    seed(&s, "snap", 12);
    s.ok(
        "PUT",
        "/collections/snap/index?wait=true",
        Some(json!({"field_name": "parity", "field_schema": "keyword"})),
    );
    let d = s.ok("POST", "/collections/snap/snapshots?wait=true", None);
    let name = d["name"].as_str().unwrap().to_owned();
    assert!(
        name.starts_with("snap-") && name.ends_with(".snapshot"),
        "{name}"
    );
    assert!(d["size"].as_u64().unwrap() > 0);
    assert_eq!(d["checksum"].as_str().unwrap().len(), 64);
    assert!(d["creation_time"].is_string());
    let list = s.ok("GET", "/collections/snap/snapshots", None);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["name"], name);

    let (status, bytes) = s.bytes(&format!("/collections/snap/snapshots/{name}"));
    assert_eq!(status, 200);
    assert_eq!(bytes.len() as u64, d["size"].as_u64().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("copy.snapshot");
    std::fs::write(&file, &bytes).unwrap();

    // Changes after the snapshot are undone by recovering.
    s.ok(
        "POST",
        "/collections/snap/points/delete?wait=true",
        Some(json!({"points": [1, 2, 3]})),
    );
    let location = format!("{}/collections/snap/snapshots/{name}", s.url);
    s.ok(
        "PUT",
        "/collections/snap/snapshots/recover",
        Some(json!({"location": location})),
    );
    assert_eq!(s.ok("GET", "/collections/snap", None)["points_count"], 12);

    // Delete the collection, recover from the downloaded file into it and into a new name.
    s.ok("DELETE", "/collections/snap", None);
    s.err("GET", "/collections/snap", None, 404);
    s.ok(
        "PUT",
        "/collections/snap/snapshots/recover",
        Some(json!({"location": format!("file://{}", file.display()), "checksum": d["checksum"]})),
    );
    let info = s.ok("GET", "/collections/snap", None);
    assert_eq!(info["points_count"], 12);
    assert_eq!(info["payload_schema"]["parity"]["data_type"], "keyword");
    assert_eq!(
        s.ok("GET", "/collections/snap/points/5", None)["payload"]["n"],
        5
    );
    s.ok(
        "PUT",
        "/collections/copy/snapshots/recover",
        Some(json!({"location": format!("file://{}", file.display())})),
    );
    let r = s.ok(
        "POST",
        "/collections/copy/points/query",
        Some(json!({"query": [1.0, 0.0, 0.5, 1.0], "limit": 3})),
    );
    assert_eq!(r["points"].as_array().unwrap().len(), 3);

    // Snapshot errors.
    s.err(
        "PUT",
        "/collections/x/snapshots/recover",
        Some(json!({"location": format!("file://{}", file.display()), "checksum": "00"})),
        400,
    );
    s.err(
        "PUT",
        "/collections/x/snapshots/recover",
        Some(json!({"location": "file:///definitely/not/here.snapshot"})),
        404,
    );
    // Malformed file:// URIs are refused before the disk is touched.
    let inside = file.display().to_string();
    for location in [
        format!("file://otherhost{inside}"),
        "file://relative/path.snapshot".to_owned(),
        format!(
            "file://{}/../{}",
            file.parent().unwrap().display(),
            file.file_name().unwrap().to_string_lossy()
        ),
        format!("file://{inside}?x=1"),
        format!("file://{}", inside.replace('/', "/%2E%2E/")),
    ] {
        let message = s.err(
            "PUT",
            "/collections/x/snapshots/recover",
            Some(json!({"location": location})),
            400,
        );
        assert!(
            message.starts_with("Bad request: Invalid snapshot URI"),
            "{location}: {message}"
        );
    }
    // `localhost` is this machine.
    s.ok(
        "PUT",
        "/collections/via_localhost/snapshots/recover?wait=true",
        Some(json!({"location": format!("file://localhost{inside}")})),
    );
    assert_eq!(
        s.ok("GET", "/collections/via_localhost", None)["points_count"],
        12
    );
    s.err("GET", "/collections/x", None, 404);
    s.err(
        "GET",
        "/collections/snap/snapshots/none.snapshot",
        None,
        404,
    );
    s.err("POST", "/collections/nope/snapshots", None, 404);
    // Recovery replaced the collection; the snapshot files stayed.
    assert_eq!(
        s.ok(
            "DELETE",
            &format!("/collections/snap/snapshots/{name}"),
            None
        ),
        json!(true)
    );
    assert_eq!(s.ok("GET", "/collections/snap/snapshots", None), json!([]));
    s.err(
        "DELETE",
        &format!("/collections/snap/snapshots/{name}"),
        None,
        404,
    );
    s.stop();
}

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

#[test]
fn filters_are_checked_as_qdrant_checks_them() {
    // A field condition must hold a condition: `{"key": "a"}` alone is refused with a 422
    // wherever a filter goes, and nothing is deleted.
    let s = Server::start();
    create_dense(&s, "f", "Dot");
    seed(&s, "f", 5);
    let empty = [
        json!({"must": [{"key": "parity"}]}),
        json!({"should": {"key": "parity"}}),
        json!({"must_not": [{"nested": {"key": "tags", "filter": {"must": [{"key": "x"}]}}}]}),
        json!({"min_should": {"conditions": [{"key": "parity"}], "min_count": 1}}),
    ];
    for filter in &empty {
        for (method, path, body) in [
            (
                "POST",
                "/collections/f/points/count",
                json!({"filter": filter}),
            ),
            (
                "POST",
                "/collections/f/points/scroll",
                json!({"filter": filter}),
            ),
            (
                "POST",
                "/collections/f/points/query",
                json!({"filter": filter}),
            ),
            (
                "POST",
                "/collections/f/points/query",
                json!({"prefetch": {"filter": filter}}),
            ),
            (
                "POST",
                "/collections/f/points/search",
                json!({"vector": [1.0, 0.0, 0.0, 0.0], "limit": 1, "filter": filter}),
            ),
            (
                "POST",
                "/collections/f/points/delete",
                json!({"filter": filter}),
            ),
            (
                "POST",
                "/collections/f/points/payload",
                json!({"payload": {"a": 1}, "filter": filter}),
            ),
            (
                "POST",
                "/collections/f/facet",
                json!({"key": "parity", "filter": filter}),
            ),
        ] {
            let message = s.err(method, path, Some(body), 422);
            assert!(
                message.starts_with("Validation error in JSON body: [filter.")
                    && message.contains("At least one field condition must be specified"),
                "{path} {filter}: {message}"
            );
        }
    }
    assert_eq!(
        s.ok("POST", "/collections/f/points/count", None)["count"],
        5
    );
    let valid = json!({"must": [{"key": "parity", "match": {"value": "odd"}}]});
    assert_eq!(
        s.ok(
            "POST",
            "/collections/f/points/count",
            Some(json!({"filter": valid}))
        )["count"],
        3
    );
    s.stop();
}
