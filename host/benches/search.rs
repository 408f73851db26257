//! Search: top-10 latency of `QdrantClient::query` against a native pooled client sending
//! the identical `POST /collections/{c}/points/query`, and the throughput of 16 concurrent
//! searchers on each side. 10 000 × 384-d Cosine points in the embedded engine.
//!
//! `cargo bench -p qdrant-integration --bench search` (add `-- latency` or `-- concurrent`
//! to run one part).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use criterion::Criterion;
use qdrant_component::model as cm;
use qdrant_integration::{QdrantClient, types};

const COLLECTION: &str = "bench_search";
const QUERIES: usize = 64;
const LIMIT: u32 = 10;
const LATENCY_SAMPLES: usize = 1500;
const SEARCHERS: usize = 16;
const ROUND: Duration = Duration::from_secs(2);
const ROUNDS: usize = 10;

/// The native client's request type for `POST /points/query`.
#[derive(serde::Serialize)]
struct QueryBody {
    query: Vec<f32>,
    limit: u32,
    with_payload: bool,
    with_vector: bool,
}

struct Setup {
    client: QdrantClient,
    native: Native,
    queries: Vec<Vec<f32>>,
    replays: Vec<Replay>,
}

impl Setup {
    async fn host_query(&self, i: usize) -> usize {
        let request = types::QueryRequest::nearest(&self.queries[i % QUERIES], LIMIT);
        let hits = self.client.query(COLLECTION, &request).await.expect("host");
        std::hint::black_box(&hits);
        hits.len()
    }

    async fn native_query(&self, i: usize) -> usize {
        let answer = self.native.send(&self.replays[i % QUERIES]).await;
        let n = answer["result"]["points"].as_array().map_or(0, Vec::len);
        std::hint::black_box(&answer);
        n
    }
}

fn main() {
    let server = Server::start();
    let rt = client_runtime();
    let setup = Arc::new(rt.block_on(prepare(&server.url)));
    println!(
        "search bench: {POINTS} x {DIM}-d Cosine points, top-{LIMIT}, engine at {}",
        server.url
    );

    let mut summary = Vec::new();
    if selected("latency") {
        summary.extend(latency(&rt, &setup));
    }
    if selected("concurrent") {
        summary.extend(concurrent(&rt, &setup));
    }
    println!("\n== search summary ==");
    for line in summary {
        println!("{line}");
    }
}

async fn prepare(url: &str) -> Setup {
    let client = QdrantClient::new(url, None).await.expect("client");
    if client.collection_exists(COLLECTION).await.expect("exists") {
        client.delete_collection(COLLECTION).await.expect("delete");
    }
    client
        .create_collection(COLLECTION, DIM as u64, "Cosine")
        .await
        .expect("create");
    let data = vectors(POINTS, 1);
    for start in (0..POINTS).step_by(BATCH) {
        let end = (start + BATCH).min(POINTS);
        let payloads: Vec<_> = (start..end).map(payload).collect();
        let batch = types::PointBatch::new(ids(start..end))
            .with_dense("", DIM as u32, &data[start * DIM..end * DIM])
            .with_payloads(&payloads);
        client
            .upsert_points(COLLECTION, &batch, true)
            .await
            .expect("upsert");
    }
    // Let the engine's optimizer finish (index build) so both sides see a quiet server.
    let waited = Instant::now();
    wait_until_optimized(&client).await;
    println!(
        "  ingested; collection optimized after {:.1} s",
        waited.elapsed().as_secs_f64()
    );
    let query_data = vectors(QUERIES, 2);
    let queries: Vec<Vec<f32>> = query_data.chunks(DIM).map(<[f32]>::to_vec).collect();
    let replays = queries
        .iter()
        .map(|q| {
            let request = component_nearest(q, LIMIT);
            let captured = capture(url, REPLY_QUERY, |qdrant| {
                qdrant.query(COLLECTION, &request).map(|_| ())
            });
            let query = q.clone();
            Replay::with_body(
                &captured,
                Arc::new(move || {
                    serde_json::to_vec(&QueryBody {
                        query: query.clone(),
                        limit: LIMIT,
                        with_payload: true,
                        with_vector: false,
                    })
                    .unwrap()
                }),
            )
        })
        .collect();
    let setup = Setup {
        client,
        native: Native::new(),
        queries,
        replays,
    };
    // Both sides must get the same answer.
    let request = types::QueryRequest::nearest(&setup.queries[0], LIMIT);
    let host_ids: Vec<String> = setup
        .client
        .query(COLLECTION, &request)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    let answer = setup.native.send(&setup.replays[0]).await;
    let native_ids: Vec<String> = answer["result"]["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].to_string())
        .collect();
    assert_eq!(host_ids, native_ids, "host and native disagree");
    assert_eq!(host_ids.len(), LIMIT as usize);
    setup
}

/// The component's view of `QueryRequest::nearest` (same defaults as the host's).
fn component_nearest(vector: &[f32], limit: u32) -> cm::QueryRequest {
    cm::QueryRequest {
        query: cm::Query::Nearest(cm::QueryVector::Dense(qdrant_component::vector::pack(
            vector,
        ))),
        using: None,
        prefetch: vec![],
        filter: None,
        limit,
        offset: 0,
        score_threshold: None,
        with_payload: cm::PayloadSelector::All,
        with_vectors: cm::VectorSelector::None,
        params: None,
    }
}

fn latency(rt: &tokio::runtime::Runtime, setup: &Arc<Setup>) -> Vec<String> {
    println!("\n-- search latency (top-{LIMIT}), interleaved host/native --");
    let (host, native) = rt.block_on(async {
        for i in 0..100 {
            setup.host_query(i).await;
            setup.native_query(i).await;
        }
        let mut host = Vec::with_capacity(LATENCY_SAMPLES);
        let mut native = Vec::with_capacity(LATENCY_SAMPLES);
        for i in 0..LATENCY_SAMPLES {
            // Alternate which side goes first, so neither always follows the other.
            if i % 2 == 0 {
                host.push(timed(setup.host_query(i)).await.0);
                native.push(timed(setup.native_query(i)).await.0);
            } else {
                native.push(timed(setup.native_query(i)).await.0);
                host.push(timed(setup.host_query(i)).await.0);
            }
        }
        (host, native)
    });
    let (mut host, mut native) = (host, native);
    let h = stats(&mut host);
    let n = stats(&mut native);
    print_latency_row("host QdrantClient::query", &h);
    print_latency_row("native hyper-util", &n);
    let p50 = h.p50.as_secs_f64() / n.p50.as_secs_f64();
    let diff = h.p50.as_secs_f64() - n.p50.as_secs_f64();

    // Criterion's own estimate of the same two calls.
    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .sample_size(40);
    let mut group = c.benchmark_group("search_top10");
    let counter = AtomicUsize::new(0);
    group.bench_function("host", |b| {
        b.to_async(rt).iter(|| {
            let i = counter.fetch_add(1, Ordering::Relaxed);
            let setup = setup.clone();
            async move { setup.host_query(i).await }
        })
    });
    group.bench_function("native", |b| {
        b.to_async(rt).iter(|| {
            let i = counter.fetch_add(1, Ordering::Relaxed);
            let setup = setup.clone();
            async move { setup.native_query(i).await }
        })
    });
    group.finish();

    vec![
        format!(
            "  search p50: host {} / native {} (host +{:.1} µs)",
            us(h.p50),
            us(n.p50),
            diff * 1e6
        ),
        line("search p50 ratio host/native", p50, "<= 1.05", p50 <= 1.05),
    ]
}

fn concurrent(rt: &tokio::runtime::Runtime, setup: &Arc<Setup>) -> Vec<String> {
    println!(
        "\n-- {SEARCHERS} concurrent searchers, {ROUNDS} rounds of {ROUND:?} per side, alternating --"
    );
    let mut host = Vec::new();
    let mut native = Vec::new();
    for round in 0..ROUNDS * 2 {
        let is_host = (round % 2 == 0) == (round / 2 % 2 == 0);
        let qps = rt.block_on(throughput(setup.clone(), is_host));
        println!(
            "  round {}: {:<6} {qps:>8.0} searches/s",
            round / 2 + 1,
            if is_host { "host" } else { "native" }
        );
        if is_host {
            host.push(qps)
        } else {
            native.push(qps)
        }
    }
    // Rounds come in adjacent host/native pairs; the load from other tenants of the
    // machine drifts by more than the difference between the sides over a run, so the
    // ratio is the median of the pairs' ratios rather than a ratio of medians.
    let mut ratios: Vec<f64> = host.iter().zip(&native).map(|(h, n)| h / n).collect();
    let ratio = median(&mut ratios);
    let (h, n) = (median(&mut host), median(&mut native));
    vec![
        format!(
            "  {SEARCHERS} searchers: host {h:.0}/s, native {n:.0}/s (medians of {ROUNDS} rounds each)"
        ),
        line(
            "16-searcher throughput ratio host/native (median of pairs)",
            ratio,
            ">= 0.95",
            ratio >= 0.95,
        ),
    ]
}

/// Searches per second of [`SEARCHERS`] tasks sharing one client for [`ROUND`].
async fn throughput(setup: Arc<Setup>, host: bool) -> f64 {
    // Warm the pools to the working set first.
    let warm: Vec<_> = (0..SEARCHERS)
        .map(|t| {
            let setup = setup.clone();
            tokio::spawn(async move {
                if host {
                    setup.host_query(t).await
                } else {
                    setup.native_query(t).await
                }
            })
        })
        .collect();
    for w in warm {
        w.await.unwrap();
    }
    let started = Instant::now();
    let tasks: Vec<_> = (0..SEARCHERS)
        .map(|t| {
            let setup = setup.clone();
            tokio::spawn(async move {
                let mut done = 0usize;
                while started.elapsed() < ROUND {
                    let i = t * 7 + done;
                    if host {
                        setup.host_query(i).await;
                    } else {
                        setup.native_query(i).await;
                    }
                    done += 1;
                }
                done
            })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    total as f64 / started.elapsed().as_secs_f64()
}
