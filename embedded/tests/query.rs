//! The embedded server over real HTTP, as a Qdrant client drives it: the Query API (dense,
//! named, sparse, prefetch and fusion) and filters, checked as Qdrant checks them.

mod common;

use common::{Server, create_dense, ids, seed};
use serde_json::{Value, json};

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
