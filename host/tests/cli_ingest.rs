//! The `ingest` and `search` commands, against the embedded engine: JSONL from a file or
//! stdin, search results checked against answers computed here, bad lines named, and a
//! stopped ingest resumed with `--skip`.
//!
//! Multi-threaded runtimes throughout: a test blocks on the child process while the server
//! (on the same runtime) must keep serving.

#[path = "common/cli.rs"]
mod cli;

use cli::{
    expect_code, json_of, ok, point_id, point_line, points_count, run, run_with_stdin, stderr,
    vector, write_jsonl,
};
use qdrant_embedded::{EmbeddedServer, Options};

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b))
}

#[tokio::test(flavor = "multi_thread")]
async fn ingest_then_search_finds_the_nearest_point() {
    const DIMENSION: usize = 16;
    const POINTS: u64 = 1_000;
    let server = EmbeddedServer::start(Options::default()).await.unwrap();
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("points.jsonl");
    write_jsonl(&file, (0..POINTS).map(|i| point_line(i, DIMENSION)));

    // Without --create a missing collection is an error that says what to do.
    let out = run(&url, &["ingest", file.to_str().unwrap(), "-c", "items"]);
    expect_code(&out, 1);
    assert!(stderr(&out).contains("--create"), "{}", stderr(&out));

    let out = ok(run(
        &url,
        &[
            "ingest",
            file.to_str().unwrap(),
            "--collection",
            "items",
            "--create",
            "--batch-size",
            "64",
            "--parallel",
            "4",
        ],
    ));
    assert!(out.contains(&format!("wrote {POINTS} points")), "{out}");
    assert!(out.contains("points/s"), "{out}");
    assert_eq!(points_count(&url, "items"), POINTS);
    let info = json_of(run(&url, &["collections", "info", "items", "--json"]));
    assert_eq!(info["vectors"][0]["size"], DIMENSION);

    // The expected answers, computed here.
    let query = vector(1_000_003, DIMENSION);
    let mut ranked: Vec<(f32, u64)> = (0..POINTS)
        .map(|i| (cosine(&query, &vector(i, DIMENSION)), i))
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    let query_json = serde_json::to_string(&query).unwrap();

    // From stdin, as JSON.
    let hits = json_of(run_with_stdin(
        &url,
        &["search", "-c", "items", "--limit", "3", "--json"],
        &query_json,
    ));
    let hits = hits.as_array().unwrap();
    assert_eq!(hits.len(), 3);
    assert_eq!(hits[0]["id"], point_id(ranked[0].1));
    assert_eq!(hits[1]["id"], point_id(ranked[1].1));
    assert!((hits[0]["score"].as_f64().unwrap() - f64::from(ranked[0].0)).abs() < 1e-3);
    assert_eq!(hits[0]["payload"]["i"], ranked[0].1);

    // From a file, with a filter: the best of group "a".
    let query_file = dir.path().join("query.json");
    std::fs::write(&query_file, &query_json).unwrap();
    let filter = r#"{"must": [{"key": "group", "match": {"value": "a"}}]}"#;
    let hits = json_of(run(
        &url,
        &[
            "search",
            "-c",
            "items",
            "--vector-file",
            query_file.to_str().unwrap(),
            "--filter",
            filter,
            "--json",
        ],
    ));
    let hits = hits.as_array().unwrap();
    assert_eq!(hits.len(), 10, "--limit defaults to 10");
    assert!(
        hits.iter().all(|h| h["payload"]["group"] == "a"),
        "{hits:?}"
    );
    let best_a = ranked.iter().find(|(_, i)| i % 3 == 0).unwrap().1;
    assert_eq!(hits[0]["id"], point_id(best_a));

    // The score threshold keeps only what scores at least that.
    let threshold = ranked[4].0 - 1e-4;
    let hits = json_of(run_with_stdin(
        &url,
        &[
            "search",
            "-c",
            "items",
            "--score-threshold",
            &threshold.to_string(),
            "--json",
        ],
        &query_json,
    ));
    assert_eq!(hits.as_array().unwrap().len(), 5, "{hits}");

    // The table: a header, then one aligned row per hit, best first.
    let table = ok(run_with_stdin(
        &url,
        &["search", "-c", "items", "--limit", "2"],
        &query_json,
    ));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("ID"), "{table}");
    assert!(
        lines[1].starts_with(&format!("{} ", point_id(ranked[0].1))),
        "{table}"
    );
    let score_column = lines[0].find("SCORE").unwrap();
    assert!(
        lines[1][score_column..].starts_with("0.") || lines[1][score_column..].starts_with("1."),
        "scores line up under SCORE: {table}"
    );

    // Ingest from stdin, into the existing collection.
    let out = ok(run_with_stdin(
        &url,
        &["ingest", "-", "-c", "items"],
        &format!(
            "{}\n{}\n",
            point_line(POINTS, DIMENSION),
            point_line(POINTS + 1, DIMENSION)
        ),
    ));
    assert!(out.contains("wrote 2 points"), "{out}");
    assert_eq!(points_count(&url, "items"), POINTS + 2);

    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_jsonl_line_is_named_and_its_batch_not_written() {
    let server = EmbeddedServer::start(Options::default()).await.unwrap();
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("points.jsonl");
    // Batches of 4: lines 1-4 are written; line 7 is bad, so lines 5-8 are not.
    let mut lines: Vec<String> = (0..10).map(|i| point_line(i, 4)).collect();
    lines[6] = r#"{"id": 6, "vector": [1, 2, "three", 4]}"#.to_owned();
    write_jsonl(&file, lines);

    let out = run(
        &url,
        &[
            "ingest",
            file.to_str().unwrap(),
            "-c",
            "partial",
            "--create",
            "--batch-size",
            "4",
        ],
    );
    expect_code(&out, 1);
    assert!(stderr(&out).contains("line 7"), "{}", stderr(&out));
    assert_eq!(points_count(&url, "partial"), 4);

    // A vector of the wrong length is named too.
    write_jsonl(
        &file,
        [point_line(0, 4), point_line(1, 4), point_line(2, 3)],
    );
    let out = run(&url, &["ingest", file.to_str().unwrap(), "-c", "partial"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("line 3"), "{}", stderr(&out));

    server.shutdown().await;
}

/// Answers each request (one per connection) with the next `(status, body)` of `script`.
fn scripted_server(script: Vec<(u16, &'static str)>) -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for ((status, body), stream) in script.into_iter().zip(listener.incoming()) {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
                if line == "\r\n" || line.is_empty() {
                    break;
                }
            }
            let mut request_body = vec![0; length];
            reader.read_exact(&mut request_body).unwrap();
            let head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_ingest_says_how_to_resume_and_skip_resumes_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("points.jsonl");
    let mut lines: Vec<String> = (0..10).map(|i| point_line(i, 4)).collect();
    lines.insert(3, String::new()); // blank lines are not points
    write_jsonl(&file, lines);
    let path = file.to_str().unwrap();

    // The server takes the first batch of 4 and refuses the second (not retried).
    let exists = r#"{"result":{"exists":true},"status":"ok","time":0.0}"#;
    let written = r#"{"result":{"operation_id":1,"status":"completed"},"status":"ok","time":0.0}"#;
    let refused = r#"{"status":{"error":"Wrong input: disk full"},"time":0.0}"#;
    let url = scripted_server(vec![(200, exists), (200, written), (400, refused)]);
    let out = run(&url, &["ingest", path, "-c", "items", "--batch-size", "4"]);
    expect_code(&out, 1);
    assert!(
        stderr(&out).contains("4 points were written; resume with --skip 4"),
        "{}",
        stderr(&out)
    );

    // Against a real engine: resuming writes the rest, and the first run's points plus the
    // resumed ones are every point once.
    let server = EmbeddedServer::start(Options::default()).await.unwrap();
    let url = server.url();
    write_jsonl(
        &dir.path().join("first.jsonl"),
        (0..4).map(|i| point_line(i, 4)),
    );
    let first = dir.path().join("first.jsonl");
    ok(run(
        &url,
        &["ingest", first.to_str().unwrap(), "-c", "items", "--create"],
    ));
    let out = ok(run(
        &url,
        &[
            "ingest",
            path,
            "-c",
            "items",
            "--skip",
            "4",
            "--attempts",
            "3",
        ],
    ));
    assert!(out.contains("wrote 6 points"), "{out}");
    assert_eq!(points_count(&url, "items"), 10);
    server.shutdown().await;
}
