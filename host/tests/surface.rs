//! Every operation of the component's surface, through the Rust host, against the embedded
//! engine (or the Qdrant at `QDRANT_URL`). Expected answers are computed here from the
//! data, never hard-coded.

mod common;

use std::collections::BTreeSet;

use common::{DIM, Target, client, collection_name, cosine, fresh_collection, target, vector};
use qdrant_integration::types::{
    CollectionConfig, CollectionStatus, CollectionUpdate, Condition, Conditions, Distance, Filter,
    Fusion, PayloadSchemaType, PayloadSelector, PointBatch, PointsSelector, Prefetch, Quantization,
    QuantizationChange, Query, QueryRequest, QueryVector, ReadConsistency, ScalarQuantization,
    ScrollRequest, SearchParams, ShardKeySelector, ShardingMethod, SparseModifier, SparseVector,
    SparseVectorParams, VectorParams, VectorSelector, WriteOrdering,
};
use qdrant_integration::{Error, QdrantClient};
use serde_json::{Value, json};

/// Even points have integer ids, odd ones free-form string ids (mapped by the component).
fn id(i: usize) -> String {
    if i.is_multiple_of(2) {
        i.to_string()
    } else {
        format!("s-{i}")
    }
}

const GROUPS: [&str; 3] = ["a", "b", "c"];

fn payload(i: usize) -> Value {
    let mut p = json!({
        "n": i,
        "group": GROUPS[i % 3],
        "tags": if i.is_multiple_of(4) { json!(["x", "y"]) } else { json!(["y"]) },
        "when": format!("2026-01-{:02}T00:00:00Z", i % 28 + 1),
        "loc": {"lat": 52.0 + i as f64 * 0.01, "lon": 13.0},
        "reviews": [{"stars": i % 5}, {"stars": (i + 2) % 5}],
        "empty": if i.is_multiple_of(6) { json!([]) } else { json!(["v"]) },
    });
    if i.is_multiple_of(5) {
        p["maybe"] = Value::Null;
    }
    p
}

/// A fresh collection of `count` points (ids, vectors and payloads as above).
async fn seeded(target: &Target, test: &str, count: usize) -> (QdrantClient, String) {
    let client = client(target).await;
    let name = fresh_collection(&client, test).await;
    let flat: Vec<f32> = (0..count).flat_map(vector).collect();
    let payloads: Vec<Value> = (0..count).map(payload).collect();
    let batch = PointBatch::new((0..count).map(id).collect())
        .with_dense("", DIM as u32, &flat)
        .with_payloads(&payloads);
    assert_eq!(
        client.upsert_points(&name, &batch, true).await.unwrap(),
        count as u32
    );
    (client, name)
}

/// Ids of the points matching `keep`, best first by cosine to `query`.
fn brute_force(count: usize, query: &[f32], keep: impl Fn(usize) -> bool) -> Vec<String> {
    let mut scored: Vec<(usize, f32)> = (0..count)
        .filter(|&i| keep(i))
        .map(|i| (i, cosine(&vector(i), query)))
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    scored.into_iter().map(|(i, _)| id(i)).collect()
}

fn exact(mut request: QueryRequest) -> QueryRequest {
    request.params = Some(SearchParams {
        hnsw_ef: None,
        exact: true,
    });
    request
}

fn ids_of(points: &[qdrant_integration::types::ScoredPoint]) -> Vec<String> {
    points.iter().map(|p| p.id.clone()).collect()
}

#[tokio::test]
async fn the_filter_language_selects_what_qdrant_would() {
    const N: usize = 60;
    let target = target().await;
    let (client, name) = seeded(&target, "filters", N).await;
    let query = vector(1000);
    type Keep = Box<dyn Fn(usize) -> bool>;
    let cases: Vec<(Value, Keep)> = vec![
        (
            json!({"must": [{"key": "n", "range": {"gte": 10, "lt": 30}}]}),
            Box::new(|i| (10..30).contains(&i)),
        ),
        (
            json!({"should": [{"key": "group", "match": {"value": "a"}},
                              {"key": "tags", "match": {"any": ["x"]}}]}),
            Box::new(|i| i.is_multiple_of(3) || i.is_multiple_of(4)),
        ),
        (
            json!({"must_not": [{"has_id": ["s-1", "s-3", "4"]}]}),
            Box::new(|i| ![1, 3, 4].contains(&i)),
        ),
        (
            json!({"must": [{"key": "group", "match": {"except": ["a", "b"]}}]}),
            Box::new(|i| i % 3 == 2),
        ),
        (
            json!({"must": [{"key": "when", "range":
                {"gte": "2026-01-10T00:00:00Z", "lt": "2026-01-15T00:00:00Z"}}]}),
            Box::new(|i| (10..15).contains(&(i % 28 + 1))),
        ),
        (
            json!({"must": [{"key": "loc", "geo_radius":
                {"center": {"lat": 52.0, "lon": 13.0}, "radius": 2500.0}}]}),
            Box::new(|i| i <= 2),
        ),
        (
            json!({"must": [{"nested": {"key": "reviews",
                "filter": {"must": [{"key": "stars", "match": {"value": 4}}]}}}]}),
            Box::new(|i| i % 5 == 4 || (i + 2) % 5 == 4),
        ),
        (
            json!({"must": [{"key": "tags", "values_count": {"gte": 2}}]}),
            Box::new(|i| i.is_multiple_of(4)),
        ),
        (
            json!({"must": [{"is_empty": {"key": "empty"}}]}),
            Box::new(|i| i.is_multiple_of(6)),
        ),
        (
            json!({"must": [{"is_null": {"key": "maybe"}}]}),
            Box::new(|i| i.is_multiple_of(5)),
        ),
        (
            json!({"min_should": {"conditions": [
                {"key": "group", "match": {"value": "a"}},
                {"key": "tags", "match": {"any": ["x"]}},
                {"key": "n", "range": {"lt": 20}}], "min_count": 2}}),
            Box::new(|i| {
                [i.is_multiple_of(3), i.is_multiple_of(4), i < 20]
                    .iter()
                    .filter(|b| **b)
                    .count()
                    >= 2
            }),
        ),
    ];
    for (filter, keep) in cases {
        let request =
            exact(QueryRequest::nearest(&query, N as u32)).filter(Filter::Json(filter.to_string()));
        let got = ids_of(&client.query(&name, &request).await.unwrap());
        assert_eq!(got, brute_force(N, &query, keep), "filter {filter}");
        let count = client
            .count(&name, Some(&Filter::Json(filter.to_string())), true)
            .await
            .unwrap();
        assert_eq!(count as usize, got.len(), "count with {filter}");
    }

    // The typed helpers build the same language.
    let typed = Filter::Conditions(Conditions {
        must: vec![Condition::Keyword(("group".into(), "b".into()))],
        should: vec![],
        must_not: vec![
            Condition::HasId(vec!["s-1".into(), "s-7".into()]),
            Condition::Range((
                "n".into(),
                qdrant_integration::types::Range {
                    gt: Some(40.0),
                    gte: None,
                    lt: None,
                    lte: None,
                },
            )),
        ],
    });
    let request = exact(QueryRequest::nearest(&query, N as u32)).filter(typed);
    let got = ids_of(&client.query(&name, &request).await.unwrap());
    assert_eq!(
        got,
        brute_force(N, &query, |i| i % 3 == 1 && i != 1 && i != 7 && i <= 40)
    );
    client.delete_collection(&name).await.unwrap();
}

#[tokio::test]
async fn query_options_shape_the_results() {
    const N: usize = 40;
    let target = target().await;
    let (client, name) = seeded(&target, "query_options", N).await;
    let query = vector(77);
    let all = brute_force(N, &query, |_| true);

    // offset skips, limit caps.
    let mut page = exact(QueryRequest::nearest(&query, 5));
    page.offset = 5;
    assert_eq!(
        ids_of(&client.query(&name, &page).await.unwrap()),
        all[5..10]
    );

    // Payload include / exclude / none, and vectors on request.
    let mut request = exact(QueryRequest::nearest(&query, 3));
    request.with_payload = PayloadSelector::Include(vec!["n".into()]);
    request.with_vectors = VectorSelector::All;
    let hits = client.query(&name, &request).await.unwrap();
    for hit in &hits {
        let payload: Value = serde_json::from_str(&hit.payload).unwrap();
        let i = payload["n"].as_u64().unwrap() as usize;
        assert_eq!(payload, json!({"n": i}));
        assert_eq!(hit.id, id(i));
        // Cosine collections store normalised vectors.
        let stored = hit.vectors[0].vector.dense_values().unwrap();
        let norm = vector(i).iter().map(|x| x * x).sum::<f32>().sqrt();
        for (s, v) in stored.iter().zip(vector(i)) {
            assert!((s - v / norm).abs() < 1e-4);
        }
    }
    request.with_payload = PayloadSelector::Exclude(vec!["reviews".into(), "loc".into()]);
    request.with_vectors = VectorSelector::None;
    let hits = client.query(&name, &request).await.unwrap();
    let payload: Value = serde_json::from_str(&hits[0].payload).unwrap();
    assert!(payload.get("reviews").is_none() && payload.get("loc").is_none());
    assert!(payload.get("group").is_some());
    assert!(hits[0].vectors.is_empty());
    request.with_payload = PayloadSelector::None;
    let hits = client.query(&name, &request).await.unwrap();
    assert_eq!(hits[0].payload, "{}");
    assert_eq!(ids_of(&hits), all[..3], "ids survive a payload-free query");

    // Nearest to a stored point, by its (string) id.
    let by_point = exact(QueryRequest {
        query: Query::Nearest(QueryVector::Point(id(3))),
        ..QueryRequest::nearest(&query, 6)
    });
    let mut got = ids_of(&client.query(&name, &by_point).await.unwrap());
    got.retain(|p| *p != id(3));
    let mut want = brute_force(N, &vector(3), |i| i != 3);
    want.truncate(got.len());
    assert_eq!(got, want);

    // A batch answers each query as it would alone, in order.
    let requests: Vec<QueryRequest> = [1usize, 2, 3]
        .iter()
        .map(|&q| exact(QueryRequest::nearest(&vector(500 + q), 4)))
        .collect();
    let batch = client.query_batch(&name, &requests).await.unwrap();
    assert_eq!(batch.len(), 3);
    for (request, answer) in requests.iter().zip(&batch) {
        let alone = client.query(&name, request).await.unwrap();
        assert_eq!(ids_of(answer), ids_of(&alone));
    }

    // Wrong dimension and unknown vector names are the server's 4xx, typed.
    let wrong = client
        .query(&name, &QueryRequest::nearest(&[1.0; DIM + 1], 3))
        .await;
    assert!(matches!(wrong, Err(Error::BadRequest(_))), "{wrong:?}");
    let unknown = client
        .query(&name, &QueryRequest::nearest(&query, 3).using("nope"))
        .await;
    assert!(matches!(unknown, Err(Error::BadRequest(_))), "{unknown:?}");
    client.delete_collection(&name).await.unwrap();
}

#[tokio::test]
async fn points_can_be_read_changed_and_deleted() {
    const N: usize = 20;
    let target = target().await;
    let (client, name) = seeded(&target, "points", N).await;
    let ids = |list: &[usize]| list.iter().map(|&i| id(i)).collect::<Vec<_>>();

    // Get: asked order, missing ids skipped, payload and vectors on request.
    let got = client
        .get_points(
            &name,
            &[id(5), "999".into(), id(2)],
            &PayloadSelector::All,
            &VectorSelector::All,
        )
        .await
        .unwrap();
    assert_eq!(
        got.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
        ids(&[5, 2])
    );
    let p5: Value = serde_json::from_str(&got[0].payload).unwrap();
    assert_eq!(p5, payload(5));
    assert_eq!(got[0].vectors.len(), 1);

    // Set merges, at a nested key too; overwrite replaces but keeps string ids.
    let selector = PointsSelector::Ids(ids(&[1, 2]));
    client
        .set_payload(&name, &selector, &json!({"fresh": true}), None, true)
        .await
        .unwrap();
    client
        .set_payload(&name, &selector, &json!({"lat": 1.5}), Some("loc"), true)
        .await
        .unwrap();
    let got = client
        .get_points(
            &name,
            &ids(&[1]),
            &PayloadSelector::All,
            &VectorSelector::None,
        )
        .await
        .unwrap();
    let p1: Value = serde_json::from_str(&got[0].payload).unwrap();
    assert_eq!(p1["fresh"], true);
    assert_eq!(p1["loc"], json!({"lat": 1.5, "lon": 13.0}));
    assert_eq!(p1["n"], 1);

    client
        .overwrite_payload(&name, &selector, &json!({"only": 1}), true)
        .await
        .unwrap();
    client
        .delete_payload_keys(
            &name,
            &PointsSelector::Ids(ids(&[3])),
            &["group".into()],
            true,
        )
        .await
        .unwrap();
    client
        .clear_payload(&name, &PointsSelector::Ids(ids(&[4])), true)
        .await
        .unwrap();
    let got = client
        .get_points(
            &name,
            &ids(&[1, 2, 3, 4]),
            &PayloadSelector::All,
            &VectorSelector::None,
        )
        .await
        .unwrap();
    assert_eq!(
        got.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
        ids(&[1, 2, 3, 4])
    );
    assert_eq!(got[0].payload, r#"{"only":1}"#);
    assert_eq!(got[1].payload, r#"{"only":1}"#);
    let p3: Value = serde_json::from_str(&got[2].payload).unwrap();
    assert!(p3.get("group").is_none() && p3["n"] == 3);
    assert_eq!(got[3].payload, "{}");

    // Counting and deleting by ids and by filter.
    assert_eq!(client.count(&name, None, true).await.unwrap(), N as u64);
    let approx = client.count(&name, None, false).await.unwrap();
    assert!(approx > 0);
    let done = client
        .delete_points(&name, &PointsSelector::Ids(ids(&[0, 1])), true)
        .await
        .unwrap();
    assert!(done.completed);
    let group_c = Filter::MustMatch(vec![("group".into(), "c".into())]);
    client
        .delete_points(&name, &PointsSelector::Filter(group_c.clone()), true)
        .await
        .unwrap();
    assert_eq!(client.count(&name, Some(&group_c), true).await.unwrap(), 0);
    // Left: not 0 or 1, not group c (2 was overwritten and lost its group, so it stays).
    let left = (0..N).filter(|&i| i > 1 && (i % 3 != 2 || i == 2)).count();
    assert_eq!(client.count(&name, None, true).await.unwrap(), left as u64);

    // Bad input is rejected before sending and changes nothing.
    for bad in [json!([1]), json!({"_string_id": "x"})] {
        let got = client
            .set_payload(&name, &PointsSelector::Ids(ids(&[2])), &bad, None, true)
            .await;
        assert!(matches!(got, Err(Error::InvalidInput(_))), "{bad}");
    }
    client.delete_collection(&name).await.unwrap();
}

#[tokio::test]
async fn scroll_walks_the_whole_collection() {
    const N: usize = 250;
    let target = target().await;
    let (client, name) = seeded(&target, "scroll", N).await;
    for (filter, keep) in [
        (None, Box::new(|_| true) as Box<dyn Fn(usize) -> bool>),
        (
            Some(Filter::MustMatch(vec![("group".into(), "a".into())])),
            Box::new(|i| i.is_multiple_of(3)),
        ),
    ] {
        let mut request = ScrollRequest::new(64);
        request.filter = filter;
        request.with_payload = PayloadSelector::Include(vec!["n".into()]);
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let page = client.scroll(&name, &request).await.unwrap();
            pages += 1;
            seen.extend(page.points.into_iter().map(|p| p.id));
            match page.next_offset {
                Some(next) => request.offset = Some(next),
                None => break,
            }
        }
        let want: BTreeSet<String> = (0..N).filter(|&i| keep(i)).map(id).collect();
        assert_eq!(seen.len(), want.len(), "no point twice");
        assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), want);
        assert_eq!(pages, want.len().div_ceil(64).max(1));
    }
    client.delete_collection(&name).await.unwrap();
}

#[tokio::test]
async fn a_bulk_upsert_writes_its_requests_in_order() {
    // 50 writes to 30 ids in requests of 7: the host sends each body while the component
    // writes the next, yet every id keeps its last write, as if sent one by one.
    let target = target().await;
    let client = common::client(&target).await.with_upsert_batch_size(7);
    let name = fresh_collection(&client, "bulk_order").await;
    let flat: Vec<f32> = (0..50).flat_map(vector).collect();
    let payloads: Vec<Value> = (0..50).map(|i| json!({"write": i})).collect();
    let batch = PointBatch::new((0..50).map(|i| id(i % 30)).collect())
        .with_dense("", DIM as u32, &flat)
        .with_payloads(&payloads);
    assert_eq!(client.upsert_points(&name, &batch, true).await.unwrap(), 50);
    assert_eq!(client.count(&name, None, true).await.unwrap(), 30);
    let mut request = ScrollRequest::new(100);
    request.with_payload = PayloadSelector::All;
    let page = client.scroll(&name, &request).await.unwrap();
    let stored: BTreeSet<(String, i64)> = page
        .points
        .iter()
        .map(|p| {
            let payload: Value = serde_json::from_str(&p.payload).unwrap();
            (p.id.clone(), payload["write"].as_i64().unwrap())
        })
        .collect();
    let last: BTreeSet<(String, i64)> = (20..50).map(|i| (id(i % 30), i as i64)).collect();
    assert_eq!(stored, last);
    client.delete_collection(&name).await.unwrap();
}

#[tokio::test]
async fn validate_points_refuses_what_upsert_refuses_and_sends_nothing() {
    let target = target().await;
    let client = common::client(&target).await;
    let name = fresh_collection(&client, "validate").await;
    let mut flat: Vec<f32> = (0..20).flat_map(vector).collect();
    let payloads: Vec<Value> = (0..20).map(payload).collect();
    let good = PointBatch::new((0..20).map(id).collect())
        .with_dense("", DIM as u32, &flat)
        .with_payloads(&payloads);
    client.validate_points(&good).await.unwrap();
    flat[17 * DIM + 2] = f32::INFINITY;
    let bad = PointBatch::new((0..20).map(id).collect())
        .with_dense("", DIM as u32, &flat)
        .with_payloads(&payloads);
    let refused = client.validate_points(&bad).await.unwrap_err();
    assert!(
        matches!(&refused, Error::InvalidInput(m) if m.contains("vector 17")),
        "{refused}"
    );
    let upserted = client.upsert_points(&name, &bad, true).await.unwrap_err();
    assert_eq!(refused.to_string(), upserted.to_string());
    // Neither wrote anything; a valid batch was only checked, not sent.
    assert_eq!(client.count(&name, None, true).await.unwrap(), 0);
    client.delete_collection(&name).await.unwrap();
}

#[tokio::test]
async fn named_sparse_and_hybrid_retrieval() {
    let target = target().await;
    let client = client(&target).await;
    let name = collection_name("hybrid");
    let _ = client.delete_collection(&name).await;
    let config = CollectionConfig::new(vec![VectorParams::new("dense", 4, Distance::Dot)])
        .with_sparse(SparseVectorParams::new("text", SparseModifier::None));
    client.create_collection_with(&name, &config).await.unwrap();
    let info = client.collection_info(&name).await.unwrap();
    assert_eq!(info.vectors.len(), 1);
    assert_eq!(info.vectors[0].name, "dense");
    assert_eq!(info.vectors[0].size, 4);
    assert_eq!(info.sparse_vectors[0].name, "text");

    // Dense favours "d0"; sparse term 7 appears only in "d3".
    let dense: Vec<f32> = vec![
        1.0, 0.0, 0.0, 0.0, //
        0.5, 0.5, 0.0, 0.0, //
        0.0, 1.0, 0.0, 0.0, //
        0.0, 0.0, 1.0, 0.0,
    ];
    let sparse = |indices: Vec<u32>, values: Vec<f32>| SparseVector { indices, values };
    let batch = PointBatch::new(vec!["d0".into(), "d1".into(), "d2".into(), "d3".into()])
        .with_dense("dense", 4, &dense)
        .with_sparse(
            "text",
            vec![
                sparse(vec![1, 2], vec![1.0, 1.0]),
                sparse(vec![2], vec![0.5]),
                sparse(vec![1], vec![0.2]),
                sparse(vec![7, 1], vec![2.0, 0.1]),
            ],
        );
    client.upsert_points(&name, &batch, true).await.unwrap();

    let dense_hits = client
        .query(
            &name,
            &QueryRequest::nearest(&[1.0, 0.2, 0.0, 0.0], 4).using("dense"),
        )
        .await
        .unwrap();
    assert_eq!(dense_hits[0].id, "d0");
    assert!((dense_hits[0].score - 1.0).abs() < 1e-5);

    let term = sparse(vec![7, 2], vec![1.0, 1.0]);
    let sparse_hits = client
        .query(
            &name,
            &QueryRequest::nearest_sparse("text", term.clone(), 4),
        )
        .await
        .unwrap();
    // Dot products over shared indices: d3 = 2.0, d0 = 1.0, d1 = 0.5; d2 shares none.
    assert_eq!(ids_of(&sparse_hits), ["d3", "d0", "d1"]);
    assert!((sparse_hits[0].score - 2.0).abs() < 1e-5);

    let hybrid = QueryRequest::fusion(
        Fusion::Rrf,
        vec![
            // Dense ranks d3 (1.0) then d2 (0.1); sparse ranks d0 (1.0) then d1 (0.5).
            Prefetch::dense("dense", &[0.0, 0.1, 1.0, 0.0], 2),
            Prefetch::sparse("text", sparse(vec![2], vec![1.0]), 2),
        ],
        3,
    );
    let fused = client.query(&name, &hybrid).await.unwrap();
    // d3 tops the dense stage, d0 the sparse stage: both lead the fused list, the
    // runners-up follow.
    let top: BTreeSet<String> = ids_of(&fused[..2]).into_iter().collect();
    assert_eq!(top, BTreeSet::from(["d0".to_string(), "d3".to_string()]));
    assert_eq!(fused.len(), 3);
    assert!(["d1", "d2"].contains(&fused[2].id.as_str()));
    assert!(fused.windows(2).all(|w| w[0].score >= w[1].score));

    // Vectors come back by name.
    let got = client
        .get_points(
            &name,
            &["d3".into()],
            &PayloadSelector::None,
            &VectorSelector::All,
        )
        .await
        .unwrap();
    let names: BTreeSet<String> = got[0].vectors.iter().map(|v| v.name.clone()).collect();
    assert_eq!(
        names,
        BTreeSet::from(["dense".to_string(), "text".to_string()])
    );
    client.delete_collection(&name).await.unwrap();
}

#[tokio::test]
async fn collections_are_configured_listed_and_aliased() {
    let target = target().await;
    let client = client(&target).await;
    let name = collection_name("admin");
    let alias = collection_name("admin_alias");
    let _ = client.delete_alias(&alias).await;
    let _ = client.delete_collection(&name).await;

    client
        .create_collection_multi_vector(&name, vec![("text", 4, "Cosine"), ("image", 6, "Euclid")])
        .await
        .unwrap();
    let info = client.collection_info(&name).await.unwrap();
    assert_eq!(info.status, CollectionStatus::Green);
    assert_eq!(info.points_count, Some(0));
    let mut layout: Vec<(String, u64, Distance)> = info
        .vectors
        .iter()
        .map(|v| (v.name.clone(), v.size, v.distance))
        .collect();
    layout.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        layout,
        [
            ("image".to_string(), 6, Distance::Euclid),
            ("text".to_string(), 4, Distance::Cosine)
        ]
    );
    assert!(client.list_collections().await.unwrap().contains(&name));

    client.enable_quantization(&name, "scalar").await.unwrap();
    let config: Value =
        serde_json::from_str(&client.collection_info(&name).await.unwrap().config_json).unwrap();
    assert_eq!(config["quantization_config"]["scalar"]["type"], "int8");
    client
        .update_collection(
            &name,
            CollectionUpdate {
                hnsw: None,
                quantization: Some(QuantizationChange::Disable),
            },
        )
        .await
        .unwrap();
    let config: Value =
        serde_json::from_str(&client.collection_info(&name).await.unwrap().config_json).unwrap();
    assert!(config["quantization_config"].is_null(), "{config}");
    let unknown = client.enable_quantization(&name, "fancy").await;
    assert!(matches!(unknown, Err(Error::InvalidInput(_))));

    // An alias reaches the same collection.
    client.create_alias(&alias, &name).await.unwrap();
    let aliases = client.list_aliases(Some(&name)).await.unwrap();
    assert_eq!(aliases.len(), 1);
    assert_eq!(
        (aliases[0].alias.as_str(), aliases[0].collection.as_str()),
        (alias.as_str(), name.as_str())
    );
    assert!(
        client
            .list_aliases(None)
            .await
            .unwrap()
            .iter()
            .any(|a| a.alias == alias)
    );
    let batch = PointBatch::new(vec!["1".into()])
        .with_dense("text", 4, &[1.0, 0.0, 0.0, 0.0])
        .with_dense("image", 6, &[0.0; 6]);
    client.upsert_points(&alias, &batch, true).await.unwrap();
    assert_eq!(client.count(&name, None, true).await.unwrap(), 1);
    client.delete_alias(&alias).await.unwrap();
    assert!(client.list_aliases(Some(&name)).await.unwrap().is_empty());

    // A second create conflicts; deleting twice reports the second as a no-op.
    let again = client.create_collection(&name, 4, "Dot").await;
    assert!(
        matches!(again, Err(Error::Conflict(_) | Error::BadRequest(_))),
        "{again:?}"
    );
    client.delete_collection(&name).await.unwrap();
    assert!(!client.list_collections().await.unwrap().contains(&name));

    // Cluster settings and quantization at creation are accepted and reported.
    let mut config = CollectionConfig::new(vec![VectorParams::new("", 4, Distance::Manhattan)]);
    config.shard_number = Some(1);
    config.replication_factor = Some(1);
    config.write_consistency_factor = Some(1);
    config.quantization = Some(Quantization::Scalar(ScalarQuantization {
        quantile: Some(0.99),
        always_ram: None,
    }));
    client.create_collection_with(&name, &config).await.unwrap();
    let info = client.collection_info(&name).await.unwrap();
    assert_eq!(info.vectors[0].name, "");
    assert_eq!(info.vectors[0].distance, Distance::Manhattan);
    assert_eq!(info.shard_number, Some(1));
    let config: Value = serde_json::from_str(&info.config_json).unwrap();
    assert_eq!(
        config["quantization_config"]["scalar"]["quantile"]
            .as_f64()
            .map(|q| (q * 100.0).round()),
        Some(99.0)
    );
    client.delete_collection(&name).await.unwrap();
}

#[tokio::test]
async fn payload_indexes_are_created_and_dropped() {
    let target = target().await;
    let (client, name) = seeded(&target, "indexes", 10).await;
    for (field, schema) in [
        ("group", PayloadSchemaType::Keyword),
        ("n", PayloadSchemaType::Integer),
        ("when", PayloadSchemaType::Datetime),
        ("loc", PayloadSchemaType::Geo),
    ] {
        let done = client
            .create_payload_index(&name, field, schema, true)
            .await
            .unwrap();
        assert!(done.completed);
    }
    let info = client.collection_info(&name).await.unwrap();
    assert_eq!(
        info.payload_schema,
        [
            ("group".to_string(), PayloadSchemaType::Keyword),
            ("loc".to_string(), PayloadSchemaType::Geo),
            ("n".to_string(), PayloadSchemaType::Integer),
            ("when".to_string(), PayloadSchemaType::Datetime),
        ]
    );
    // Indexed or not, filters answer the same.
    let group_a = Filter::MustMatch(vec![("group".into(), "a".into())]);
    assert_eq!(client.count(&name, Some(&group_a), true).await.unwrap(), 4);
    client.delete_payload_index(&name, "n", true).await.unwrap();
    let info = client.collection_info(&name).await.unwrap();
    assert!(info.payload_schema.iter().all(|(f, _)| f != "n"));
    client.delete_collection(&name).await.unwrap();
}

#[tokio::test]
async fn snapshots_restore_a_collection() {
    const N: usize = 30;
    let target = target().await;
    let (client, name) = seeded(&target, "snapshots", N).await;
    let snapshot = client.create_snapshot(&name).await.unwrap();
    assert!(snapshot.size > 0);
    let listed = client.list_snapshots(&name).await.unwrap();
    assert!(listed.iter().any(|s| s.name == snapshot.name));

    // Lose some points, then restore: they are back, with their original ids.
    client
        .delete_points(
            &name,
            &PointsSelector::Filter(Filter::MustMatch(vec![("group".into(), "a".into())])),
            true,
        )
        .await
        .unwrap();
    assert_eq!(
        client.count(&name, None, true).await.unwrap(),
        (N - 10) as u64
    );
    client.restore_snapshot(&name, &snapshot).await.unwrap();
    assert_eq!(client.count(&name, None, true).await.unwrap(), N as u64);
    let got = client
        .get_points(
            &name,
            &[id(3)],
            &PayloadSelector::All,
            &VectorSelector::None,
        )
        .await
        .unwrap();
    assert_eq!(got[0].id, id(3));
    assert_eq!(
        serde_json::from_str::<Value>(&got[0].payload).unwrap(),
        payload(3)
    );

    assert!(client.delete_snapshot(&name, &snapshot.name).await.unwrap());
    assert!(!client.delete_snapshot(&name, &snapshot.name).await.unwrap());
    let bad = client
        .restore_snapshot(&name, "ftp://elsewhere/x.snapshot")
        .await;
    assert!(matches!(bad, Err(Error::InvalidInput(_))), "{bad:?}");
    client.delete_collection(&name).await.unwrap();
}

#[tokio::test]
async fn service_endpoints_and_server_timeouts_answer() {
    let target = target().await;
    let client = client(&target).await;
    assert!(client.ready().await.unwrap());
    let info = client.server_info().await.unwrap();
    assert!(!info.version.is_empty());

    // Operations that take Qdrant's `timeout` parameter accept it.
    let patient = client.with_server_timeout(std::time::Duration::from_secs(30));
    let name = collection_name("server_timeout");
    let _ = patient.delete_collection(&name).await;
    patient.create_collection(&name, 2, "Dot").await.unwrap();
    let batch = PointBatch::new(vec!["1".into()]).with_dense("", 2, &[1.0, 0.5]);
    patient.upsert_points(&name, &batch, true).await.unwrap();
    assert_eq!(patient.count(&name, None, true).await.unwrap(), 1);
    let hits = patient
        .query(&name, &QueryRequest::nearest(&[1.0, 0.0], 1))
        .await
        .unwrap();
    assert_eq!(ids_of(&hits), ["1"]);
    patient.delete_collection(&name).await.unwrap();
}

/// Read consistency, write ordering and shard keys reach the server; a standalone server
/// (the embedded engine, or a single Qdrant) takes the first two and has no shard keys.
#[tokio::test]
async fn cluster_parameters_are_sent_and_answered_as_a_standalone_qdrant_does() {
    let target = target().await;
    let (client, name) = seeded(&target, "cluster", 20).await;
    let query = exact(QueryRequest::nearest(&vector(3), 5));
    let expected = ids_of(&client.query(&name, &query).await.unwrap());
    assert_eq!(expected, brute_force(20, &vector(3), |_| true)[..5]);

    for consistency in [
        ReadConsistency::Factor(2),
        ReadConsistency::Majority,
        ReadConsistency::Quorum,
        ReadConsistency::All,
    ] {
        let careful = client
            .clone()
            .with_read_consistency(consistency)
            .with_write_ordering(WriteOrdering::Strong);
        assert_eq!(
            ids_of(&careful.query(&name, &query).await.unwrap()),
            expected
        );
        assert_eq!(careful.count(&name, None, true).await.unwrap(), 20);
        let got = careful
            .get_points(
                &name,
                &[id(4)],
                &PayloadSelector::All,
                &VectorSelector::None,
            )
            .await
            .unwrap();
        assert_eq!(got[0].id, id(4));
        let selector = PointsSelector::Ids(vec![id(4)]);
        let written = careful
            .set_payload(&name, &selector, &json!({"seen": true}), None, true)
            .await
            .unwrap();
        assert!(written.completed);
    }

    // A named shard key does not exist on a standalone server: reads and writes say so,
    // with Qdrant's messages, and nothing is written.
    let tenant = client.clone().with_shard_key("eu");
    let batch = PointBatch::new(vec!["999".into()]).with_dense("", DIM as u32, &vector(999));
    let refused = tenant.upsert_points(&name, &batch, true).await;
    assert!(
        matches!(&refused, Err(Error::BadRequest(m)) if m.contains("Shard key \"eu\" not found")),
        "{refused:?}"
    );
    let refused = tenant.query(&name, &query).await;
    assert!(
        matches!(&refused, Err(Error::BadRequest(m)) if m.contains("Shard key \"eu\" not found")),
        "{refused:?}"
    );
    let fallback = client
        .clone()
        .with_shard_key(ShardKeySelector::with_fallback("tenant-1", 7u64));
    let refused = fallback.upsert_points(&name, &batch, true).await;
    assert!(
        matches!(&refused, Err(Error::NotFound(m)) if m.contains("Neither target shard key \"tenant-1\" nor fallback shard key 7")),
        "{refused:?}"
    );
    let nothing = client
        .clone()
        .with_shard_key(ShardKeySelector::Keys(vec![]));
    assert!(matches!(
        nothing.count(&name, None, true).await,
        Err(Error::InvalidInput(_))
    ));
    assert_eq!(client.count(&name, None, true).await.unwrap(), 20);

    // Shard keys are a distributed-mode feature.
    let refused = client.create_shard_key(&name, "eu").await;
    assert!(
        matches!(&refused, Err(Error::BadRequest(m)) if m.contains("Distributed mode disabled")),
        "{refused:?}"
    );
    let refused = client.delete_shard_key(&name, 3u64).await;
    assert!(matches!(refused, Err(Error::BadRequest(_))), "{refused:?}");
    assert!(client.list_shard_keys(&name).await.unwrap().is_empty());

    // A custom-sharded collection has no shards there: empty reads, refused writes.
    let custom = collection_name("cluster_custom");
    let _ = client.delete_collection(&custom).await;
    let mut config =
        CollectionConfig::new(vec![VectorParams::new("", DIM as u64, Distance::Cosine)]);
    config.sharding_method = Some(ShardingMethod::Custom);
    client
        .create_collection_with(&custom, &config)
        .await
        .unwrap();
    let info: Value =
        serde_json::from_str(&client.collection_info(&custom).await.unwrap().config_json).unwrap();
    assert_eq!(info["params"]["sharding_method"], "custom");
    assert!(client.list_shard_keys(&custom).await.unwrap().is_empty());
    let refused = client.upsert_points(&custom, &batch, true).await;
    assert!(
        matches!(&refused, Err(Error::BadRequest(m)) if m.contains("Shard key not specified")),
        "{refused:?}"
    );
    assert_eq!(client.count(&custom, None, true).await.unwrap(), 0);
    assert!(client.query(&custom, &query).await.unwrap().is_empty());
    client.delete_collection(&custom).await.unwrap();
    client.delete_collection(&name).await.unwrap();
}
