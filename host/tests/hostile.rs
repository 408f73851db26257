//! Hostile input and hostile servers, one table: every case names the call, and the typed
//! error it must give (the `Error` variant, which mirrors the WIT `error` case, and a
//! fragment of its message) or, for input Qdrant legitimately accepts, the exact outcome.
//!
//! No case may panic the host, trap without a message, hang or leave a collection
//! half-written, and after each case the next call on the same client must succeed: a
//! `count` of the case's collection (which must hold exactly the points the case says) on
//! the embedded engine, `server_info` on the scripted servers.
//!
//! Input cases run against the embedded engine (or `QDRANT_URL`); server cases against a
//! scripted raw-TCP server (as `faults.rs` does) that answers by the collection named in
//! the path. Those clients have short timeouts, a 16 MiB memory cap and a 3 s deadline, so
//! pathological answers end quickly as `Error::Runtime` or `Error::Timeout`.
//!
//! `HOSTILE_RUN_KNOWN_BUGS=1` runs the cases in [`KNOWN_BUGS`] too.

mod common;
#[path = "common/raw_http.rs"]
mod raw_http;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{DIM, Target, client, target, vector};
use qdrant_integration::types::{
    Filter, PayloadSelector, PointBatch, PointsSelector, QueryRequest, RetryPolicy, ScrollRequest,
    VectorSelector,
};
use qdrant_integration::{Error, Limits, Outbound, QdrantClient, VectorPoint};
use raw_http::{HEALTH, RawServer, Reply, Request, json, typed};
use serde_json::{Value, json};

/// Cases that expose a bug not fixed yet: skipped (unless `HOSTILE_RUN_KNOWN_BUGS=1`) so the
/// suite passes. Each is marked `// BUG:` in the table.
const KNOWN_BUGS: &[&str] = &[];

/// Which client (and server) a case runs on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum On {
    /// The embedded engine (or `QDRANT_URL`), through the default `http-transport` build.
    Engine,
    /// The scripted server, through the default `http-transport` build.
    Scripted,
    /// The scripted server, through the `retriever` build (the guest's own wasi:http).
    ScriptedWasiHttp,
}

/// The `Error` variant (the WIT `error` case; `Runtime` is the host's own).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Connection,
    Timeout,
    Unauthorized,
    NotFound,
    BadRequest,
    RateLimited,
    Server(u16),
    InvalidInput,
    Decode,
    Runtime,
    Other,
}

fn kind_of(e: &Error) -> Kind {
    match e {
        Error::Connection(_) => Kind::Connection,
        Error::Timeout(_) => Kind::Timeout,
        Error::Unauthorized(_) => Kind::Unauthorized,
        Error::NotFound(_) => Kind::NotFound,
        Error::BadRequest(_) => Kind::BadRequest,
        Error::RateLimited { .. } => Kind::RateLimited,
        Error::Server { status, .. } => Kind::Server(*status),
        Error::InvalidInput(_) => Kind::InvalidInput,
        Error::Decode(_) => Kind::Decode,
        Error::Runtime(_) => Kind::Runtime,
        _ => Kind::Other,
    }
}

/// The message a variant carries (empty for none).
fn message_of(e: &Error) -> String {
    match e {
        Error::Connection(m)
        | Error::Timeout(m)
        | Error::Unauthorized(m)
        | Error::Forbidden(m)
        | Error::NotFound(m)
        | Error::BadRequest(m)
        | Error::Conflict(m)
        | Error::InvalidInput(m)
        | Error::Decode(m)
        | Error::Runtime(m) => m.clone(),
        Error::Server { message, .. } => message.clone(),
        Error::RateLimited { retry_after_secs } => format!("{retry_after_secs:?}"),
        other => other.to_string(),
    }
}

enum Expect {
    /// This variant, and this fragment in the error's text (`Display`).
    Error(Kind, &'static str),
    /// Success, summarised by the case exactly so.
    Ok(&'static str),
}

fn err(kind: Kind, fragment: &'static str) -> Expect {
    Expect::Error(kind, fragment)
}

fn ok(summary: &'static str) -> Expect {
    Expect::Ok(summary)
}

/// What a case's call gave.
enum Got {
    Value(String),
    Error(Error),
    /// The call ended as expected, but a check around it failed.
    Violation(String),
}

fn got<T: std::fmt::Debug>(result: Result<T, Error>) -> Got {
    match result {
        Ok(value) => Got::Value(short(&format!("{value:?}"))),
        Err(e) => Got::Error(e),
    }
}

fn short(text: &str) -> String {
    if text.chars().count() > 160 {
        format!("{}…", text.chars().take(160).collect::<String>())
    } else {
        text.to_owned()
    }
}

/// What a case works with.
#[derive(Clone)]
struct Ctx {
    client: QdrantClient,
    /// A fresh, empty collection of `DIM`-dimensional Cosine vectors (engine cases).
    collection: String,
    scripted: Arc<RawServer>,
    /// Another origin, where nothing may ever arrive.
    elsewhere: Arc<RawServer>,
}

type Run = Box<dyn Fn(Ctx) -> Pin<Box<dyn Future<Output = Got> + Send>> + Send + Sync>;

struct Case {
    name: &'static str,
    on: On,
    expect: Expect,
    /// Points the case's collection holds afterwards (engine cases).
    points_after: u64,
    run: Run,
}

macro_rules! case {
    ($name:expr, $on:expr, $expect:expr, $points:expr, |$c:ident| $body:expr) => {
        Case {
            name: $name,
            on: $on,
            expect: $expect,
            points_after: $points,
            run: Box::new(move |$c: Ctx| Box::pin(async move { $body })),
        }
    };
}

fn point(id: &str, vector: Vec<f32>, payload: Value) -> VectorPoint {
    VectorPoint {
        id: id.into(),
        vector,
        payload,
    }
}

/// `n` valid points `0..n` with distinct vectors.
fn points(n: usize) -> Vec<VectorPoint> {
    (0..n)
        .map(|i| point(&i.to_string(), vector(i), json!({"n": i})))
        .collect()
}

/// Ids `0..n` with their vectors, row-major.
fn packed(n: usize) -> (Vec<String>, Vec<f32>) {
    let ids = (0..n).map(|i| i.to_string()).collect();
    let data = (0..n).flat_map(vector).collect();
    (ids, data)
}

fn nested_payload(depth: usize) -> Value {
    (0..depth).fold(json!(1), |inner, _| json!({ "a": inner }))
}

/// `{"must":[{"must":[ ... ]}]}`, `levels` filters deep.
fn nested_filter(levels: usize) -> String {
    let mut text = String::new();
    for _ in 0..levels {
        text.push_str(r#"{"must":["#);
    }
    text.push_str(r#"{"key":"k","match":{"value":1}}"#);
    for _ in 0..levels {
        text.push_str("]}");
    }
    text
}

async fn count_with(c: &Ctx, filter: &str) -> Got {
    got(c
        .client
        .count(&c.collection, Some(&Filter::Json(filter.into())), true)
        .await)
}

/// Upserts one point with `id`, then reads it back with a get and a scroll.
async fn round_trip(c: &Ctx, id: &str) -> Got {
    let written = c
        .client
        .upsert_vectors(&c.collection, vec![point(id, vector(1), json!({"tag": 1}))])
        .await;
    if let Err(e) = written {
        return Got::Error(e);
    }
    let by_get = c
        .client
        .get_points(
            &c.collection,
            &[id.to_owned()],
            &PayloadSelector::All,
            &VectorSelector::None,
        )
        .await;
    let by_scroll = c
        .client
        .scroll(&c.collection, &ScrollRequest::new(10))
        .await;
    match (by_get, by_scroll) {
        (Ok(got), Ok(page)) => {
            let get: Vec<&str> = got.iter().map(|p| p.id.as_str()).collect();
            let scroll: Vec<&str> = page.points.iter().map(|p| p.id.as_str()).collect();
            Got::Value(format!("get {get:?}, scroll {scroll:?}"))
        }
        (Err(e), _) | (_, Err(e)) => Got::Error(e),
    }
}

/// Creates a collection named `name`, checks it exists and is listed under exactly that
/// name, then deletes it.
async fn accepted_name(c: &Ctx, name: &str) -> Got {
    let outcome = async {
        c.client.create_collection(name, 4, "Dot").await?;
        let exists = c.client.collection_exists(name).await?;
        let listed = c.client.list_collections().await?;
        let as_is = listed.iter().any(|n| n == name);
        let info = c.client.collection_info(name).await?;
        Ok::<_, Error>(format!(
            "exists={exists} listed-as-is={as_is} size={}",
            info.vectors[0].size
        ))
    }
    .await;
    let _ = c.client.delete_collection(name).await;
    match outcome {
        Ok(summary) => Got::Value(summary),
        Err(e) => Got::Error(e),
    }
}

/// A name unique to this process, with `fragment` in it.
fn unique(fragment: &str) -> String {
    format!("hostile{fragment}{}", std::process::id())
}

/// Three points, then a query / scroll with the largest limit.
async fn three_points(c: &Ctx) -> Result<(), Error> {
    c.client.upsert_vectors(&c.collection, points(3)).await
}

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

// A case's body may be a block; `case!` puts it in an `async` block of its own.
#[allow(unused_braces)]
fn cases() -> Vec<Case> {
    use Kind::*;
    use On::*;
    let big = || "x".repeat(10_000_000);
    vec![
        // ---- vectors --------------------------------------------------------------------
        case!(
            "wrong dimension: the only point",
            Engine,
            err(BadRequest, "expected dim: 8, got 9"),
            0,
            |c| {
                got(c
                    .client
                    .upsert_vectors(
                        &c.collection,
                        vec![point("1", vec![0.5; DIM + 1], json!({}))],
                    )
                    .await)
            }
        ),
        case!(
            "wrong dimension: the first of 10,000 points",
            Engine,
            err(
                InvalidInput,
                "point `1` has 8 dimensions, the first point has 9"
            ),
            0,
            |c| {
                let mut all = points(10_000);
                all[0].vector.push(0.5);
                got(c.client.upsert_vectors(&c.collection, all).await)
            }
        ),
        case!(
            "wrong dimension: the 10,000th point",
            Engine,
            err(
                InvalidInput,
                "point `9999` has 9 dimensions, the first point has 8"
            ),
            0,
            |c| {
                let mut all = points(10_000);
                all[9_999].vector.push(0.5);
                got(c.client.upsert_vectors(&c.collection, all).await)
            }
        ),
        case!(
            "wrong dimension: the 10,000th packed point is one value short",
            Engine,
            err(
                InvalidInput,
                "expected 10000 vectors of dimension 8 (320000 bytes), got 319996 bytes"
            ),
            0,
            |c| {
                let (ids, mut data) = packed(10_000);
                data.pop();
                let batch = PointBatch::new(ids).with_dense("", DIM as u32, &data);
                got(c.client.upsert_points(&c.collection, &batch, true).await)
            }
        ),
        case!(
            "wrong dimension: all 10,000 points (a split upsert)",
            Engine,
            err(InvalidInput, "has dimension 8, the points have 9"),
            0,
            |c| {
                let ids: Vec<String> = (0..10_000).map(|i| i.to_string()).collect();
                let batch = PointBatch::new(ids).with_dense("", 9, &vec![0.5; 90_000]);
                got(c.client.upsert_points(&c.collection, &batch, true).await)
            }
        ),
        case!(
            "NaN in the 10,000th vector",
            Engine,
            err(
                InvalidInput,
                "vector 9999 has a NaN or infinite value at index 3"
            ),
            0,
            |c| {
                let (ids, mut data) = packed(10_000);
                data[9_999 * DIM + 3] = f32::NAN;
                let batch = PointBatch::new(ids).with_dense("", DIM as u32, &data);
                got(c.client.upsert_points(&c.collection, &batch, true).await)
            }
        ),
        case!(
            "+inf in a vector",
            Engine,
            err(
                InvalidInput,
                "vector 0 has a NaN or infinite value at index 0"
            ),
            0,
            |c| {
                let mut v = vector(0);
                v[0] = f32::INFINITY;
                got(c
                    .client
                    .upsert_vectors(&c.collection, vec![point("1", v, json!({}))])
                    .await)
            }
        ),
        case!(
            "-inf in a vector",
            Engine,
            err(
                InvalidInput,
                "vector 1 has a NaN or infinite value at index 7"
            ),
            0,
            |c| {
                let mut all = points(2);
                all[1].vector[7] = f32::NEG_INFINITY;
                got(c.client.upsert_vectors(&c.collection, all).await)
            }
        ),
        case!(
            "NaN in a query vector",
            Engine,
            err(
                InvalidInput,
                "vector 0 has a NaN or infinite value at index 5"
            ),
            0,
            |c| {
                let mut v = vector(0);
                v[5] = f32::NAN;
                got(c.client.search(&c.collection, v, 3, None).await)
            }
        ),
        case!(
            "empty vector",
            Engine,
            err(InvalidInput, "vector dimension must be at least 1"),
            0,
            |c| {
                got(c
                    .client
                    .upsert_vectors(&c.collection, vec![point("1", vec![], json!({}))])
                    .await)
            }
        ),
        case!(
            "empty query vector",
            Engine,
            err(InvalidInput, "non-zero multiple of 4 bytes"),
            0,
            |c| { got(c.client.search(&c.collection, vec![], 3, None).await) }
        ),
        case!(
            "no points at all",
            Engine,
            err(InvalidInput, "no points to upsert"),
            0,
            |c| { got(c.client.upsert_vectors(&c.collection, vec![]).await) }
        ),
        case!(
            "vector size 0 for a new collection",
            Engine,
            err(InvalidInput, "vector size must be at least 1"),
            0,
            |c| {
                got(c
                    .client
                    .create_collection(&unique("size0"), 0, "Cosine")
                    .await)
            }
        ),
        // ---- collection names -----------------------------------------------------------
        case!(
            "empty collection name",
            Engine,
            err(InvalidInput, "collection name must be 1 to 255 bytes"),
            0,
            |c| { got(c.client.collection_exists("").await) }
        ),
        case!(
            "256-byte collection name",
            Engine,
            err(InvalidInput, "collection name must be 1 to 255 bytes"),
            0,
            |c| { got(c.client.create_collection(&"n".repeat(256), 4, "Dot").await) }
        ),
        case!(
            "255-byte collection name is accepted",
            Engine,
            ok("exists=true listed-as-is=true size=4"),
            0,
            |c| {
                let tail = unique("");
                accepted_name(&c, &format!("{}{tail}", "n".repeat(255 - tail.len()))).await
            }
        ),
        case!(
            "name with `/`",
            Engine,
            err(InvalidInput, "must not contain '/'"),
            0,
            |c| { got(c.client.create_collection("a/b", 4, "Dot").await) }
        ),
        case!(
            "name `..`",
            Engine,
            err(InvalidInput, "must not be `..`"),
            0,
            |c| { got(c.client.delete_collection("..").await) }
        ),
        case!(
            "name `.`",
            Engine,
            err(InvalidInput, "must not be `.`"),
            0,
            |c| { got(c.client.collection_info(".").await) }
        ),
        case!(
            "name with `?`",
            Engine,
            err(InvalidInput, "must not contain '?'"),
            0,
            |c| { got(c.client.create_collection("a?b=c", 4, "Dot").await) }
        ),
        case!(
            "name with `\\`",
            Engine,
            err(InvalidInput, r"must not contain '\\'"),
            0,
            |c| { got(c.client.create_collection(r"a\..\b", 4, "Dot").await) }
        ),
        case!(
            "name with a newline",
            Engine,
            err(InvalidInput, r"must not contain '\n'"),
            0,
            |c| { got(c.client.create_collection("a\nb", 4, "Dot").await) }
        ),
        case!(
            "name with NUL",
            Engine,
            err(InvalidInput, r"must not contain '\0'"),
            0,
            |c| { got(c.client.collection_exists("a\0b").await) }
        ),
        case!(
            "name with DEL",
            Engine,
            err(InvalidInput, r"must not contain '\u{7f}'"),
            0,
            |c| { got(c.client.collection_exists("a\u{7f}b").await) }
        ),
        case!(
            "name with `%2F` is a literal name",
            Engine,
            ok("exists=true listed-as-is=true size=4"),
            0,
            |c| { accepted_name(&c, &unique("a%2Fb")).await }
        ),
        case!(
            "name with `%2E%2E` is a literal name",
            Engine,
            ok("exists=true listed-as-is=true size=4"),
            0,
            |c| { accepted_name(&c, &unique("%2E%2E")).await }
        ),
        case!(
            "name with `#` is accepted",
            Engine,
            ok("exists=true listed-as-is=true size=4"),
            0,
            |c| { accepted_name(&c, &unique("#frag")).await }
        ),
        case!(
            "name with spaces is accepted",
            Engine,
            ok("exists=true listed-as-is=true size=4"),
            0,
            |c| { accepted_name(&c, &unique(" my docs ")).await }
        ),
        case!(
            "name in Unicode is accepted",
            Engine,
            ok("exists=true listed-as-is=true size=4"),
            0,
            |c| { accepted_name(&c, &unique("文档-ü")).await }
        ),
        // ---- payloads -------------------------------------------------------------------
        case!(
            "payload that is an array",
            Engine,
            err(InvalidInput, "payload of point `1` is not a JSON object"),
            0,
            |c| {
                got(c
                    .client
                    .upsert_vectors(&c.collection, vec![point("1", vector(1), json!([1, 2]))])
                    .await)
            }
        ),
        case!(
            "payload that is a string (packed)",
            Engine,
            err(InvalidInput, "payload 0 is not a JSON object"),
            0,
            |c| {
                let (ids, data) = packed(1);
                let batch = PointBatch::new(ids)
                    .with_dense("", DIM as u32, &data)
                    .with_payloads(&[json!("text")]);
                got(c.client.upsert_points(&c.collection, &batch, true).await)
            }
        ),
        case!(
            "payload that is not JSON (packed)",
            Engine,
            err(InvalidInput, "payload 1 is not valid JSON"),
            0,
            |c| {
                let (ids, data) = packed(2);
                let mut batch = PointBatch::new(ids).with_dense("", DIM as u32, &data);
                batch.payloads = vec!["{}".into(), r#"{"a": "#.into()];
                got(c.client.upsert_points(&c.collection, &batch, true).await)
            }
        ),
        case!(
            "payload nested 200 deep",
            Engine,
            err(InvalidInput, "recursion limit"),
            0,
            |c| {
                got(c
                    .client
                    .upsert_vectors(
                        &c.collection,
                        vec![point("1", vector(1), nested_payload(200))],
                    )
                    .await)
            }
        ),
        case!(
            "payload nested 120 deep is accepted",
            Engine,
            ok("stored 1 point, depth 120 read back"),
            1,
            |c| {
                if let Err(e) = c
                    .client
                    .upsert_vectors(
                        &c.collection,
                        vec![point("1", vector(1), nested_payload(120))],
                    )
                    .await
                {
                    return Got::Error(e);
                }
                match c
                    .client
                    .get_points(
                        &c.collection,
                        &["1".into()],
                        &PayloadSelector::All,
                        &VectorSelector::None,
                    )
                    .await
                {
                    Ok(found) => {
                        let payload: Value = serde_json::from_str(&found[0].payload).unwrap();
                        let depth =
                            std::iter::successors(Some(&payload), |v| v.get("a")).count() - 1;
                        Got::Value(format!(
                            "stored {} point, depth {depth} read back",
                            found.len()
                        ))
                    }
                    Err(e) => Got::Error(e),
                }
            }
        ),
        case!(
            "payload with a 10 MB string is accepted",
            Engine,
            ok("10000000 bytes read back"),
            1,
            |c| {
                if let Err(e) = c
                    .client
                    .upsert_vectors(
                        &c.collection,
                        vec![point("1", vector(1), json!({"text": big()}))],
                    )
                    .await
                {
                    return Got::Error(e);
                }
                match c
                    .client
                    .get_points(
                        &c.collection,
                        &["1".into()],
                        &PayloadSelector::All,
                        &VectorSelector::None,
                    )
                    .await
                {
                    Ok(found) => {
                        let payload: Value = serde_json::from_str(&found[0].payload).unwrap();
                        Got::Value(format!(
                            "{} bytes read back",
                            payload["text"].as_str().map_or(0, str::len)
                        ))
                    }
                    Err(e) => Got::Error(e),
                }
            }
        ),
        case!(
            "payload with the reserved key `_string_id`",
            Engine,
            err(InvalidInput, "reserved"),
            0,
            |c| {
                got(c
                    .client
                    .upsert_vectors(
                        &c.collection,
                        vec![point("1", vector(1), json!({"_string_id": "x"}))],
                    )
                    .await)
            }
        ),
        case!(
            "set_payload with a number",
            Engine,
            err(InvalidInput, "payload is not a JSON object"),
            0,
            |c| {
                got(c
                    .client
                    .set_payload(
                        &c.collection,
                        &PointsSelector::Ids(vec!["1".into()]),
                        &json!(5),
                        None,
                        true,
                    )
                    .await)
            }
        ),
        // ---- filters --------------------------------------------------------------------
        case!(
            "filter: malformed JSON",
            Engine,
            err(InvalidInput, "filter is not valid JSON"),
            0,
            |c| { count_with(&c, r#"{"must": [{"key": "a", "#).await }
        ),
        case!(
            "filter: an array, not an object",
            Engine,
            err(InvalidInput, "filter: must be a JSON object"),
            0,
            |c| { count_with(&c, "[1, 2]").await }
        ),
        case!(
            "filter: unknown clause",
            Engine,
            err(InvalidInput, "unknown clause `mustt`"),
            0,
            |c| { count_with(&c, r#"{"mustt": []}"#).await }
        ),
        case!(
            "filter: key of the wrong type",
            Engine,
            err(InvalidInput, "filter.must[0]: `key` must be a string"),
            0,
            |c| { count_with(&c, r#"{"must": [{"key": 5, "match": {"value": 1}}]}"#).await }
        ),
        case!(
            "filter: has_id with a non-id",
            Engine,
            err(InvalidInput, "is not an id"),
            0,
            |c| { count_with(&c, r#"{"must": [{"has_id": [true]}]}"#).await }
        ),
        case!(
            "filter: 1,000 levels deep",
            Engine,
            err(InvalidInput, "recursion limit"),
            0,
            |c| { count_with(&c, &nested_filter(1_000)).await }
        ),
        // ---- distance and limits --------------------------------------------------------
        case!(
            "unknown distance",
            Engine,
            err(InvalidInput, "unknown distance `Hamming`"),
            0,
            |c| {
                got(c
                    .client
                    .create_collection(&unique("hamming"), 4, "Hamming")
                    .await)
            }
        ),
        case!(
            "distance spelled ` EUCLIDEAN ` is accepted",
            Engine,
            ok("Euclid"),
            0,
            |c| {
                let name = unique("euclid");
                let outcome = async {
                    c.client.create_collection(&name, 4, " EUCLIDEAN ").await?;
                    c.client.collection_info(&name).await
                }
                .await;
                let _ = c.client.delete_collection(&name).await;
                match outcome {
                    Ok(info) => Got::Value(info.vectors[0].distance.name().to_owned()),
                    Err(e) => Got::Error(e),
                }
            }
        ),
        case!(
            "query limit 0",
            Engine,
            err(InvalidInput, "limit must be at least 1"),
            0,
            |c| { got(c.client.search(&c.collection, vector(0), 0, None).await) }
        ),
        case!(
            "query limit 2^32-1 returns every point",
            Engine,
            ok("3 hits"),
            3,
            |c| {
                if let Err(e) = three_points(&c).await {
                    return Got::Error(e);
                }
                match c
                    .client
                    .query(&c.collection, &QueryRequest::nearest(&vector(0), u32::MAX))
                    .await
                {
                    Ok(hits) => Got::Value(format!("{} hits", hits.len())),
                    Err(e) => Got::Error(e),
                }
            }
        ),
        case!(
            "query limit beyond u32",
            Engine,
            err(InvalidInput, "limit too large"),
            0,
            |c| {
                got(c
                    .client
                    .search(&c.collection, vector(0), u32::MAX as usize + 1, None)
                    .await)
            }
        ),
        case!(
            "scroll limit 0",
            Engine,
            err(InvalidInput, "limit must be at least 1"),
            0,
            |c| { got(c.client.scroll(&c.collection, &ScrollRequest::new(0)).await) }
        ),
        case!(
            "scroll limit 2^32-1 returns every point",
            Engine,
            ok("3 points, next None"),
            3,
            |c| {
                if let Err(e) = three_points(&c).await {
                    return Got::Error(e);
                }
                match c
                    .client
                    .scroll(&c.collection, &ScrollRequest::new(u32::MAX))
                    .await
                {
                    Ok(page) => Got::Value(format!(
                        "{} points, next {:?}",
                        page.points.len(),
                        page.next_offset
                    )),
                    Err(e) => Got::Error(e),
                }
            }
        ),
        // ---- point ids ------------------------------------------------------------------
        case!(
            "empty id",
            Engine,
            err(InvalidInput, "point 1: point id must not be empty"),
            0,
            |c| {
                let mut all = points(2);
                all[1].id = String::new();
                got(c.client.upsert_vectors(&c.collection, all).await)
            }
        ),
        case!(
            "negative id is a string id",
            Engine,
            ok(r#"get ["-1"], scroll ["-1"]"#),
            1,
            |c| { round_trip(&c, "-1").await }
        ),
        case!(
            "non-numeric id is a string id",
            Engine,
            ok(r#"get ["doc one"], scroll ["doc one"]"#),
            1,
            |c| { round_trip(&c, "doc one").await }
        ),
        case!(
            "id beyond u64 is a string id",
            Engine,
            ok(r#"get ["18446744073709551616"], scroll ["18446744073709551616"]"#),
            1,
            |c| { round_trip(&c, "18446744073709551616").await }
        ),
        case!(
            "integer id with leading zeros is that integer",
            Engine,
            ok(r#"get ["7"], scroll ["7"]"#),
            1,
            |c| { round_trip(&c, "007").await }
        ),
        case!(
            "almost a UUID (one digit short) is a string id",
            Engine,
            ok(
                r#"get ["550e8400-e29b-41d4-a716-44665544000"], scroll ["550e8400-e29b-41d4-a716-44665544000"]"#
            ),
            1,
            |c| { round_trip(&c, "550e8400-e29b-41d4-a716-44665544000").await }
        ),
        case!(
            "almost a UUID (a `g` in it) is a string id",
            Engine,
            ok(
                r#"get ["550e8400-e29b-41d4-a716-44665544000g"], scroll ["550e8400-e29b-41d4-a716-44665544000g"]"#
            ),
            1,
            |c| { round_trip(&c, "550e8400-e29b-41d4-a716-44665544000g").await }
        ),
        // Qdrant parses the simple (unhyphenated) form as a UUID and reports the canonical one.
        case!(
            "UUID without hyphens is that UUID",
            Engine,
            ok(
                r#"get ["550e8400-e29b-41d4-a716-446655440000"], scroll ["550e8400-e29b-41d4-a716-446655440000"]"#
            ),
            1,
            |c| { round_trip(&c, "550E8400E29B41D4A716446655440000").await }
        ),
        // Qdrant applies the points of one request in order: the last one of an id wins.
        case!(
            "duplicate ids in one request: the last wins",
            Engine,
            ok("1 point, `7` holds v=2"),
            1,
            |c| {
                let batch = vec![
                    point("7", vector(1), json!({"v": 1})),
                    point("7", vector(2), json!({"v": 2})),
                ];
                if let Err(e) = c.client.upsert_vectors(&c.collection, batch).await {
                    return Got::Error(e);
                }
                duplicate_outcome(&c).await
            }
        ),
        // Bodies go out one after another, in order: across requests the last wins too.
        case!(
            "duplicate ids across two requests: the last wins",
            Engine,
            ok("299 points, `7` holds v=299"),
            299,
            |c| {
                let batch: Vec<VectorPoint> = (0..300)
                    .map(|i| {
                        let id = if i == 0 || i == 299 {
                            "7".to_owned()
                        } else {
                            (1000 + i).to_string()
                        };
                        point(&id, vector(i), json!({"v": i}))
                    })
                    .collect();
                if let Err(e) = c.client.upsert_vectors(&c.collection, batch).await {
                    return Got::Error(e);
                }
                duplicate_outcome(&c).await
            }
        ),
        // ---- request size ---------------------------------------------------------------
        case!(
            "a 40 MB batch is split under the 32 MB request cap",
            Engine,
            ok("40 points"),
            40,
            |c| {
                let batch: Vec<VectorPoint> = (0..40)
                    .map(|i| {
                        point(
                            &i.to_string(),
                            vector(i),
                            json!({"text": "y".repeat(1 << 20)}),
                        )
                    })
                    .collect();
                if let Err(e) = c.client.upsert_vectors(&c.collection, batch).await {
                    return Got::Error(e);
                }
                match c.client.count(&c.collection, None, true).await {
                    Ok(n) => Got::Value(format!("{n} points")),
                    Err(e) => Got::Error(e),
                }
            }
        ),
        case!(
            "one point over the 32 MB request cap",
            Engine,
            err(InvalidInput, "over the 31457280-byte request cap"),
            0,
            |c| {
                let mut batch = points(3);
                batch[2].payload = json!({"text": "z".repeat(33 << 20)});
                got(c.client.upsert_vectors(&c.collection, batch).await)
            }
        ),
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
                match c.elsewhere.connections() {
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
                match c.elsewhere.connections() {
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

/// Count of the case's collection and the `v` of point `7`.
async fn duplicate_outcome(c: &Ctx) -> Got {
    let count = c.client.count(&c.collection, None, true).await;
    let seven = c
        .client
        .get_points(
            &c.collection,
            &["7".into()],
            &PayloadSelector::All,
            &VectorSelector::None,
        )
        .await;
    match (count, seven) {
        (Ok(n), Ok(found)) => {
            let payload: Value = serde_json::from_str(&found[0].payload).unwrap();
            let noun = if n == 1 { "point" } else { "points" };
            Got::Value(format!("{n} {noun}, `7` holds v={}", payload["v"]))
        }
        (Err(e), _) | (_, Err(e)) => Got::Error(e),
    }
}

/// The largest response body the scripted server may write before the client stops
/// reading: a few times the 16 MiB memory cap (socket buffers, one retry).
const READ_BOUND: usize = 48 << 20;

/// A call against an endless body; a violation if the host read far past the memory cap.
async fn bounded_read(c: &Ctx, route: &str) -> Got {
    let path = format!("/collections/{route}/exists");
    let before = c.scripted.body_bytes_written(&path);
    let outcome = exists(c, route).await;
    let read = c.scripted.body_bytes_written(&path) - before;
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

/// The scripted-server clients: quick to give up, small memory cap, short deadline.
async fn impatient(url: &str, outbound: Outbound) -> QdrantClient {
    QdrantClient::new(url, None)
        .await
        .unwrap()
        .with_outbound(outbound)
        .with_timeout(Duration::from_secs(1))
        .with_connect_timeout(Duration::from_secs(1))
        .with_retry(RetryPolicy {
            max_attempts: 2,
            initial_backoff_ms: 10,
            max_backoff_ms: 10,
            max_elapsed_ms: 1_000,
        })
        .with_limits(Limits {
            memory_bytes: 16 << 20,
            call_timeout: Duration::from_secs(3),
        })
}

/// What one case came to: `Ok(detail)` or `Err(why it failed)`.
fn judge(case: &Case, outcome: &Got) -> Result<String, String> {
    match (&case.expect, outcome) {
        (Expect::Error(kind, fragment), Got::Error(e)) => {
            let text = e.to_string();
            if kind_of(e) != *kind {
                Err(format!("expected {kind:?}, got {:?}: {text}", kind_of(e)))
            } else if !text.contains(fragment) {
                Err(format!("expected `{fragment}` in: {text}"))
            } else if *kind != Kind::RateLimited && message_of(e).trim().is_empty() {
                Err(format!("an error without a message: {e:?}"))
            } else {
                Ok(short(&text))
            }
        }
        (Expect::Error(kind, _), Got::Value(v)) => Err(format!("expected {kind:?}, got Ok: {v}")),
        (Expect::Ok(want), Got::Value(v)) if v == want => Ok(v.clone()),
        (Expect::Ok(want), Got::Value(v)) => Err(format!("expected `{want}`, got `{v}`")),
        (Expect::Ok(want), Got::Error(e)) => Err(format!("expected `{want}`, got {e:?}")),
        (_, Got::Violation(why)) => Err(why.clone()),
    }
}

/// The call that must succeed after each case, on the same client.
async fn next_call(ctx: &Ctx, on: On, points_after: u64) -> Result<(), String> {
    match on {
        On::Engine => match ctx.client.count(&ctx.collection, None, true).await {
            Ok(n) if n == points_after => Ok(()),
            Ok(n) => Err(format!(
                "the collection holds {n} points, not {points_after}"
            )),
            Err(e) => Err(format!("the next call failed: {e:?}")),
        },
        On::Scripted | On::ScriptedWasiHttp => match ctx.client.server_info().await {
            Ok(info) if info.version == "1.18.0-scripted" => Ok(()),
            other => Err(format!("the next call failed: {other:?}")),
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_inputs_and_servers_give_typed_errors() {
    let started = Instant::now();
    let engine: Target = target().await;
    let engine_client = client(&engine).await.with_limits(Limits {
        memory_bytes: 256 << 20,
        call_timeout: Duration::from_secs(60),
    });
    let elsewhere = Arc::new(RawServer::recorder("127.0.0.1:0").await);
    let to = elsewhere.url.clone();
    let scripted = Arc::new(RawServer::start("127.0.0.1:0", move |r| scripted(r, &to)).await);
    let clients = [
        (On::Engine, engine_client),
        (
            On::Scripted,
            impatient(&scripted.url, Outbound::HostTransport).await,
        ),
        (
            On::ScriptedWasiHttp,
            impatient(&scripted.url, Outbound::WasiHttp).await,
        ),
    ];
    let run_known_bugs = std::env::var_os("HOSTILE_RUN_KNOWN_BUGS").is_some_and(|v| v == "1");

    let cases = cases();
    let mut names: Vec<&str> = cases.iter().map(|c| c.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), cases.len(), "case names must be unique");
    for bug in KNOWN_BUGS {
        assert!(names.contains(bug), "KNOWN_BUGS names no case: {bug}");
    }

    let (mut passed, mut skipped, mut failures) = (0, Vec::new(), Vec::new());
    for (i, case) in cases.into_iter().enumerate() {
        if KNOWN_BUGS.contains(&case.name) && !run_known_bugs {
            println!("skip {:<62} known bug", case.name);
            skipped.push(case.name);
            continue;
        }
        let client = clients
            .iter()
            .find(|(on, _)| *on == case.on)
            .unwrap()
            .1
            .clone();
        let collection = format!("hostile_{i}_{}", std::process::id());
        if case.on == On::Engine {
            let _ = client.delete_collection(&collection).await;
            client
                .create_collection(&collection, DIM as u64, "Cosine")
                .await
                .expect("create the case's collection");
        }
        let ctx = Ctx {
            client,
            collection,
            scripted: scripted.clone(),
            elsewhere: elsewhere.clone(),
        };
        let case_started = Instant::now();
        // Its own task: a panic is caught and reported, not the end of the table.
        let call = tokio::spawn((case.run)(ctx.clone()));
        let verdict = match tokio::time::timeout(Duration::from_secs(30), call).await {
            Err(_) => Err("hung for 30 s".to_owned()),
            Ok(Err(panic)) => Err(format!("panicked: {panic}")),
            Ok(Ok(outcome)) => judge(&case, &outcome),
        };
        let verdict = match verdict {
            Ok(detail) => {
                match tokio::time::timeout(
                    Duration::from_secs(30),
                    next_call(&ctx, case.on, case.points_after),
                )
                .await
                {
                    Ok(Ok(())) => Ok(detail),
                    Ok(Err(why)) => Err(why),
                    Err(_) => Err("the next call hung".to_owned()),
                }
            }
            failed => failed,
        };
        if case.on == On::Engine {
            let _ = ctx.client.delete_collection(&ctx.collection).await;
        }
        let took = case_started.elapsed().as_millis();
        match verdict {
            Ok(detail) => {
                passed += 1;
                println!("ok   {:<62} {took:>5} ms  {detail}", case.name);
            }
            Err(why) => {
                println!("FAIL {:<62} {took:>5} ms  {why}", case.name);
                failures.push(format!("{}: {why}", case.name));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        passed + failures.len(),
        failures.join("\n")
    );
    assert!(passed >= 40, "only {passed} cases ran");
    println!(
        "{passed} cases, all gave their typed error (known bugs skipped: {}{}) in {:.1} s",
        skipped.len(),
        if skipped.is_empty() {
            String::new()
        } else {
            format!(": {}", skipped.join("; "))
        },
        started.elapsed().as_secs_f64()
    );
}
