//! An app component that uses the retriever the way another team's component would: it
//! imports `qdrant:retriever/client` (nothing of Qdrant's REST API, no HTTP) and exports
//! `wasi:cli/run` (its `main`). `wac plug` fills the import with the retriever component;
//! the result runs under any wasi-http host:
//!
//! ```sh
//! wac plug target/component/wasm32-wasip2/release/qdrant-component-app.wasm \
//!     --plug target/component/wasm32-wasip2/release/qdrant_component.wasm -o app.wasm
//! wasmtime run -S http --env QDRANT_URL=http://127.0.0.1:6333 app.wasm
//! ```
//!
//! It runs the retrieval smoke test every host runs (scripts/hosts.sh): health, create a
//! collection, upsert 50 points with payloads, a filtered query whose expected ids it
//! computes from the same data, delete. It exits 1 with a message on the first difference.

use qdrant_component_app::qdrant::retriever::client;
use qdrant_component_app::qdrant::retriever::types::{
    DenseColumn, Distance, Error, Filter, PackedVectors, PayloadSelector, PointBatch, Query,
    QueryRequest, QueryVector, VectorSelector,
};

const DIMENSION: usize = 8;
const POINTS: usize = 50;
const GROUPS: [&str; 3] = ["red", "green", "blue"];
const LIMIT: usize = 5;

fn main() {
    if let Err(message) = run() {
        eprintln!("retrieval smoke test failed: {message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let url = std::env::var("QDRANT_URL").map_err(|_| "set QDRANT_URL".to_string())?;
    let collection =
        std::env::var("COLLECTION_NAME").unwrap_or_else(|_| "smoke_component_app".into());
    let cfg = qdrant_component_app::config(url);

    let info = client::health_check(&cfg).map_err(failed("health-check"))?;
    println!("health: {} {}", info.title, info.version);

    client::delete_collection(&cfg, &collection).map_err(failed("delete-collection"))?;
    client::create_collection(&cfg, &collection, DIMENSION as u64, Distance::Cosine)
        .map_err(failed("create-collection"))?;

    let (vectors, query) = smoke_data();
    let points = PointBatch {
        ids: (1..=POINTS).map(|id| id.to_string()).collect(),
        dense: vec![DenseColumn {
            name: String::new(),
            dimension: DIMENSION as u32,
            data: PackedVectors::LeBytes(le_bytes(vectors.iter().flatten())),
        }],
        sparse: vec![],
        payloads: (0..POINTS)
            .map(|i| format!(r#"{{"group":"{}","n":{i}}}"#, GROUPS[i % 3]))
            .collect(),
    };
    let written =
        client::upsert_points(&cfg, &collection, &points, true).map_err(failed("upsert-points"))?;
    println!("upserted: {written}");

    let request = QueryRequest {
        query: Query::Nearest(QueryVector::Dense(PackedVectors::LeBytes(le_bytes(
            query.iter(),
        )))),
        using: None,
        prefetch: vec![],
        filter: Some(Filter::MustMatch(vec![("group".into(), "red".into())])),
        limit: LIMIT as u32,
        offset: 0,
        score_threshold: None,
        with_payload: PayloadSelector::All,
        with_vectors: VectorSelector::None,
        params: None,
    };
    let hits = client::query(&cfg, &collection, &request).map_err(failed("query"))?;
    let expected = expected_hits(&vectors, &query);
    let got: Vec<String> = hits.iter().map(|h| h.id.clone()).collect();
    let want: Vec<String> = expected.iter().map(|(id, _)| id.to_string()).collect();
    if got != want {
        return Err(format!("query returned ids {got:?}, expected {want:?}"));
    }
    for (hit, (_, score)) in hits.iter().zip(&expected) {
        if (f64::from(hit.score) - score).abs() > 1e-4 {
            return Err(format!(
                "point {}: score {}, expected {score}",
                hit.id, hit.score
            ));
        }
        if !hit.payload.contains(r#""group":"red""#) {
            return Err(format!("point {} has payload {}", hit.id, hit.payload));
        }
    }
    println!("query: {got:?}");

    let deleted =
        client::delete_collection(&cfg, &collection).map_err(failed("delete-collection"))?;
    let exists =
        client::collection_exists(&cfg, &collection).map_err(failed("collection-exists"))?;
    if !deleted || exists {
        return Err(format!("deleted {deleted}, still exists {exists}"));
    }
    println!("deleted: {collection}");
    Ok(())
}

/// The smoke test's vectors and query: small integers from one linear congruential
/// sequence (x ← (75x + 74) mod 65537, value x mod 17 − 8), so every language computes
/// the same floats exactly.
fn smoke_data() -> (Vec<[f32; DIMENSION]>, [f32; DIMENSION]) {
    let mut x: u32 = 1;
    let mut next = || {
        x = (x * 75 + 74) % 65537;
        (x % 17) as f32 - 8.0
    };
    let vectors = (0..POINTS)
        .map(|_| std::array::from_fn(|_| next()))
        .collect();
    let query = std::array::from_fn(|_| next());
    (vectors, query)
}

/// The ids and cosine scores of the `LIMIT` red points nearest to `query`, best first.
fn expected_hits(vectors: &[[f32; DIMENSION]], query: &[f32; DIMENSION]) -> Vec<(usize, f64)> {
    let norm = |v: &[f32]| v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    let mut scored: Vec<(usize, f64)> = (0..POINTS)
        .filter(|i| i % 3 == 0)
        .map(|i| {
            let dot: f64 = vectors[i]
                .iter()
                .zip(query)
                .map(|(a, b)| f64::from(*a) * f64::from(*b))
                .sum();
            (i + 1, dot / norm(&vectors[i]) / norm(query))
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    scored.truncate(LIMIT);
    scored
}

/// Names the failed call in the message.
fn failed(what: &'static str) -> impl Fn(Error) -> String {
    move |e| format!("{what}: {e:?}")
}

fn le_bytes<'a>(values: impl Iterator<Item = &'a f32>) -> Vec<u8> {
    values.flat_map(|v| v.to_le_bytes()).collect()
}
