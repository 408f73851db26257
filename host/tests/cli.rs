//! The binary's exit codes and output, as scripts see them, against the embedded engine.
//!
//! Multi-threaded runtimes throughout: a test blocks on the child process while the server
//! (on the same runtime) must keep serving.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use qdrant_embedded::{EmbeddedServer, Options};
use serde_json::{Value, json};

fn cli() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_qdrant-integration"));
    for var in [
        "QDRANT_URL",
        "QDRANT_API_KEY",
        "COLLECTION_NAME",
        "DISTANCE_METRIC",
        "SEARCH_LIMIT",
        "SCORE_THRESHOLD",
    ] {
        command.env_remove(var);
    }
    command
}

/// Runs the CLI against `url` with `stdin` piped in.
fn run_with_stdin(url: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = cli()
        .args(args)
        .env("QDRANT_URL", url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that fails before reading stdin closes it: that is not the test's concern.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn run(url: &str, args: &[&str]) -> Output {
    run_with_stdin(url, args, "")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts the exit code, showing the output when it is not the expected one.
#[track_caller]
fn expect_code(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

#[track_caller]
fn ok(out: Output) -> String {
    expect_code(&out, 0);
    stdout(&out)
}

#[track_caller]
fn json_of(out: Output) -> Value {
    let text = ok(out);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn free_port_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}

/// A deterministic pseudo-random vector (xorshift), values in [-1, 1).
fn vector(seed: u64, dimension: usize) -> Vec<f32> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..dimension)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect()
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b))
}

/// Points `0..count`: even ones with string ids (`doc-N`), odd ones with numeric ids.
fn point_id(i: u64) -> String {
    if i.is_multiple_of(2) {
        format!("doc-{i}")
    } else {
        i.to_string()
    }
}

fn point_line(i: u64, dimension: usize) -> String {
    let id = if i.is_multiple_of(2) {
        json!(point_id(i))
    } else {
        json!(i)
    };
    let group = if i.is_multiple_of(3) { "a" } else { "b" };
    json!({"id": id, "vector": vector(i, dimension), "payload": {"i": i, "group": group}})
        .to_string()
}

fn write_jsonl(path: &Path, lines: impl IntoIterator<Item = String>) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for line in lines {
        writeln!(file, "{line}").unwrap();
    }
    file.flush().unwrap();
}

fn points_count(url: &str, collection: &str) -> u64 {
    json_of(run(url, &["collections", "info", collection, "--json"]))["points_count"]
        .as_u64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn health_check_reports_up_and_down() {
    let server = EmbeddedServer::start(Options::default()).await.unwrap();
    for args in [vec!["health-check"], vec!["--health-check"]] {
        let out = cli()
            .args(&args)
            .arg("--url")
            .arg(server.url())
            .output()
            .unwrap();
        let stdout = ok(out);
        assert!(stdout.starts_with("ok: qdrant"), "{stdout}");
    }
    server.shutdown().await;

    // Nothing listens there any more: exit 3, "cannot reach".
    let out = cli()
        .args(["health-check", "--url", &free_port_url()])
        .output()
        .unwrap();
    expect_code(&out, 3);
    assert!(stdout(&out).starts_with("down:"));
}

#[test]
fn demo_runs_on_the_embedded_engine() {
    let out = cli().output().unwrap();
    let stdout = stdout(&out);
    assert!(out.status.success(), "{stdout}\n{}", stderr(&out));
    assert!(stdout.contains("(embedded engine)"), "{stdout}");
    assert!(stdout.contains("ID: doc1"), "{stdout}");
    assert!(
        !stdout.contains("ID: doc4"),
        "the category filter let news through: {stdout}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn collections_create_list_info_delete() {
    let server = EmbeddedServer::start(Options::default()).await.unwrap();
    let url = server.url();

    let out = ok(run(
        &url,
        &[
            "collections",
            "create",
            "plain",
            "--size",
            "4",
            "--distance",
            "dot",
        ],
    ));
    assert!(out.contains("created collection `plain`"), "{out}");
    ok(run(
        &url,
        &[
            "collections",
            "create",
            "hybrid",
            "--named",
            "text:8:Cosine",
            "--named",
            "image:3",
            "--distance",
            "Euclid",
            "--sparse",
            "bm25:idf",
        ],
    ));

    // Creating it again fails (1) and says what to do.
    let out = run(&url, &["collections", "create", "plain", "--size", "4"]);
    expect_code(&out, 1);
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));

    let listed = ok(run(&url, &["collections", "list"]));
    assert_eq!(listed.lines().collect::<Vec<_>>(), ["hybrid", "plain"]);
    assert_eq!(
        json_of(run(&url, &["collections", "list", "--json"])),
        json!(["hybrid", "plain"])
    );

    let info = ok(run(&url, &["collections", "info", "plain"]));
    assert!(info.contains("status: green"), "{info}");
    assert!(info.contains("points: 0"), "{info}");
    assert!(info.contains("4 dims"), "{info}");
    assert!(info.contains("Dot"), "{info}");
    assert!(info.contains("payload schema:"), "{info}");

    let info = json_of(run(&url, &["collections", "info", "hybrid", "--json"]));
    assert_eq!(info["name"], "hybrid");
    assert_eq!(info["points_count"], 0);
    let mut vectors: Vec<(String, u64, String)> = info["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap().to_owned(),
                v["size"].as_u64().unwrap(),
                v["distance"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    vectors.sort();
    assert_eq!(
        vectors,
        [
            ("image".to_owned(), 3, "Euclid".to_owned()),
            ("text".to_owned(), 8, "Cosine".to_owned())
        ]
    );
    assert_eq!(
        info["sparse_vectors"],
        json!([{"name": "bm25", "modifier": "idf"}])
    );
    assert!(info["config"].is_object(), "{info}");

    ok(run(&url, &["collections", "delete", "plain"]));
    assert_eq!(
        json_of(run(&url, &["collections", "list", "--json"])),
        json!(["hybrid"])
    );

    // Not found: 1, with the way out in the message.
    let out = run(&url, &["collections", "info", "plain"]);
    expect_code(&out, 1);
    assert!(
        stderr(&out).contains("collection `plain` does not exist"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("collections create plain --size"),
        "{}",
        stderr(&out)
    );
    expect_code(&run(&url, &["collections", "delete", "plain"]), 1);
    ok(run(
        &url,
        &["collections", "delete", "plain", "--missing-ok"],
    ));

    server.shutdown().await;
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

/// `stderr` without the terminal colours tracing's formatter adds.
fn plain_stderr(out: &Output) -> String {
    let text = stderr(out);
    let mut plain = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find('\u{1b}') {
        plain.push_str(&rest[..at]);
        rest = &rest[at..];
        rest = rest.find('m').map_or("", |end| &rest[end + 1..]);
    }
    plain.push_str(rest);
    plain
}

/// With `RUST_LOG`, each call logs its operation, collection, duration, HTTP requests and
/// outcome; the api-key appears nowhere, not even when the server refuses it.
#[tokio::test(flavor = "multi_thread")]
async fn logs_name_the_operation_and_never_the_api_key() {
    let server = EmbeddedServer::start(Options {
        api_key: Some("s3cret-key".into()),
        ..Options::default()
    })
    .await
    .unwrap();
    let logged = |key: &str, args: &[&str]| {
        cli()
            .args(args)
            .env("QDRANT_URL", server.url())
            .env("QDRANT_API_KEY", key)
            .env("RUST_LOG", "qdrant_integration=debug")
            .output()
            .unwrap()
    };
    // Each run: the key, the command, its exit code, the operation and what its line holds.
    let runs = [
        (
            "s3cret-key",
            &["collections", "create", "logged", "--size", "2"][..],
            0,
            "create_collection_with",
            &[" ok", "collection=\"logged\"", "requests=1", "elapsed_us="][..],
        ),
        (
            "wrong-key-42",
            &["collections", "info", "logged"],
            1,
            "get_collection",
            &["failed", "collection=\"logged\"", "requests=1", "error="],
        ),
    ];
    for (key, args, code, operation, fields) in runs {
        let out = logged(key, args);
        expect_code(&out, code);
        let log = plain_stderr(&out);
        let line = log
            .lines()
            .find(|l| l.contains(&format!("operation=\"{operation}\"")))
            .unwrap_or_else(|| panic!("no {operation} line in {log}"));
        for field in fields {
            assert!(line.contains(field), "{field} missing from {line}");
        }
        assert!(log.contains("status="), "no HTTP attempt logged in {log}");
        assert!(!log.contains(key), "the key leaked into {log}");
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn exit_codes_scripts_can_trust() {
    let server = EmbeddedServer::start(Options::default()).await.unwrap();
    let url = server.url();
    ok(run(&url, &["collections", "create", "c", "--size", "2"]));

    // 1: the server said no, or there is no such thing.
    for args in [
        &["collections", "info", "missing"][..],
        &["snapshot", "list", "-c", "missing"],
        &["snapshot", "create", "-c", "missing"],
    ] {
        let out = run(&url, args);
        expect_code(&out, 1);
        assert!(
            stderr(&out).contains("collections create missing"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    let out = run_with_stdin(&url, &["search", "-c", "missing"], "[1, 2]");
    expect_code(&out, 1);
    let out = run_with_stdin(&url, &["search", "-c", "c"], "[1, 2, 3]");
    expect_code(&out, 1);
    assert!(stderr(&out).contains("dimension"), "{}", stderr(&out));

    // 2: usage errors, before anything is sent.
    for (args, stdin) in [
        (&["collections", "create", "x"][..], ""),
        (
            &[
                "collections",
                "create",
                "x",
                "--size",
                "2",
                "--distance",
                "far",
            ],
            "",
        ),
        (
            &[
                "collections",
                "create",
                "x",
                "--size",
                "2",
                "--named",
                "a:2",
            ],
            "",
        ),
        (&["collections", "create", "x", "--named", "nosize"], ""),
        (&["collections", "frobnicate"], ""),
        (&["no-such-command"], ""),
        (&["search", "-c", "c", "--filter", "{not json"], "[1, 2]"),
        (&["search", "-c", "c", "--limit", "many"], "[1, 2]"),
        (&["search", "-c", "c"], "not a vector"),
        (&["search", "-c", "c"], "[]"),
        (&["ingest"], ""),
        (&["ingest", "f.jsonl", "--batch-size", "0"], ""),
    ] {
        let out = run_with_stdin(&url, args, stdin);
        expect_code(&out, 2);
        assert!(!stderr(&out).is_empty(), "{args:?}");
    }

    // 3: nothing listens at the URL.
    let down = free_port_url();
    for (args, stdin) in [
        (&["collections", "list"][..], ""),
        (&["collections", "info", "c"], ""),
        (&["search", "-c", "c"], "[1, 2]"),
        (&["snapshot", "list", "-c", "c"], ""),
    ] {
        let out = run_with_stdin(&down, args, stdin);
        expect_code(&out, 3);
        assert!(stderr(&out).contains("cannot reach"), "{}", stderr(&out));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.jsonl");
    write_jsonl(&file, [point_line(1, 2)]);
    expect_code(
        &run(&down, &["ingest", file.to_str().unwrap(), "--create"]),
        3,
    );

    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn snapshot_create_list_restore_round_trip() {
    let data = tempfile::tempdir().unwrap();
    let server = EmbeddedServer::start(Options {
        data_dir: Some(data.path().to_owned()),
        ..Options::default()
    })
    .await
    .unwrap();
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("points.jsonl");
    write_jsonl(&file, (0..20).map(|i| point_line(i, 4)));
    ok(run(
        &url,
        &["ingest", file.to_str().unwrap(), "-c", "snap", "--create"],
    ));

    let snapshot = json_of(run(&url, &["snapshot", "create", "-c", "snap", "--json"]));
    let name = snapshot["name"].as_str().unwrap().to_owned();
    assert!(snapshot["size"].as_u64().unwrap() > 0, "{snapshot}");

    let listed = json_of(run(&url, &["snapshot", "list", "-c", "snap", "--json"]));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["name"], name.as_str());
    let table = ok(run(&url, &["snapshot", "list", "-c", "snap"]));
    assert!(table.starts_with("NAME"), "{table}");
    assert!(table.contains(&name), "{table}");

    // Change the collection, then restore it by name.
    write_jsonl(&file, (20..25).map(|i| point_line(i, 4)));
    ok(run(&url, &["ingest", file.to_str().unwrap(), "-c", "snap"]));
    assert_eq!(points_count(&url, "snap"), 25);
    let out = ok(run(&url, &["snapshot", "restore", &name, "-c", "snap"]));
    assert!(out.contains("restored `snap`"), "{out}");
    assert_eq!(points_count(&url, "snap"), 20);

    // From a file:// location into a new collection; a path works too.
    let path = data.path().join("snapshots").join("snap").join(&name);
    assert!(path.is_file(), "{}", path.display());
    ok(run(
        &url,
        &[
            "snapshot",
            "restore",
            &format!("file://{}", path.display()),
            "-c",
            "copy",
        ],
    ));
    assert_eq!(points_count(&url, "copy"), 20);
    ok(run(
        &url,
        &["snapshot", "restore", path.to_str().unwrap(), "-c", "copy2"],
    ));
    assert_eq!(points_count(&url, "copy2"), 20);

    // Unknown snapshots fail with 1 and point at `snapshot list`.
    let out = run(
        &url,
        &["snapshot", "restore", "nope.snapshot", "-c", "snap"],
    );
    expect_code(&out, 1);
    assert!(stderr(&out).contains("snapshot list"), "{}", stderr(&out));

    ok(run(&url, &["snapshot", "delete", &name, "-c", "snap"]));
    assert_eq!(
        json_of(run(&url, &["snapshot", "list", "-c", "snap", "--json"])),
        json!([])
    );
    expect_code(&run(&url, &["snapshot", "delete", &name, "-c", "snap"]), 1);

    server.shutdown().await;
}

#[test]
fn help_shows_examples_and_exit_codes() {
    let out = cli().arg("--help").output().unwrap();
    let help = ok(out);
    assert!(help.contains("Examples:"), "{help}");
    assert!(help.contains("Exit codes:"), "{help}");
    for command in [
        "health-check",
        "collections",
        "ingest",
        "search",
        "snapshot",
        "serve-embedded",
    ] {
        assert!(help.contains(command), "{command}: {help}");
    }
    let help = ok(cli().args(["ingest", "--help"]).output().unwrap());
    assert!(help.contains("--batch-size"), "{help}");
    assert!(help.contains("Exit codes:"), "{help}");
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
