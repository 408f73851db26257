//! Queries, through the Rust host, against the embedded engine (or the Qdrant at
//! `QDRANT_URL`): the filter language, query options (offset, payload and vector
//! selection, by point id, batches), named sparse vectors and hybrid fusion. Expected
//! answers are computed from the seeded data (`common/seeded.rs`), never hard-coded.

mod common;
#[path = "common/seeded.rs"]
mod seeded;

use std::collections::BTreeSet;

use common::{DIM, client, collection_name, target, vector};
use qdrant_integration::Error;
use qdrant_integration::types::{
    CollectionConfig, Condition, Conditions, Distance, Filter, Fusion, PayloadSelector, PointBatch,
    Prefetch, Query, QueryRequest, QueryVector, SparseModifier, SparseVector, SparseVectorParams,
    VectorParams, VectorSelector,
};
use seeded::{brute_force, exact, id, ids_of, seeded};
use serde_json::{Value, json};

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
