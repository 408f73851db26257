//! Faults on the wire, at scale: the fault proxy (`tests/fault-proxy`) between the client and
//! the embedded engine answers 503, answers 429 with `Retry-After`, resets connections before
//! and after forwarding, stalls past the read timeout and truncates bodies, on 20 % of
//! requests. Bulk writes must land every point exactly once; queries must give the answer
//! they give without faults, or a typed error; retries must keep to their discipline.
//!
//! Each test prints its figures (requests, faults, resends, points lost and duplicated);
//! see them with `--nocapture`. Longer runs: `FAULTS_POINTS` (default 100000),
//! `FAULTS_QUERIES` (1000), `FAULTS_RATE` (0.2) and `FAULTS_SEED` change the scale, the share
//! of requests faulted and the draw.

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

use fault_proxy::{Fault, FaultProxy, Plan, Record};
use qdrant_embedded::{EmbeddedServer, Options};
use qdrant_integration::types::{
    PayloadSelector, PointBatch, QueryRequest, RetryPolicy, ScoredPoint, ScrollRequest,
    SearchParams,
};
use qdrant_integration::{Error, QdrantClient};
use serde_json::{Value, json};

const DIM: usize = 4;
/// The client's read timeout (generous: a loaded CI machine is slow too); a stall lasts a
/// second longer.
const TIMEOUT: Duration = Duration::from_secs(2);

fn vector(i: usize) -> Vec<f32> {
    (0..DIM)
        .map(|j| ((i * 31 + j * 7) as f32 * 0.37).sin())
        .collect()
}

fn payload(i: usize) -> Value {
    json!({"n": i, "text": format!("point {i}")})
}

/// `FAULTS_<name>` from the environment, else `default`.
fn knob<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(format!("FAULTS_{name}"))
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rate() -> f64 {
    knob("RATE", 0.2)
}

fn faulty_plan(seed: u64) -> Plan {
    Plan {
        rate: rate(),
        seed: seed ^ knob("SEED", 0u64),
        faults: Fault::ALL.to_vec(),
        stall: TIMEOUT + Duration::from_secs(1),
        retry_after_s: 1,
        clean_first: 0,
    }
}

/// An engine, a proxy in front of it (faults off until the test turns them on), a client
/// through the proxy and one straight to the engine.
struct Setup {
    engine: EmbeddedServer,
    proxy: FaultProxy,
    direct: QdrantClient,
    faulty: QdrantClient,
}

async fn setup(seed: u64) -> Setup {
    let engine = EmbeddedServer::start(Options::default()).await.unwrap();
    let mut plan = faulty_plan(seed);
    plan.rate = 0.0;
    let proxy = FaultProxy::start(&engine.url(), plan).await.unwrap();
    let direct = QdrantClient::new(&engine.url(), None).await.unwrap();
    let faulty = QdrantClient::new(proxy.url(), None)
        .await
        .unwrap()
        .with_timeout(TIMEOUT);
    Setup {
        engine,
        proxy,
        direct,
        faulty,
    }
}

fn batch(range: std::ops::Range<usize>) -> PointBatch {
    let flat: Vec<f32> = range.clone().flat_map(vector).collect();
    let payloads: Vec<Value> = range.clone().map(payload).collect();
    PointBatch::new(range.map(|i| i.to_string()).collect())
        .with_dense("", DIM as u32, &flat)
        .with_payloads(&payloads)
}

/// What the collection holds, read back in full with `scroll` straight from the engine,
/// against points `0..n` as written: (points lost, points duplicated, payloads wrong).
async fn audit(client: &QdrantClient, name: &str, n: usize) -> (usize, usize, usize) {
    let mut request = ScrollRequest::new(10_000);
    request.with_payload = PayloadSelector::All;
    let mut seen: HashMap<usize, usize> = HashMap::new();
    let mut wrong = 0;
    loop {
        let page = client.scroll(name, &request).await.unwrap();
        for point in &page.points {
            let i: usize = point.id.parse().expect("ids are the integers written");
            *seen.entry(i).or_default() += 1;
            let stored: Value = serde_json::from_str(&point.payload).unwrap();
            if i >= n || stored != payload(i) {
                wrong += 1;
            }
        }
        match page.next_offset {
            Some(next) => request.offset = Some(next),
            None => break,
        }
    }
    let lost = (0..n).filter(|i| !seen.contains_key(i)).count();
    let duplicated = seen.values().map(|c| c - 1).sum::<usize>();
    assert_eq!(
        client.count(name, None, true).await.unwrap() as usize,
        seen.len() + duplicated
    );
    (lost, duplicated, wrong)
}

/// No request was sent more often than `max_attempts`, and none after the client received
/// an answer it must not retry (a 4xx other than 429).
fn check_retry_discipline(records: &[Record], max_attempts: usize) {
    let mut sent: HashMap<_, Vec<&Record>> = HashMap::new();
    for record in records {
        sent.entry(record.key()).or_default().push(record);
    }
    for (key, attempts) in &sent {
        assert!(
            attempts.len() <= max_attempts,
            "{key:?} was sent {} times",
            attempts.len()
        );
        let refused = attempts.iter().position(|r| {
            r.delivered_status
                .is_some_and(|s| (400..500).contains(&s) && s != 429)
        });
        if let Some(at) = refused {
            assert_eq!(at, attempts.len() - 1, "{key:?} was resent after a 4xx");
        }
    }
}

fn print_figures(test: &str, proxy: &FaultProxy, points: usize, audit: (usize, usize, usize)) {
    println!(
        "{test}: {points} points; {}; points lost: {}, duplicated: {}, wrong payload: {}",
        proxy.summary(),
        audit.0,
        audit.1,
        audit.2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_upsert_of_100k_points_lands_every_point_once_through_faults() {
    let n = knob("POINTS", 100_000usize);
    let s = setup(1).await;
    s.direct
        .create_collection("bulk", DIM as u64, "Cosine")
        .await
        .unwrap();
    s.proxy.set_rate(rate());
    let started = Instant::now();
    let written = s.faulty.upsert_points("bulk", &batch(0..n), true).await;
    let elapsed = started.elapsed();
    s.proxy.set_rate(0.0);
    let audit = audit(&s.direct, "bulk", n).await;
    print_figures("upsert", &s.proxy, n, audit);
    println!("upsert: {:.1} s", elapsed.as_secs_f64());
    assert_eq!(written.unwrap(), n as u32);
    assert_eq!(audit, (0, 0, 0));
    let summary = s.proxy.summary();
    assert!(summary.faulted * 10 >= summary.requests, "{summary}");
    check_retry_discipline(&s.proxy.records(), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_ingest_of_100k_points_lands_every_point_once_through_faults() {
    let n = knob("POINTS", 100_000usize);
    let s = setup(2).await;
    s.direct
        .create_collection("ingested", DIM as u64, "Cosine")
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("points.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
    for i in 0..n {
        let line = json!({"id": i, "vector": vector(i), "payload": payload(i)});
        writeln!(out, "{line}").unwrap();
    }
    out.into_inner().unwrap().sync_all().unwrap();
    s.proxy.set_rate(rate());
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_qdrant-integration"))
        .args(["ingest", file.to_str().unwrap(), "--collection", "ingested"])
        .args(["--url", s.proxy.url(), "--timeout", "2"])
        .env_remove("QDRANT_API_KEY")
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    s.proxy.set_rate(0.0);
    let audit = audit(&s.direct, "ingested", n).await;
    print_figures("ingest", &s.proxy, n, audit);
    println!("ingest: {:.1} s", elapsed.as_secs_f64());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(audit, (0, 0, 0));
    check_retry_discipline(&s.proxy.records(), 8);
}

/// A query's answer, compared whole: ids, exact scores and payloads, in order.
fn answer(hits: &[ScoredPoint]) -> Vec<(&str, u32, &str)> {
    hits.iter()
        .map(|h| (h.id.as_str(), h.score.to_bits(), h.payload.as_str()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_queries_give_the_faultless_answer_or_a_typed_error() {
    const N: usize = 5_000;
    let queries = knob("QUERIES", 1_000usize);
    let s = setup(3).await;
    s.direct
        .create_collection("queried", DIM as u64, "Cosine")
        .await
        .unwrap();
    s.direct
        .upsert_points("queried", &batch(0..N), true)
        .await
        .unwrap();
    let request = |q: usize| {
        let mut request = QueryRequest::nearest(&vector(N + q), 10);
        request.with_payload = PayloadSelector::All;
        request.params = Some(SearchParams {
            hnsw_ef: None,
            exact: true,
        });
        request
    };
    let mut expected = Vec::with_capacity(queries);
    for q in 0..queries {
        expected.push(s.direct.query("queried", &request(q)).await.unwrap());
    }
    s.proxy.set_rate(rate());
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    for (q, expected) in expected.iter().enumerate() {
        match s.faulty.query("queried", &request(q)).await {
            Ok(hits) => assert_eq!(
                answer(&hits),
                answer(expected),
                "query {q} answered differently"
            ),
            Err(error) => {
                let kind = format!("{error:?}");
                let kind = kind.split(['(', ' ', '{']).next().unwrap().to_owned();
                assert!(
                    matches!(
                        error,
                        Error::Connection(_)
                            | Error::Timeout(_)
                            | Error::RateLimited { .. }
                            | Error::Server { .. }
                            | Error::Decode(_)
                    ),
                    "query {q}: {error:?}"
                );
                *errors.entry(kind).or_default() += 1;
            }
        }
    }
    println!(
        "queries: {queries}; {}; typed errors: {errors:?}; wrong or partial answers: 0",
        s.proxy.summary()
    );
    let failed: usize = errors.values().sum();
    assert!(
        failed * 20 < queries,
        "{failed} of {queries} queries failed"
    );
    check_retry_discipline(&s.proxy.records(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_are_never_sent_twice_and_4xx_is_never_retried() {
    let s = setup(4).await;
    s.direct
        .create_collection("source", DIM as u64, "Cosine")
        .await
        .unwrap();
    // Each create faulted, in each of the six ways, on a connection already used (where a
    // transport might be tempted to resend on a fresh one) and after the warm-up.
    for fault in Fault::ALL {
        let mut plan = faulty_plan(5);
        plan.rate = 0.0;
        plan.faults = vec![fault];
        let proxy = FaultProxy::start(&s.engine.url(), plan).await.unwrap();
        let client = QdrantClient::new(proxy.url(), None)
            .await
            .unwrap()
            .with_timeout(TIMEOUT);
        let name = fault.name().replace('-', "_");
        let (collection, alias) = (format!("made_{name}"), format!("alias_{name}"));
        for create in 0..3 {
            proxy.set_rate(0.0);
            client.list_collections().await.unwrap(); // the connection is pooled
            proxy.set_rate(1.0);
            let outcome = match create {
                0 => client.create_collection(&collection, 4, "Cosine").await,
                1 => client.create_alias(&alias, "source").await,
                _ => client.create_snapshot("source").await.map(drop),
            };
            assert!(outcome.is_err(), "{fault:?} create {create}: {outcome:?}");
        }
        // A resend would show within the backoff; a stalled one once its stall ends.
        tokio::time::sleep(TIMEOUT + Duration::from_millis(500)).await;
        let creates: Vec<_> = proxy
            .records()
            .into_iter()
            .filter(|r| r.method != "GET")
            .collect();
        assert_eq!(creates.len(), 3, "{fault:?}: {creates:#?}");
        // Whether the engine applied each create is the fault's to decide, not a resend's.
        let applied = s.direct.collection_exists(&collection).await.unwrap();
        assert_eq!(
            applied,
            matches!(
                fault,
                Fault::ResetAfterForwarding | Fault::Stall | Fault::Truncate
            ),
            "{fault:?}"
        );
    }

    // A 4xx is the answer: sent once.
    s.proxy.set_rate(0.0);
    let missing = s.faulty.collection_info("no_such_collection").await;
    assert!(matches!(missing, Err(Error::NotFound(_))), "{missing:?}");
    let missing = s
        .faulty
        .query("no_such_collection", &QueryRequest::nearest(&vector(0), 3))
        .await;
    assert!(matches!(missing, Err(Error::NotFound(_))), "{missing:?}");
    let records = s.proxy.records();
    assert_eq!(records.len(), 2, "{records:#?}");
    assert!(
        records
            .iter()
            .all(|r| r.delivered_status.is_some_and(|s| (400..500).contains(&s)))
    );
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_is_reported_not_slept() {
    let engine = EmbeddedServer::start(Options::default()).await.unwrap();
    let plan = Plan {
        rate: 1.0,
        faults: vec![Fault::RateLimited],
        retry_after_s: 120,
        ..Plan::default()
    };
    let proxy = FaultProxy::start(&engine.url(), plan).await.unwrap();
    let client = QdrantClient::new(proxy.url(), None)
        .await
        .unwrap()
        .with_retry(RetryPolicy {
            max_attempts: 5,
            initial_backoff_ms: 50,
            max_backoff_ms: 2_000,
            max_elapsed_ms: 10_000,
        });
    let started = Instant::now();
    let outcome = client.list_collections().await;
    assert!(
        matches!(
            outcome,
            Err(Error::RateLimited {
                retry_after_secs: Some(120)
            })
        ),
        "{outcome:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(proxy.records().len(), 1);
}
