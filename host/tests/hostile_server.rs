//! Hostile servers, one table: a scripted raw-TCP server answers by the collection named in
//! the path, as no Qdrant would (not JSON, wrong shapes, huge, endless or trickling bodies,
//! redirects, odd statuses, broken HTTP, no answer). Each case names the typed error the
//! client must give. What a case declares and how the table runs: `common/hostile.rs`.

mod common;
#[path = "common/hostile.rs"]
mod hostile;
#[path = "common/raw_http.rs"]
mod raw_http;

use std::time::{Duration, Instant};

use hostile::{Case, Ctx, Got, Kind, On, case, err, got, message_of, run_table};
use raw_http::{HEALTH, Reply, Request, json, typed};

/// The scripted server's answer, by the collection named in the path.
fn scripted(request: &Request, elsewhere: &str) -> Reply {
    if request.path() == "/" {
        return json(200, HEALTH);
    }
    let route = request.path().split('/').nth(2).unwrap_or("");
    let html = |title: &str| {
        format!(
            "<!DOCTYPE html><html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
        )
    };
    match route {
        "non-json" => typed(200, "text/plain", "hello, this is not JSON"),
        "html-200" => typed(200, "text/html", html("Welcome to nginx!")),
        "empty-200" => typed(200, "application/json", ""),
        "wrong-shape" => json(200, r#"{"result":{"exists":"yes"},"status":"ok","time":0}"#),
        "no-result" => json(200, r#"{"status":"ok","time":0}"#),
        "result-array" => json(200, r#"{"result":[true],"status":"ok","time":0}"#),
        "negative-count" => json(200, r#"{"result":{"count":-1},"status":"ok","time":0}"#),
        "count-1e999" => json(200, r#"{"result":{"count":1e999},"status":"ok","time":0}"#),
        "deep-json" => typed(200, "application/json", "[".repeat(100_000)),
        "not-utf8" => typed(200, "application/json", vec![0xff, 0xfe, 0x7b, 0xc3, 0x28]),
        "big-100mb" => typed(200, "application/json", vec![b' '; 100 << 20]),
        "endless" => Reply::Endless {
            chunk: 64 << 10,
            every: Duration::ZERO,
            limit: 128 << 20,
        },
        "trickle" => Reply::Endless {
            chunk: 1,
            every: Duration::from_millis(100),
            limit: 1 << 20,
        },
        "redirect" => Reply::Full {
            status: 302,
            headers: format!("location: {elsewhere}/collections/c/exists\r\n"),
            body: html("302 Found").into_bytes(),
        },
        "401-html" => typed(401, "text/html", html("401 Authorization Required")),
        "500-html-1mb" => typed(
            500,
            "text/html",
            format!(
                "<html><head><title>500 Internal Server Error</title></head><body>{}</body></html>",
                "oops ".repeat(200_000)
            ),
        ),
        "status-999" => typed(999, "text/plain", "what is this"),
        "bad-status-line" => Reply::Raw(b"HTTP/1.1 OK-ish\r\n\r\n{}".to_vec()),
        "not-http" => Reply::Raw(b"SSH-2.0-OpenSSH_9.6\r\n".to_vec()),
        "huge-header" => {
            let mut raw = b"HTTP/1.1 200 OK\r\nx-filler: ".to_vec();
            raw.extend(std::iter::repeat_n(b'a', 1 << 20));
            raw.extend_from_slice(b"\r\ncontent-length: 2\r\n\r\n{}");
            Reply::Raw(raw)
        }
        "truncated" => Reply::Short {
            declared: 1000,
            body: br#"{"result":{"ex"#.to_vec(),
        },
        "retry-after-day" => Reply::Full {
            status: 429,
            headers: "retry-after: 86400\r\n".into(),
            body: b"slow down".to_vec(),
        },
        "stall" => Reply::Stall,
        "close" => Reply::Close,
        _ => typed(404, "text/plain", "no such route"),
    }
}

/// `collection_exists` of a scripted route: `GET /collections/{route}/exists`.
async fn exists(c: &Ctx, route: &str) -> Got {
    got(c.client.collection_exists(route).await)
}

/// The largest response body the scripted server may write before the client stops
/// reading: a few times the 16 MiB memory cap (socket buffers, one retry).
const READ_BOUND: usize = 48 << 20;

/// A call against an endless body; a violation if the host read far past the memory cap.
async fn bounded_read(c: &Ctx, route: &str) -> Got {
    let path = format!("/collections/{route}/exists");
    let before = c.scripted().body_bytes_written(&path);
    let outcome = exists(c, route).await;
    let read = c.scripted().body_bytes_written(&path) - before;
    if read > READ_BOUND {
        return Got::Violation(format!(
            "the host read {} MiB of the answer before giving up ({})",
            read >> 20,
            match &outcome {
                Got::Error(e) => e.to_string(),
                Got::Value(v) | Got::Violation(v) => v.clone(),
            }
        ));
    }
    outcome
}

// A case's body may be a block; `case!` puts it in an `async` block of its own.
#[allow(unused_braces)]
fn cases() -> Vec<Case> {
    use Kind::*;
    use On::*;
    vec![
        // ---- servers that do not answer as Qdrant does ----------------------------------
        case!(
            "a 200 that is not JSON",
            Scripted,
            err(Decode, "response is not JSON"),
            0,
            |c| exists(&c, "non-json").await
        ),
        case!(
            "a 200 HTML page",
            Scripted,
            err(Decode, "response is not JSON"),
            0,
            |c| exists(&c, "html-200").await
        ),
        case!(
            "a 200 with an empty body",
            Scripted,
            err(Decode, "response is not JSON"),
            0,
            |c| exists(&c, "empty-200").await
        ),
        case!(
            "a 200 of the wrong shape",
            Scripted,
            err(Decode, "no `exists` boolean"),
            0,
            |c| exists(&c, "wrong-shape").await
        ),
        case!(
            "a 200 without `result`",
            Scripted,
            err(Decode, "response has no `result`"),
            0,
            |c| exists(&c, "no-result").await
        ),
        case!(
            "a 200 whose result is a list",
            Scripted,
            err(Decode, "no `exists` boolean"),
            0,
            |c| exists(&c, "result-array").await
        ),
        case!(
            "a negative count",
            Scripted,
            err(Decode, "no `count` number"),
            0,
            |c| { got(c.client.count("negative-count", None, true).await) }
        ),
        case!(
            "a count of 1e999",
            Scripted,
            err(Decode, "response is not JSON"),
            0,
            |c| { got(c.client.count("count-1e999", None, true).await) }
        ),
        case!(
            "a 200 nested 100,000 deep",
            Scripted,
            err(Decode, "recursion limit"),
            0,
            |c| exists(&c, "deep-json").await
        ),
        case!(
            "a 200 that is not UTF-8",
            Scripted,
            err(Decode, "response is not JSON"),
            0,
            |c| exists(&c, "not-utf8").await
        ),
        case!("a 100 MB body", Scripted, err(Runtime, "memory"), 0, |c| {
            exists(&c, "big-100mb").await
        }),
        case!(
            "a 100 MB body (wasi-http build)",
            ScriptedWasiHttp,
            err(Runtime, "memory"),
            0,
            |c| exists(&c, "big-100mb").await
        ),
        // The host must stop reading at the memory cap, not buffer what the guest cannot take.
        case!(
            "a never-ending chunked body",
            Scripted,
            err(Runtime, "memory"),
            0,
            |c| { bounded_read(&c, "endless").await }
        ),
        case!(
            "a never-ending chunked body (wasi-http build)",
            ScriptedWasiHttp,
            err(Runtime, "memory"),
            0,
            |c| { bounded_read(&c, "endless").await }
        ),
        case!(
            "a body that trickles forever",
            Scripted,
            err(Timeout, "the call did not finish within 3s"),
            0,
            |c| { exists(&c, "trickle").await }
        ),
        case!(
            "a redirect to another origin",
            Scripted,
            err(Server(302), "server error 302"),
            0,
            |c| {
                let outcome = exists(&c, "redirect").await;
                match c.elsewhere().connections() {
                    0 => outcome,
                    n => Got::Violation(format!("the other origin got {n} connections")),
                }
            }
        ),
        case!(
            "a redirect to another origin (wasi-http build)",
            ScriptedWasiHttp,
            err(Server(302), "server error 302"),
            0,
            |c| {
                let outcome = exists(&c, "redirect").await;
                match c.elsewhere().connections() {
                    0 => outcome,
                    n => Got::Violation(format!("the other origin got {n} connections")),
                }
            }
        ),
        case!(
            "a 401 with an HTML page",
            Scripted,
            err(Unauthorized, "401 Authorization Required"),
            0,
            |c| { exists(&c, "401-html").await }
        ),
        case!(
            "a 500 with a 1 MB HTML page (message cut)",
            Scripted,
            err(Server(500), "500 Internal Server Error"),
            0,
            |c| {
                match exists(&c, "500-html-1mb").await {
                    Got::Error(e) if message_of(&e).chars().count() > 1025 => Got::Violation(
                        format!("a message of {} chars", message_of(&e).chars().count()),
                    ),
                    other => other,
                }
            }
        ),
        case!(
            "status 999",
            Scripted,
            err(Server(999), "what is this"),
            0,
            |c| exists(&c, "status-999").await
        ),
        case!(
            "a malformed status line",
            Scripted,
            err(Connection, "invalid HTTP status-code parsed"),
            0,
            |c| exists(&c, "bad-status-line").await
        ),
        case!(
            "an answer that is not HTTP",
            Scripted,
            err(Connection, "invalid HTTP version parsed"),
            0,
            |c| exists(&c, "not-http").await
        ),
        case!(
            "a 1 MB response header",
            Scripted,
            err(Connection, "message head is too large"),
            0,
            |c| exists(&c, "huge-header").await
        ),
        case!(
            "a body shorter than its content-length",
            Scripted,
            err(Connection, "error reading a body from connection"),
            0,
            |c| { exists(&c, "truncated").await }
        ),
        case!(
            "a 429 asking to wait a day",
            Scripted,
            err(RateLimited, "rate limited, retry after 86400 s"),
            0,
            |c| {
                let started = Instant::now();
                match exists(&c, "retry-after-day").await {
                    _ if started.elapsed() > Duration::from_secs(2) => {
                        Got::Violation(format!("waited {:?}", started.elapsed()))
                    }
                    outcome => outcome,
                }
            }
        ),
        case!(
            "no answer at all",
            Scripted,
            err(Timeout, "timed out: connection read timeout"),
            0,
            |c| exists(&c, "stall").await
        ),
        case!(
            "a connection closed without an answer",
            Scripted,
            err(Connection, "connection closed before message completed"),
            0,
            |c| { exists(&c, "close").await }
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_servers_give_typed_errors() {
    run_table(cases(), Some(scripted), 15).await;
}
