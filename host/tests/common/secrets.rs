//! What the api-key tests (`secrets.rs`, `secrets_egress.rs`) share: a `tracing`
//! subscriber that captures every log line of the test binary, the leak checks on text,
//! errors and logs, and the scripted clients of both builds.
//!
//! `SECRETS_RUN_KNOWN_BUGS=1` runs the checks in [`KNOWN_BUGS`] too (or `=<name>`, that one).
//!
//! Included with `#[path = "common/secrets.rs"] mod secrets;`.

#![allow(dead_code)] // each test binary uses its own subset

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, Once};
use std::time::Duration;

use qdrant_integration::types::RetryPolicy;
use qdrant_integration::{Error, Outbound, QdrantClient};

/// Checks that expose a bug not fixed yet: skipped (unless `SECRETS_RUN_KNOWN_BUGS=1`) so
/// the suite passes. Each is marked `// BUG:` where it is defined.
const KNOWN_BUGS: &[&str] = &[];

pub fn skip_known_bug(name: &str) -> bool {
    // `1` runs them all, a bug's name runs that one.
    let run = std::env::var("SECRETS_RUN_KNOWN_BUGS").is_ok_and(|v| v == "1" || v == name);
    let skip = KNOWN_BUGS.contains(&name) && !run;
    if skip {
        println!("skip (known bug): {name}");
    }
    skip
}

// ---- log capture ----------------------------------------------------------------------

/// Every line any test of this binary logged.
static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Records every span and event of every target at every level, fields included (compiler
/// internals aside, which never see a request).
struct Capture;

struct Line(String);

impl tracing::field::Visit for Line {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        let _ = write!(self.0, " {}={value}", field.name());
    }
}

fn compiler_internals(target: &str) -> bool {
    [
        "cranelift",
        "regalloc",
        "wasmtime_cranelift",
        "wasmtime_environ",
        "object",
        "gimli",
    ]
    .iter()
    .any(|prefix| target.starts_with(prefix))
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        !compiler_internals(metadata.target())
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }

    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let meta = span.metadata();
        let mut line = Line(format!(
            "{} {} span {}:",
            meta.level(),
            meta.target(),
            meta.name()
        ));
        span.record(&mut line);
        LINES.lock().unwrap().push(line.0);
        tracing::span::Id::from_u64(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut line = Line("span record:".into());
        values.record(&mut line);
        LINES.lock().unwrap().push(line.0);
    }

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let meta = event.metadata();
        let mut line = Line(format!("{} {}:", meta.level(), meta.target()));
        event.record(&mut line);
        LINES.lock().unwrap().push(line.0);
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

pub fn capture_logs() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| tracing::subscriber::set_global_default(Capture).unwrap());
}

/// Asserts no captured line holds any part of these keys, and that lines were captured.
pub fn assert_logs_keep(keys: &[&str]) {
    let lines = LINES.lock().unwrap();
    assert!(
        lines.iter().any(|l| l.contains("operation=")),
        "no call was logged: is the capture working? {} lines",
        lines.len()
    );
    for line in lines.iter() {
        for key in keys {
            assert!(
                !leaks(line, key),
                "a log line holds the key {key:?}: {line}"
            );
        }
    }
}

// ---- keys -----------------------------------------------------------------------------

/// Whether `text` holds `key` or any 12-character piece of it (a cut or partly redacted key
/// is still a leak), or its first bytes as a `Debug`-printed byte list (`[115, 107, ...]`,
/// how a `Vec<u8>` header value would show in a trace).
pub fn leaks(text: &str, key: &str) -> bool {
    let bytes: Vec<String> = key.bytes().take(8).map(|b| b.to_string()).collect();
    if text.contains(&bytes.join(", ")) {
        return true;
    }
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 12 {
        return text.contains(key);
    }
    chars
        .windows(12)
        .any(|piece| text.contains(&piece.iter().collect::<String>()))
}

#[track_caller]
pub fn assert_error_keeps(what: &str, error: &Error, key: &str) {
    for text in [
        error.to_string(),
        format!("{error:?}"),
        format!("{error:#?}"),
    ] {
        assert!(!leaks(&text, key), "{what}: the key leaked into {text}");
    }
}

/// The scripted clients: patient enough for loopback, quick to give up.
pub async fn scripted_client(url: &str, key: &str, outbound: Outbound) -> QdrantClient {
    QdrantClient::new(url, Some(key))
        .await
        .unwrap()
        .with_outbound(outbound)
        .with_timeout(Duration::from_secs(2))
        .with_retry(RetryPolicy {
            max_attempts: 2,
            initial_backoff_ms: 10,
            max_backoff_ms: 10,
            max_elapsed_ms: 1_000,
        })
}

pub const BUILDS: [Outbound; 2] = [Outbound::HostTransport, Outbound::WasiHttp];
