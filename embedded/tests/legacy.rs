//! The older endpoints (`points/search`, `recommend`, their `batch` and `groups` forms, and
//! `points/query/groups`), checked against scores computed here by brute force and against
//! the Query API's answers for the same request.

mod common;

use common::{Server, ids, seed};
use serde_json::{Value, json};

const N: u64 = 30;

/// `seed`'s vectors, recomputed: the brute-force side of every comparison.
fn vector(i: u64) -> [f32; 4] {
    let a = i as f32 * 0.3;
    [a.cos(), a.sin(), 0.5, (i % 3) as f32]
}

/// Ids by descending dot product with `query`, ties by ascending id.
fn brute_force(query: [f32; 4], keep: impl Fn(u64) -> bool) -> Vec<(u64, f32)> {
    let mut scored: Vec<(u64, f32)> = (1..=N)
        .filter(|&i| keep(i))
        .map(|i| (i, vector(i).iter().zip(query).map(|(a, b)| a * b).sum()))
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored
}

fn dot_collection(server: &Server, name: &str) {
    server.ok(
        "PUT",
        &format!("/collections/{name}"),
        Some(json!({"vectors": {"size": 4, "distance": "Dot"}})),
    );
    seed(server, name, N);
}

fn assert_scores(points: &Value, expected: &[(u64, f32)]) {
    assert_eq!(
        ids(points),
        expected.iter().map(|e| e.0).collect::<Vec<_>>(),
        "{points}"
    );
    for (point, (_, score)) in points.as_array().unwrap().iter().zip(expected) {
        let got = point["score"].as_f64().unwrap() as f32;
        assert!((got - score).abs() < 1e-4, "{point} vs {score}");
    }
}

#[test]
fn search_and_its_batch_answer_as_brute_force_and_the_query_api() {
    let server = Server::start();
    dot_collection(&server, "s");
    let q = [0.2, 0.9, 0.1, 0.4];
    let all = brute_force(q, |_| true);

    let hits = server.ok(
        "POST",
        "/collections/s/points/search",
        Some(json!({"vector": q, "limit": 5})),
    );
    assert_scores(&hits, &all[..5]);
    assert!(
        hits[0].get("payload").is_none(),
        "no payload unless asked: {hits}"
    );

    // Offset, threshold, filter, payload and vector selectors, as the Query API has them.
    let odd: Vec<_> = brute_force(q, |i| !i.is_multiple_of(2));
    let threshold = odd[6].1;
    let body = json!({
        "vector": q, "limit": 4, "offset": 2, "score_threshold": threshold,
        "filter": {"must": [{"key": "parity", "match": {"value": "odd"}}]},
        "with_payload": ["n"], "with_vector": true,
    });
    let hits = server.ok("POST", "/collections/s/points/search", Some(body.clone()));
    assert_scores(&hits, &odd[2..6]);
    assert_eq!(hits[0]["payload"], json!({"n": odd[2].0}));
    assert_eq!(hits[0]["vector"].as_array().unwrap().len(), 4);
    let mut query = body;
    let vector = query.as_object_mut().unwrap().remove("vector").unwrap();
    query["query"] = vector;
    let via_query = server.ok("POST", "/collections/s/points/query", Some(query));
    assert_eq!(hits, via_query["points"]);

    let batch = server.ok(
        "POST",
        "/collections/s/points/search/batch",
        Some(json!({"searches": [
            {"vector": q, "limit": 3},
            {"vector": [1.0, 0.0, 0.0, 0.0], "limit": 2},
        ]})),
    );
    assert_scores(&batch[0], &all[..3]);
    assert_scores(&batch[1], &brute_force([1.0, 0.0, 0.0, 0.0], |_| true)[..2]);
    server.stop();
}

#[test]
fn search_by_vector_name_dense_and_sparse() {
    let server = Server::start();
    server.ok(
        "PUT",
        "/collections/named",
        Some(json!({
            "vectors": {"image": {"size": 2, "distance": "Dot"}},
            "sparse_vectors": {"words": {}},
        })),
    );
    server.ok(
        "PUT",
        "/collections/named/points?wait=true",
        Some(json!({"points": [
            {"id": 1, "vector": {"image": [1.0, 0.0], "words": {"indices": [3], "values": [2.0]}}},
            {"id": 2, "vector": {"image": [0.0, 1.0], "words": {"indices": [5], "values": [1.0]}}},
        ]})),
    );
    let dense = server.ok(
        "POST",
        "/collections/named/points/search",
        Some(json!({"vector": {"name": "image", "vector": [0.1, 0.9]}, "limit": 2})),
    );
    assert_eq!(ids(&dense), vec![2, 1]);
    let sparse = server.ok(
        "POST",
        "/collections/named/points/search",
        Some(json!({
            "vector": {"name": "words", "vector": {"indices": [3, 5], "values": [1.0, 1.0]}},
            "limit": 2,
        })),
    );
    assert_eq!(ids(&sparse), vec![1, 2]);
    assert_eq!(sparse[0]["score"], json!(2.0));
    let message = server.err(
        "POST",
        "/collections/named/points/search",
        Some(json!({"vector": {"name": "nope", "vector": [1.0, 0.0]}, "limit": 1})),
        400,
    );
    assert!(message.starts_with("Wrong input: "), "{message}");
    server.stop();
}

#[test]
fn search_refuses_what_qdrant_refuses() {
    let server = Server::start();
    dot_collection(&server, "s");
    let cases = [
        (
            json!({"vector": [1.0, 0.0, 0.0, 0.0]}),
            400,
            "Json deserialize error: missing field `limit`",
        ),
        (
            json!({"limit": 3}),
            400,
            "Json deserialize error: missing field `vector`",
        ),
        (
            json!({"vector": "up", "limit": 3}),
            400,
            "Json deserialize error: ",
        ),
        (
            json!({"vector": [1.0, 0.0], "limit": 3}),
            400,
            "Wrong input: ",
        ),
        (
            json!({"vector": [1.0, 0.0, 0.0, 0.0], "limit": 0}),
            422,
            "Validation error in JSON body: ",
        ),
    ];
    for (body, status, start) in cases {
        let message = server.err(
            "POST",
            "/collections/s/points/search",
            Some(body.clone()),
            status,
        );
        assert!(message.starts_with(start), "{body}: {message}");
    }
    let message = server.err(
        "POST",
        "/collections/missing/points/search",
        Some(json!({"vector": [1.0, 0.0, 0.0, 0.0], "limit": 1})),
        404,
    );
    assert_eq!(message, "Not found: Collection `missing` doesn't exist!");
    server.stop();
}

#[test]
fn recommend_and_its_batch_answer_as_the_query_api() {
    let server = Server::start();
    dot_collection(&server, "r");
    // average_vector, as Qdrant defines it: avg(positive) + (avg(positive) - avg(negative)),
    // searched like any vector, without the examples themselves.
    let (p, n) = (vector(4), vector(9));
    let average = [0, 1, 2, 3].map(|d| 2.0 * p[d] - n[d]);
    let expected = brute_force(average, |i| i != 4 && i != 9);
    let hits = server.ok(
        "POST",
        "/collections/r/points/recommend",
        Some(json!({"positive": [4], "negative": [9], "limit": 5})),
    );
    assert_scores(&hits, &expected[..5]);

    for strategy in ["best_score", "sum_scores"] {
        let body = json!({"positive": [4, 7], "negative": [9], "strategy": strategy, "limit": 6, "with_payload": true});
        let hits = server.ok("POST", "/collections/r/points/recommend", Some(body));
        let via_query = server.ok(
            "POST",
            "/collections/r/points/query",
            Some(json!({
                "query": {"recommend": {"positive": [4, 7], "negative": [9], "strategy": strategy}},
                "limit": 6, "with_payload": true,
            })),
        );
        assert_eq!(hits, via_query["points"], "{strategy}");
        assert!(
            ids(&hits).iter().all(|id| ![4, 7, 9].contains(id)),
            "{hits}"
        );
    }

    let batch = server.ok(
        "POST",
        "/collections/r/points/recommend/batch",
        Some(json!({"searches": [
            {"positive": [4], "negative": [9], "limit": 2},
            {"positive": [[0.0, 1.0, 0.0, 0.0]], "limit": 1},
        ]})),
    );
    assert_scores(&batch[0], &expected[..2]);
    assert_scores(&batch[1], &brute_force([0.0, 1.0, 0.0, 0.0], |_| true)[..1]);

    let message = server.err(
        "POST",
        "/collections/r/points/recommend",
        Some(json!({"negative": [9], "limit": 5})),
        400,
    );
    assert!(message.contains("positive"), "{message}");
    let message = server.err(
        "POST",
        "/collections/r/points/recommend",
        Some(json!({"positive": [4]})),
        400,
    );
    assert_eq!(message, "Json deserialize error: missing field `limit`");
    server.stop();
}

/// Brute-force grouping: points in score order into groups by their keys, the first
/// `limit` groups to appear, `size` points each.
fn brute_groups(
    scored: &[(u64, f32)],
    keys: impl Fn(u64) -> Vec<Value>,
    size: usize,
    limit: usize,
) -> Vec<(Value, Vec<u64>)> {
    let mut groups: Vec<(Value, Vec<u64>)> = Vec::new();
    for &(id, _) in scored {
        for key in keys(id) {
            match groups.iter_mut().find(|g| g.0 == key) {
                Some(group) if group.1.len() < size => group.1.push(id),
                Some(_) => {}
                None => groups.push((key, vec![id])),
            }
        }
    }
    groups.truncate(limit);
    groups
}

fn groups_of(result: &Value) -> Vec<(Value, Vec<u64>)> {
    result["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["id"].clone(), ids(&g["hits"])))
        .collect()
}

#[test]
fn groups_of_search_recommend_and_query() {
    let server = Server::start();
    dot_collection(&server, "g");
    let q = [0.3, -0.8, 0.2, 0.1];
    let scored = brute_force(q, |_| true);
    let parity = |i: u64| vec![json!(if i.is_multiple_of(2) { "even" } else { "odd" })];
    let tags = |i: u64| vec![json!("t"), json!(format!("t{}", i % 4))];

    let result = server.ok(
        "POST",
        "/collections/g/points/search/groups",
        Some(json!({"vector": q, "group_by": "parity", "group_size": 3, "limit": 2, "with_payload": ["n"]})),
    );
    assert_eq!(groups_of(&result), brute_groups(&scored, parity, 3, 2));
    let first = &result["groups"][0]["hits"][0];
    assert_eq!(first["payload"], json!({"n": first["id"]}));
    let score = first["score"].as_f64().unwrap() as f32;
    assert!((score - scored[0].1).abs() < 1e-4);

    // An array payload puts a point in a group per element.
    let result = server.ok(
        "POST",
        "/collections/g/points/search/groups",
        Some(json!({"vector": q, "group_by": "tags", "group_size": 2, "limit": 4})),
    );
    assert_eq!(groups_of(&result), brute_groups(&scored, tags, 2, 4));

    // Nested keys, integers as group ids, and points without the key skipped.
    server.ok(
        "PUT",
        "/collections/g/points?wait=true",
        Some(json!({"points": [{"id": 100, "vector": [9.0, 9.0, 9.0, 9.0], "payload": {}}]})),
    );
    let result = server.ok(
        "POST",
        "/collections/g/points/query/groups",
        Some(json!({"query": q, "group_by": "nested.x"})),
    );
    let nested = |i: u64| vec![json!(i * 10)];
    assert_eq!(groups_of(&result), brute_groups(&scored, nested, 3, 10));

    // Recommend groups, with each group's record looked up in another collection.
    server.ok(
        "PUT",
        "/collections/parities",
        Some(json!({"vectors": {"size": 1, "distance": "Dot"}})),
    );
    server.ok(
        "PUT",
        "/collections/parities/points?wait=true",
        Some(json!({"points": [{"id": 1, "vector": [1.0], "payload": {"label": "one"}}]})),
    );
    let result = server.ok(
        "POST",
        "/collections/g/points/recommend/groups",
        Some(json!({
            "positive": [5], "group_by": "n", "group_size": 1, "limit": 30,
            "with_lookup": {"collection": "parities", "with_payload": true},
        })),
    );
    let groups = result["groups"].as_array().unwrap();
    assert_eq!(
        groups.len(),
        (N - 1) as usize,
        "every point but the example: {result}"
    );
    let one = groups.iter().find(|g| g["id"] == json!(1)).unwrap();
    assert_eq!(one["lookup"]["payload"], json!({"label": "one"}));
    assert!(groups.iter().filter(|g| g.get("lookup").is_some()).count() == 1);

    let cases = [
        (
            json!({"vector": q, "group_size": 1, "limit": 1}),
            400,
            "Json deserialize error: missing field `group_by`",
        ),
        (
            json!({"vector": q, "group_by": "n", "limit": 1}),
            400,
            "Json deserialize error: missing field `group_size`",
        ),
        (
            json!({"vector": q, "group_by": "n", "group_size": 0, "limit": 1}),
            422,
            "Validation error in JSON body: ",
        ),
    ];
    for (body, status, start) in cases {
        let message = server.err(
            "POST",
            "/collections/g/points/search/groups",
            Some(body.clone()),
            status,
        );
        assert!(message.starts_with(start), "{body}: {message}");
    }
    server.stop();
}

fn dot(a: [f32; 4], b: [f32; 4]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn fast_sigmoid(x: f32) -> f32 {
    x / (1.0 + x.abs())
}

/// The hits are the best of `all` (ids by descending score): the sigmoids squeeze scores
/// together, so near-ties may come in either order, but every hit has its own brute-force
/// score and the scores follow `all`'s.
fn assert_ranked(hits: &Value, all: &[(u64, f32)]) {
    for (hit, (_, want)) in hits.as_array().unwrap().iter().zip(all) {
        let id = hit["id"].as_u64().unwrap();
        let got = hit["score"].as_f64().unwrap() as f32;
        let own = all.iter().find(|e| e.0 == id).unwrap().1;
        assert!(
            (got - want).abs() < 1e-4 && (got - own).abs() < 1e-4,
            "{hit} vs {want}"
        );
    }
}

/// Ids by descending `score`, ties by ascending id, without `exclude`.
fn ranked(score: impl Fn([f32; 4]) -> f32, exclude: &[u64]) -> Vec<(u64, f32)> {
    let mut scored: Vec<(u64, f32)> = (1..=N)
        .filter(|i| !exclude.contains(i))
        .map(|i| (i, score(vector(i))))
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored
}

#[test]
fn discover_and_context_answer_as_qdrant_defines_them() {
    let server = Server::start();
    dot_collection(&server, "d");
    let target = [0.5, 0.5, 0.0, 0.2];
    let pairs = [(3u64, 17u64), (8, 25)];
    let side = |v: [f32; 4], (p, n): (u64, u64)| {
        dot(v, vector(p)).total_cmp(&dot(v, vector(n))) as i8 as f32
    };
    // Discovery: how many pairs a point sits on the positive side of, then closeness to
    // the target (squashed into 0..1).
    let discover = ranked(
        |v| {
            let rank: f32 = pairs.iter().map(|&pair| side(v, pair)).sum();
            rank + 0.5 * (fast_sigmoid(dot(v, target)) + 1.0)
        },
        &[3, 17, 8, 25],
    );
    let context = json!([{"positive": 3, "negative": 17}, {"positive": 8, "negative": 25}]);
    let hits = server.ok(
        "POST",
        "/collections/d/points/discover",
        Some(json!({"target": target, "context": context, "limit": 6})),
    );
    assert_ranked(&hits, &discover);
    let via_query = server.ok(
        "POST",
        "/collections/d/points/query",
        Some(json!({"query": {"discover": {"target": target, "context": context}}, "limit": 6})),
    );
    assert_eq!(hits, via_query["points"]);

    // Context: only the pairs, as a loss that is 0 on the positive side of every pair.
    let expected = ranked(
        |v| {
            pairs
                .iter()
                .map(|&(p, n)| {
                    let margin = dot(v, vector(p)) - dot(v, vector(n)) - f32::EPSILON;
                    fast_sigmoid(margin.min(0.0))
                })
                .sum()
        },
        &[3, 17, 8, 25],
    );
    let batch = server.ok(
        "POST",
        "/collections/d/points/discover/batch",
        Some(json!({"searches": [
            {"context": context, "limit": 26},
            {"target": 5, "context": [], "limit": 3},
        ]})),
    );
    let got: Vec<f32> = batch[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["score"].as_f64().unwrap() as f32)
        .collect();
    let want: Vec<f32> = expected.iter().map(|e| e.1).collect();
    assert_eq!(got.len(), want.len(), "{}", batch[0]);
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() < 1e-4, "{got:?} vs {want:?}");
    }
    // No pairs: discovery is ordered by the target alone.
    let by_target = ranked(|v| 0.5 * (fast_sigmoid(dot(v, vector(5))) + 1.0), &[5]);
    assert_ranked(&batch[1], &by_target);

    let message = server.err(
        "POST",
        "/collections/d/points/discover",
        Some(json!({"target": target, "context": context})),
        400,
    );
    assert_eq!(message, "Json deserialize error: missing field `limit`");
    let message = server.err(
        "POST",
        "/collections/d/points/query",
        Some(json!({"query": {"context": []}})),
        400,
    );
    assert!(message.starts_with("Wrong input: "), "{message}");
    server.stop();
}

#[test]
fn examples_by_id_from_another_collection_with_lookup_from() {
    let server = Server::start();
    dot_collection(&server, "main");
    server.ok(
        "PUT",
        "/collections/other",
        Some(json!({"vectors": {"x": {"size": 4, "distance": "Dot"}, "small": {"size": 2, "distance": "Dot"}}})),
    );
    let far = [0.9, -0.4, 0.3, 1.0];
    server.ok(
        "PUT",
        "/collections/other/points?wait=true",
        Some(json!({"points": [{"id": 1, "vector": {"x": far, "small": [1.0, 0.0]}}]})),
    );
    // Point 1 of `other` is the example; point 1 of `main` is not left out of the results.
    let expected = brute_force(far, |_| true);
    let lookup = json!({"collection": "other", "vector": "x"});
    let hits = server.ok(
        "POST",
        "/collections/main/points/recommend",
        Some(json!({"positive": [1], "lookup_from": lookup, "limit": 5})),
    );
    // With no negatives, average_vector is the mean of the positives.
    assert_scores(&hits, &expected[..5]);
    let hits = server.ok(
        "POST",
        "/collections/main/points/query",
        Some(json!({"query": 1, "lookup_from": lookup, "limit": 5})),
    );
    assert_scores(&hits["points"], &expected[..5]);
    // Inside a prefetch (nested too), the same example; the root re-scores by it as well.
    let nested = json!({
        "prefetch": {"query": 1, "lookup_from": lookup, "limit": 8},
        "query": 1,
        "lookup_from": lookup,
        "limit": 8
    });
    let hits = server.ok(
        "POST",
        "/collections/main/points/query",
        Some(json!({"prefetch": [nested], "query": 1, "lookup_from": lookup, "limit": 5})),
    );
    assert_scores(&hits["points"], &expected[..5]);
    let message = server.err(
        "POST",
        "/collections/main/points/query",
        Some(json!({"prefetch": {"query": 1, "lookup_from": {"collection": "gone"}}, "query": [1, 0, 0, 0]})),
        404,
    );
    assert_eq!(message, "Not found: Collection `gone` doesn't exist!");

    let wrong_size = json!({"collection": "other", "vector": "small"});
    let message = server.err(
        "POST",
        "/collections/main/points/query",
        Some(json!({"query": 1, "lookup_from": wrong_size})),
        400,
    );
    assert!(
        message.starts_with("Wrong input: Vector dimension error"),
        "{message}"
    );
    let message = server.err(
        "POST",
        "/collections/main/points/query",
        Some(json!({"query": 1, "lookup_from": {"collection": "gone"}})),
        404,
    );
    assert_eq!(message, "Not found: Collection `gone` doesn't exist!");
    server.stop();
}
