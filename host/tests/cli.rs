//! The binary's exit codes and output, as scripts see them, against the embedded engine:
//! health checks, the demo, `--help`, the exit codes, and logs that never show the api-key.
//! Commands by group: `cli_collections.rs` (collections, snapshots), `cli_ingest.rs`
//! (ingest, search).
//!
//! Multi-threaded runtimes throughout: a test blocks on the child process while the server
//! (on the same runtime) must keep serving.

#[path = "common/cli.rs"]
mod cli;

use std::process::Output;

use cli::{cli, expect_code, ok, point_line, run, run_with_stdin, stderr, stdout, write_jsonl};
use qdrant_embedded::{EmbeddedServer, Options};

fn free_port_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
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
