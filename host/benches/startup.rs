//! Start-up and per-call cost of the sandbox.
//!
//! * `first_client`: fresh processes, each building a tokio runtime, `QdrantClient::new`
//!   (which loads the compiled component from the on-disk cache) and a first
//!   `health_check`. The bench re-executes itself as the child and the child reports its own
//!   timings; the wall time of the whole process (exec to exit) is measured too, and so are
//!   a native child (runtime + hyper client + `GET /`) and the CLI binary
//!   (`qdrant-integration health-check --url URL`).
//! * `per_call`: `server_info` (`GET /`) and `ready` (`GET /readyz`) through the host against
//!   the native client sending the same requests, interleaved; the p50 difference is the
//!   whole host cost of one call. `QdrantClient::instantiate_only` times the host's own
//!   instantiation from its `InstancePre` alone.
//!
//! `cargo bench -p qdrant-integration --bench startup` (add `-- first_client` or
//! `-- per_call` to run one part).

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use criterion::Criterion;
use qdrant_integration::QdrantClient;
use serde_json::{Value, json};

const CHILD_ENV: &str = "QI_BENCH_CHILD";
const CHILD_RUNS: usize = 30;
const CALL_SAMPLES: usize = 3000;

fn main() {
    if let Ok(mode) = std::env::var(CHILD_ENV) {
        child(&mode);
        return;
    }
    let server = Server::start();
    let mut summary = Vec::new();
    if selected("first_client") {
        summary.extend(first_client(&server.url));
    }
    if selected("per_call") {
        summary.extend(per_call(&server.url));
    }
    println!("\n== startup summary ==");
    for line in summary {
        println!("{line}");
    }
}

// ---- first client ready -------------------------------------------------------------------

/// Runs in a fresh process: `host` or `native`, against `$QI_BENCH_URL`; prints one JSON
/// line of microseconds since `main` started.
fn child(mode: &str) {
    let started = Instant::now();
    let url = std::env::var("QI_BENCH_URL").expect("QI_BENCH_URL");
    // The same runtime the CLI's #[tokio::main] builds.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let runtime_us = started.elapsed().as_micros();
    let report = rt.block_on(async {
        if mode == "host" {
            let client = QdrantClient::new(&url, None).await.expect("client");
            let new_us = started.elapsed().as_micros();
            assert!(client.health_check().await.expect("health"), "server down");
            json!({
                "runtime_us": runtime_us,
                "new_us": new_us,
                "ready_us": started.elapsed().as_micros(),
                "from_cache": client.component_loaded_from_cache(),
            })
        } else {
            let native = Native::new();
            let new_us = started.elapsed().as_micros();
            let replay = Replay::of(&capture(&url, REPLY_INFO, |q| q.health_check().map(|_| ())));
            let answer = native.send(&replay).await;
            assert!(answer["version"].is_string());
            json!({
                "runtime_us": runtime_us,
                "new_us": new_us,
                "ready_us": started.elapsed().as_micros(),
                "from_cache": false,
            })
        }
    });
    println!("{report}");
}

struct ChildRun {
    wall: Duration,
    report: Value,
}

fn run_child(mode: &str, url: &str, cache: &std::path::Path) -> ChildRun {
    let exe = std::env::current_exe().expect("bench executable");
    let started = Instant::now();
    let out = Command::new(exe)
        .env(CHILD_ENV, mode)
        .env("QI_BENCH_URL", url)
        .env("QDRANT_INTEGRATION_CACHE_DIR", cache)
        .env_remove("RUST_LOG")
        .output()
        .expect("spawn child");
    let wall = started.elapsed();
    assert!(
        out.status.success(),
        "child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .expect("child report");
    ChildRun { wall, report }
}

fn run_cli(url: &str, cache: &std::path::Path) -> Duration {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_qdrant-integration"))
        .args(["health-check", "--url", url])
        .env("QDRANT_INTEGRATION_CACHE_DIR", cache)
        .env_remove("RUST_LOG")
        .env_remove("QDRANT_URL")
        .env_remove("QDRANT_API_KEY")
        .output()
        .expect("spawn the CLI");
    let wall = started.elapsed();
    assert!(
        out.status.success(),
        "CLI health-check failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    wall
}

fn median_us(runs: &[ChildRun], key: &str) -> Duration {
    let mut v: Vec<Duration> = runs
        .iter()
        .map(|r| Duration::from_micros(r.report[key].as_u64().expect(key)))
        .collect();
    stats(&mut v).p50
}

fn first_client(url: &str) -> Vec<String> {
    println!("\n-- first client ready: fresh processes, cached artifact --");
    let cache = tempfile::tempdir().expect("cache dir");
    // The first run compiles and writes the artifact.
    let cold = run_child("host", url, cache.path());
    assert_eq!(cold.report["from_cache"], false, "cache dir was not empty");
    println!(
        "  cold (compile + cache write): wall {}, ready after {} in-process",
        ms(cold.wall),
        ms(Duration::from_micros(
            cold.report["ready_us"].as_u64().unwrap()
        ))
    );
    let mut host = Vec::new();
    let mut native = Vec::new();
    let mut cli = Vec::new();
    for _ in 0..CHILD_RUNS {
        let run = run_child("host", url, cache.path());
        assert_eq!(
            run.report["from_cache"], true,
            "artifact not loaded from cache"
        );
        host.push(run);
        native.push(run_child("native", url, cache.path()));
        cli.push(run_cli(url, cache.path()));
    }
    let wall = |runs: &[ChildRun]| {
        let mut v: Vec<Duration> = runs.iter().map(|r| r.wall).collect();
        stats(&mut v)
    };
    let (host_wall, native_wall) = (wall(&host), wall(&native));
    let cli_wall = stats(&mut cli);
    println!("  median of {CHILD_RUNS} runs each (in-process times since main):");
    println!(
        "  {:<8} runtime {:>9}  client ready {:>9}  first answer {:>9}  process wall p50 {:>9} (p90 {})",
        "host",
        ms(median_us(&host, "runtime_us")),
        ms(median_us(&host, "new_us")),
        ms(median_us(&host, "ready_us")),
        ms(host_wall.p50),
        ms(host_wall.p90)
    );
    println!(
        "  {:<8} runtime {:>9}  client ready {:>9}  first answer {:>9}  process wall p50 {:>9} (p90 {})",
        "native",
        ms(median_us(&native, "runtime_us")),
        ms(median_us(&native, "new_us")),
        ms(median_us(&native, "ready_us")),
        ms(native_wall.p50),
        ms(native_wall.p90)
    );
    println!(
        "  CLI `qdrant-integration health-check --url`: process wall p50 {} (p90 {})",
        ms(cli_wall.p50),
        ms(cli_wall.p90)
    );
    let ready = median_us(&host, "ready_us");
    let ready_ms = ready.as_secs_f64() * 1e3;
    vec![
        format!(
            "  first client ready (in-process, runtime + new + health_check): {}; process wall {}; CLI wall {}; native process wall {}",
            ms(ready),
            ms(host_wall.p50),
            ms(cli_wall.p50),
            ms(native_wall.p50)
        ),
        line(
            "first client ready, in-process (ms)",
            ready_ms,
            "<= 20",
            ready_ms <= 20.0,
        ),
        line(
            "first client ready, whole process (ms)",
            host_wall.p50.as_secs_f64() * 1e3,
            "<= 20",
            host_wall.p50 <= Duration::from_millis(20),
        ),
    ]
}

// ---- per-call overhead --------------------------------------------------------------------

fn per_call(url: &str) -> Vec<String> {
    println!("\n-- per-call overhead: host vs native on GET / and GET /readyz, interleaved --");
    let rt = client_runtime();
    let client = rt.block_on(QdrantClient::new(url, None)).expect("client");
    let native = Native::new();
    let info = Replay::of(&capture(url, REPLY_INFO, |q| q.health_check().map(|_| ())));
    let ready = Replay::of(&capture(url, REPLY_INFO, |q| q.ready().map(|_| ())));
    // `ready` answers with no JSON body on some servers: the baseline checks the status only.
    let (mut hi, mut ni, mut hr, mut nr) = rt.block_on(async {
        let mut out = (vec![], vec![], vec![], vec![]);
        for i in 0..CALL_SAMPLES + 200 {
            let keep = i >= 200;
            let (a, b, c, d) = if i % 2 == 0 {
                let a = timed(client.server_info()).await.0;
                let b = timed(native.send(&info)).await.0;
                let c = timed(client.ready()).await.0;
                let d = timed(native_status(&native, &ready)).await.0;
                (a, b, c, d)
            } else {
                let b = timed(native.send(&info)).await.0;
                let a = timed(client.server_info()).await.0;
                let d = timed(native_status(&native, &ready)).await.0;
                let c = timed(client.ready()).await.0;
                (a, b, c, d)
            };
            if keep {
                out.0.push(a);
                out.1.push(b);
                out.2.push(c);
                out.3.push(d);
            }
        }
        out
    });
    let (hi, ni, hr, nr) = (
        stats(&mut hi),
        stats(&mut ni),
        stats(&mut hr),
        stats(&mut nr),
    );
    print_latency_row("host server_info (GET /)", &hi);
    print_latency_row("native GET /", &ni);
    print_latency_row("host ready (GET /readyz)", &hr);
    print_latency_row("native GET /readyz", &nr);
    let over_info = hi.p50.as_secs_f64() - ni.p50.as_secs_f64();
    let over_ready = hr.p50.as_secs_f64() - nr.p50.as_secs_f64();

    let inst = instantiation(url);

    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(40);
    let mut group = c.benchmark_group("per_call_get_root");
    group.bench_function("host_server_info", |b| {
        b.to_async(&rt).iter(|| client.server_info())
    });
    group.bench_function("native_get_root", |b| {
        b.to_async(&rt).iter(|| native.send(&info))
    });
    group.finish();

    let inst_us = inst.p50.as_secs_f64() * 1e6;
    vec![
        format!(
            "  per call, p50: host server_info {} vs native {} -> +{:.1} µs; ready {} vs {} -> +{:.1} µs",
            us(hi.p50),
            us(ni.p50),
            over_info * 1e6,
            us(hr.p50),
            us(nr.p50),
            over_ready * 1e6
        ),
        format!(
            "  instantiation alone (the host's own store + InstancePre::instantiate_async + drop): p50 {}, p90 {}",
            us(inst.p50),
            us(inst.p90)
        ),
        line(
            "per-call instantiation, p50 (µs)",
            inst_us,
            "<= 50",
            inst_us <= 50.0,
        ),
        format!(
            "  whole per-call host overhead (host - native, GET /, p50): {:.1} µs (no target; see docs/benchmarks.md)",
            over_info * 1e6
        ),
    ]
}

/// Native `GET /readyz`: status only (the body is not JSON on every server).
async fn native_status(native: &Native, replay: &Replay) {
    native.status(replay).await;
}

// ---- instantiation alone, through the host's own runtime ------------------------------

fn instantiation(url: &str) -> Stats {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = rt.block_on(QdrantClient::new(url, None)).expect("client");
    let samples = rt.block_on(async {
        for _ in 0..200 {
            client.instantiate_only().await.expect("instantiate");
        }
        let mut v = Vec::with_capacity(CALL_SAMPLES);
        for _ in 0..CALL_SAMPLES {
            let (took, done) = timed(client.instantiate_only()).await;
            done.expect("instantiate");
            v.push(took);
        }
        v
    });
    let mut samples = samples;
    let s = stats(&mut samples);
    print_latency_row("instantiate", &s);
    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(40);
    c.bench_function("instantiate_from_instance_pre", |b| {
        b.to_async(&rt).iter(|| client.instantiate_only())
    });
    s
}
