//! Running the `qdrant-integration` binary as a script would (its exit code, stdout and
//! stderr), and the JSONL points the CLI tests (`cli*.rs`) feed it.
//!
//! Included with `#[path = "common/cli.rs"] mod cli;`.

#![allow(dead_code)] // each test binary uses its own subset

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

pub fn cli() -> Command {
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
pub fn run_with_stdin(url: &str, args: &[&str], stdin: &str) -> Output {
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

pub fn run(url: &str, args: &[&str]) -> Output {
    run_with_stdin(url, args, "")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts the exit code, showing the output when it is not the expected one.
#[track_caller]
pub fn expect_code(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

#[track_caller]
pub fn ok(out: Output) -> String {
    expect_code(&out, 0);
    stdout(&out)
}

#[track_caller]
pub fn json_of(out: Output) -> Value {
    let text = ok(out);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A deterministic pseudo-random vector (xorshift), values in [-1, 1).
pub fn vector(seed: u64, dimension: usize) -> Vec<f32> {
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

/// Points `0..count`: even ones with string ids (`doc-N`), odd ones with numeric ids.
pub fn point_id(i: u64) -> String {
    if i.is_multiple_of(2) {
        format!("doc-{i}")
    } else {
        i.to_string()
    }
}

pub fn point_line(i: u64, dimension: usize) -> String {
    let id = if i.is_multiple_of(2) {
        json!(point_id(i))
    } else {
        json!(i)
    };
    let group = if i.is_multiple_of(3) { "a" } else { "b" };
    json!({"id": id, "vector": vector(i, dimension), "payload": {"i": i, "group": group}})
        .to_string()
}

pub fn write_jsonl(path: &Path, lines: impl IntoIterator<Item = String>) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for line in lines {
        writeln!(file, "{line}").unwrap();
    }
    file.flush().unwrap();
}

pub fn points_count(url: &str, collection: &str) -> u64 {
    json_of(run(url, &["collections", "info", collection, "--json"]))["points_count"]
        .as_u64()
        .unwrap()
}
