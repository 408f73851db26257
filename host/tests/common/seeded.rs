//! The seeded collection the surface tests (`surface_*.rs`) share: its ids (integers and
//! strings), its payloads, and the answers computed from them (brute-force cosine ranking),
//! so expected results are derived from the data, never hard-coded.
//!
//! Included with `#[path = "common/seeded.rs"] mod seeded;` after `mod common;`.

#![allow(dead_code)] // each test binary uses its own subset

use serde_json::{Value, json};

use crate::common::{DIM, Target, client, cosine, fresh_collection, vector};
use qdrant_integration::QdrantClient;
use qdrant_integration::types::{PointBatch, QueryRequest, SearchParams};

/// Even points have integer ids, odd ones free-form string ids (mapped by the component).
pub fn id(i: usize) -> String {
    if i.is_multiple_of(2) {
        i.to_string()
    } else {
        format!("s-{i}")
    }
}

pub const GROUPS: [&str; 3] = ["a", "b", "c"];

pub fn payload(i: usize) -> Value {
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
pub async fn seeded(target: &Target, test: &str, count: usize) -> (QdrantClient, String) {
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
pub fn brute_force(count: usize, query: &[f32], keep: impl Fn(usize) -> bool) -> Vec<String> {
    let mut scored: Vec<(usize, f32)> = (0..count)
        .filter(|&i| keep(i))
        .map(|i| (i, cosine(&vector(i), query)))
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    scored.into_iter().map(|(i, _)| id(i)).collect()
}

pub fn exact(mut request: QueryRequest) -> QueryRequest {
    request.params = Some(SearchParams {
        hnsw_ef: None,
        exact: true,
    });
    request
}

pub fn ids_of(points: &[qdrant_integration::types::ScoredPoint]) -> Vec<String> {
    points.iter().map(|p| p.id.clone()).collect()
}
