//! A latency probe for the composed app (bench/hosts.py): reads query vectors (little-endian
//! f32 rows of `BENCH_DIMENSION`) from `BENCH_QUERIES`, runs the first top-10 query and
//! prints `first`, then times each of the others and prints `p50_us <median>`.

use std::time::Instant;

use qdrant_component_app::qdrant::retriever::client;
use qdrant_component_app::qdrant::retriever::types::{
    PackedVectors, PayloadSelector, Query, QueryRequest, QueryVector, VectorSelector,
};

fn main() {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("set {name}"));
    let cfg = qdrant_component_app::config(var("QDRANT_URL"));
    let collection = var("BENCH_COLLECTION");
    let dimension: usize = var("BENCH_DIMENSION").parse().expect("a dimension");
    let bytes = std::fs::read(var("BENCH_QUERIES")).expect("the query file");
    let query = |row: &[u8]| QueryRequest {
        query: Query::Nearest(QueryVector::Dense(PackedVectors::LeBytes(row.to_vec()))),
        using: None,
        prefetch: vec![],
        filter: None,
        limit: 10,
        offset: 0,
        score_threshold: None,
        with_payload: PayloadSelector::All,
        with_vectors: VectorSelector::None,
        params: None,
    };
    let mut rows = bytes.chunks_exact(dimension * 4);
    let first = rows.next().expect("at least one query");
    client::query(&cfg, &collection, &query(first)).expect("the first query");
    println!("first");
    let mut times: Vec<u128> = rows
        .map(|row| {
            let started = Instant::now();
            client::query(&cfg, &collection, &query(row)).expect("a query");
            started.elapsed().as_micros()
        })
        .collect();
    times.sort_unstable();
    println!("p50_us {}", times[times.len() / 2]);
}
