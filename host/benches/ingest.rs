//! Ingest: 10 000 × 384-d points with payloads, in batches of 256, `wait=true`, through
//! `QdrantClient::upsert_points` against a native pooled client sending the identical
//! `PUT /collections/{c}/points?wait=true` bodies. Each round writes the data set into two
//! fresh collections, one per side, batch by batch in alternating order, so both sides meet
//! the same engine state; the time spent in the upsert calls is summed per side.
//!
//! `cargo bench -p qdrant-integration --bench ingest`

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use qdrant_component::model as cm;
use qdrant_integration::{QdrantClient, types};
use serde_json::Value;

const HOST_COLLECTION: &str = "bench_ingest_host";
const NATIVE_COLLECTION: &str = "bench_ingest_native";
const ROUNDS: usize = 3;

/// The native client's request types for `PUT /points`.
#[derive(serde::Serialize)]
struct UpsertBody<'a> {
    points: Vec<PointBody<'a>>,
}

#[derive(serde::Serialize)]
struct PointBody<'a> {
    id: u64,
    vector: &'a [f32],
    payload: &'a Value,
}

struct Batch {
    ids: Vec<String>,
    rows: std::ops::Range<usize>,
    payloads: Vec<Value>,
    replay: Replay,
}

fn main() {
    let server = Server::start();
    let rt = client_runtime();
    let data = Arc::new(vectors(POINTS, 3));
    let batches: Vec<Batch> = (0..POINTS)
        .step_by(BATCH)
        .map(|start| {
            let end = (start + BATCH).min(POINTS);
            let ids = ids(start..end);
            let payloads: Vec<Value> = (start..end).map(payload).collect();
            let batch = cm::PointBatch {
                ids: ids.clone(),
                dense: vec![cm::DenseColumn {
                    name: String::new(),
                    dimension: DIM as u32,
                    data: qdrant_component::vector::pack(&data[start * DIM..end * DIM]),
                }],
                sparse: vec![],
                payloads: payloads.iter().map(ToString::to_string).collect(),
            };
            let captured = capture(&server.url, REPLY_UPDATE, |qdrant| {
                qdrant
                    .upsert_points(NATIVE_COLLECTION, &batch, true)
                    .map(|_| ())
            });
            let (rows, body_payloads) = (data.clone(), Arc::new(payloads.clone()));
            let replay = Replay::with_body(
                &captured,
                Arc::new(move || {
                    let points: Vec<PointBody> = (start..end)
                        .map(|i| PointBody {
                            id: i as u64,
                            vector: &rows[i * DIM..(i + 1) * DIM],
                            payload: &body_payloads[i - start],
                        })
                        .collect();
                    serde_json::to_vec(&UpsertBody { points }).unwrap()
                }),
            );
            Batch {
                ids,
                rows: start * DIM..end * DIM,
                payloads,
                replay,
            }
        })
        .collect();
    println!(
        "ingest bench: {POINTS} x {DIM}-d points with payloads, {} requests of <= {BATCH}, wait=true, engine at {}",
        batches.len(),
        server.url
    );

    let (host, native) = rt.block_on(async {
        let client = QdrantClient::new(&server.url, None).await.expect("client");
        let native = Native::new();
        let mut host_rounds = Vec::new();
        let mut native_rounds = Vec::new();
        for round in 0..ROUNDS {
            for name in [HOST_COLLECTION, NATIVE_COLLECTION] {
                fresh_collection(&client, name).await;
            }
            let (mut host, mut native_time) = (Duration::ZERO, Duration::ZERO);
            for (k, batch) in batches.iter().enumerate() {
                // Batch k goes into both collections back to back, in alternating order, so
                // the engine's state (segments, optimizer) is the same for both sides.
                if (k + round) % 2 == 0 {
                    host += host_upsert(&client, &data, batch).await;
                    native_time += native_upsert(&native, batch).await;
                } else {
                    native_time += native_upsert(&native, batch).await;
                    host += host_upsert(&client, &data, batch).await;
                }
            }
            for name in [HOST_COLLECTION, NATIVE_COLLECTION] {
                let info = client.collection_info(name).await.expect("info");
                if let Some(count) = info.points_count {
                    assert_eq!(count, POINTS as u64, "every point written to {name}");
                }
            }
            println!(
                "  round {}: host {} ({:>6.0} points/s)   native {} ({:>6.0} points/s)   ratio {:.3}",
                round + 1,
                ms(host),
                POINTS as f64 / host.as_secs_f64(),
                ms(native_time),
                POINTS as f64 / native_time.as_secs_f64(),
                native_time.as_secs_f64() / host.as_secs_f64()
            );
            host_rounds.push(host);
            native_rounds.push(native_time);
        }
        (host_rounds, native_rounds)
    });
    let total = |v: &[Duration]| v.iter().sum::<Duration>();
    let (h, n) = (total(&host), total(&native));
    let host_pps = (POINTS * ROUNDS) as f64 / h.as_secs_f64();
    let native_pps = (POINTS * ROUNDS) as f64 / n.as_secs_f64();
    let ratio = host_pps / native_pps;
    println!("\n== ingest summary ==");
    println!(
        "  ingest {POINTS} points x {ROUNDS} rounds: host {host_pps:.0} points/s, native {native_pps:.0} points/s (time in upsert calls only)"
    );
    println!(
        "{}",
        line(
            "ingest throughput ratio host/native",
            ratio,
            ">= 0.95",
            ratio >= 0.95
        )
    );
}

/// One host upsert: the `PointBatch` is built from the raw data inside the timing.
async fn host_upsert(client: &QdrantClient, data: &[f32], batch: &Batch) -> Duration {
    let started = Instant::now();
    let points = types::PointBatch::new(batch.ids.clone())
        .with_dense("", DIM as u32, &data[batch.rows.clone()])
        .with_payloads(&batch.payloads);
    let n = client
        .upsert_points(HOST_COLLECTION, &points, true)
        .await
        .expect("host upsert");
    let elapsed = started.elapsed();
    assert_eq!(n as usize, batch.ids.len());
    elapsed
}

/// One native upsert: typed structs serialised inside the timing, the answer parsed.
async fn native_upsert(native: &Native, batch: &Batch) -> Duration {
    let (elapsed, answer) = timed(native.send(&batch.replay)).await;
    assert_eq!(answer["result"]["status"], "completed");
    elapsed
}

/// Drops and recreates `name`, then waits until no collection is being optimised.
async fn fresh_collection(client: &QdrantClient, name: &str) {
    if client.collection_exists(name).await.expect("exists") {
        client.delete_collection(name).await.expect("delete");
    }
    client
        .create_collection(name, DIM as u64, "Cosine")
        .await
        .expect("create");
    let started = Instant::now();
    for other in client.list_collections().await.expect("list") {
        while started.elapsed() < Duration::from_secs(60) {
            match client.collection_info(&other).await {
                Ok(info) if info.status != types::CollectionStatus::Green => {
                    tokio::time::sleep(Duration::from_millis(100)).await
                }
                _ => break,
            }
        }
    }
}
