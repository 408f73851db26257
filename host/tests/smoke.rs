//! The retrieval smoke test every host runs (scripts/hosts.sh), here through the Rust host:
//! health, create, upsert 50 points with payloads, a filtered query whose expected ids are
//! computed from the same data, delete.

mod common;

use qdrant_integration::{SearchFilter, VectorPoint};
use serde_json::json;

const DIMENSION: usize = 8;
const POINTS: usize = 50;
const GROUPS: [&str; 3] = ["red", "green", "blue"];
const LIMIT: usize = 5;

/// Small integers from x ← (75x + 74) mod 65537, value x mod 17 − 8: exact in every language.
fn smoke_data() -> (Vec<Vec<f32>>, Vec<f32>) {
    let mut x: u32 = 1;
    let mut row = || {
        (0..DIMENSION)
            .map(|_| {
                x = (x * 75 + 74) % 65537;
                (x % 17) as f32 - 8.0
            })
            .collect::<Vec<f32>>()
    };
    let vectors = (0..POINTS).map(|_| row()).collect();
    (vectors, row())
}

#[tokio::test(flavor = "multi_thread")]
async fn retrieval_smoke() {
    let target = common::target().await;
    let client = common::client(&target).await;
    let collection = common::collection_name("smoke");

    assert!(client.health_check().await.unwrap(), "the server is up");
    client.delete_collection(&collection).await.unwrap();
    client
        .create_collection(&collection, DIMENSION as u64, "Cosine")
        .await
        .unwrap();
    let (vectors, query) = smoke_data();
    let points = vectors
        .iter()
        .enumerate()
        .map(|(i, v)| VectorPoint {
            id: (i + 1).to_string(),
            vector: v.clone(),
            payload: json!({"group": GROUPS[i % 3], "n": i}),
        })
        .collect();
    client.upsert_vectors(&collection, points).await.unwrap();

    let filter = SearchFilter {
        must: vec![("group".into(), "red".into())],
        score_threshold: None,
    };
    let hits = client
        .search(&collection, query.clone(), LIMIT, Some(filter))
        .await
        .unwrap();
    let mut expected: Vec<(String, f32)> = (0..POINTS)
        .filter(|i| i % 3 == 0)
        .map(|i| ((i + 1).to_string(), common::cosine(&vectors[i], &query)))
        .collect();
    expected.sort_by(|a, b| b.1.total_cmp(&a.1));
    expected.truncate(LIMIT);
    let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    let want: Vec<&str> = expected.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, want);
    for (hit, (_, score)) in hits.iter().zip(&expected) {
        assert!(
            (hit.score - score).abs() < 1e-4,
            "{}: {} vs {score}",
            hit.id,
            hit.score
        );
        assert_eq!(hit.payload["group"], "red");
    }

    client.delete_collection(&collection).await.unwrap();
    assert!(!client.collection_exists(&collection).await.unwrap());
}
