//! The sandbox's limits: a memory cap that traps one call only, a deadline that covers
//! network waits, and a compiled component that survives the process in the on-disk cache.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{client, collection_name, target};
use qdrant_integration::types::{PointBatch, QueryRequest, RetryPolicy};
use qdrant_integration::{Error, Limits, QdrantClient};

#[tokio::test]
async fn the_memory_cap_traps_one_call_and_the_client_stays_usable() {
    let target = target().await;
    let client = client(&target).await;
    let name = collection_name("memory_cap");
    let _ = client.delete_collection(&name).await;
    client.create_collection(&name, 8, "Dot").await.unwrap();

    let capped = client.clone().with_limits(Limits {
        memory_bytes: 16 << 20,
        ..Limits::default()
    });
    // 500k points: their vectors alone are the cap's 16 MiB in the guest, before the ids
    // and the JSON bodies.
    let n = 500_000;
    let big = PointBatch::new((0..n).map(|i| i.to_string()).collect()).with_dense(
        "",
        8,
        &vec![0.5; n * 8],
    );
    let trapped = capped.upsert_points(&name, &big, true).await;
    let Err(Error::Runtime(message)) = trapped else {
        panic!("expected a trap, got {trapped:?}");
    };
    assert!(message.contains("memory"), "{message}");
    assert!(!message.contains("Stack backtrace"), "{message}");

    // The same capped client still works for calls that fit.
    let small = PointBatch::new(vec!["1".into()]).with_dense("", 8, &[1.0; 8]);
    assert_eq!(capped.upsert_points(&name, &small, true).await.unwrap(), 1);
    let hits = capped
        .query(&name, &QueryRequest::nearest(&[1.0; 8], 5))
        .await
        .unwrap();
    assert_eq!(hits.len(), 1, "nothing of the trapped batch was written");
    client.delete_collection(&name).await.unwrap();
}

#[tokio::test]
async fn a_stalled_server_hits_the_call_deadline() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let client = QdrantClient::new(&url, None)
        .await
        .unwrap()
        .with_retry(RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        })
        .with_limits(Limits {
            call_timeout: Duration::from_millis(400),
            ..Limits::default()
        });
    let started = Instant::now();
    let got = client.collection_exists("c").await;
    assert!(matches!(got, Err(Error::Timeout(_))), "{got:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// Inode and modification time of the one artifact in `dir`.
fn artifact(dir: &std::path::Path) -> (std::path::PathBuf, u64, std::time::SystemTime) {
    use std::os::unix::fs::MetadataExt;
    let entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let meta = std::fs::metadata(&entries[0]).unwrap();
    (entries[0].clone(), meta.ino(), meta.modified().unwrap())
}

// Multi-threaded: the test blocks on child processes while the server must keep serving.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_process_loads_the_cached_artifact() {
    let server = qdrant_embedded::EmbeddedServer::start(Default::default())
        .await
        .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let run = || {
        let out = Command::new(env!("CARGO_BIN_EXE_qdrant-integration"))
            .args(["health-check", "--url", &server.url()])
            .env("QDRANT_INTEGRATION_CACHE_DIR", cache.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let first = run();
    assert!(first.contains("(component compiled)"), "{first}");
    let before = artifact(cache.path());
    let second = run();
    assert!(second.contains("(component cached)"), "{second}");
    // Loaded, not recompiled and rewritten: the very same file.
    assert_eq!(artifact(cache.path()), before);
}
