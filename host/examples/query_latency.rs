//! A latency probe for the Rust host (bench/hosts.py): reads query vectors (little-endian
//! f32 rows of `BENCH_DIMENSION`) from `BENCH_QUERIES`, runs the first top-10 query against
//! `BENCH_COLLECTION` at `QDRANT_URL` and prints `first`, then times each of the others
//! and prints `p50_us <median>`.
//!
//! ```sh
//! cargo run --release --example query_latency
//! ```

use std::time::Instant;

use qdrant_integration::QdrantClient;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let var = |name: &str| std::env::var(name).map_err(|_| format!("set {name}"));
    let client = QdrantClient::new(&var("QDRANT_URL")?, None).await?;
    let collection = var("BENCH_COLLECTION")?;
    let dimension: usize = var("BENCH_DIMENSION")?.parse()?;
    let bytes = std::fs::read(var("BENCH_QUERIES")?)?;
    let mut rows = bytes.chunks_exact(dimension * 4).map(|row| {
        row.chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect::<Vec<f32>>()
    });
    let first = rows.next().ok_or("no queries")?;
    client.search(&collection, first, 10, None).await?;
    println!("first");
    let mut times = Vec::new();
    for row in rows {
        let started = Instant::now();
        client.search(&collection, row, 10, None).await?;
        times.push(started.elapsed().as_micros());
    }
    times.sort_unstable();
    println!("p50_us {}", times[times.len() / 2]);
    Ok(())
}
