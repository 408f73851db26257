//! The harness of the hostile tables (`hostile_input_points.rs`, `hostile_input_calls.rs`,
//! `hostile_server.rs`): a case names the call, and the typed error it must give (the `Error`
//! variant, which mirrors the WIT `error` case, and a fragment of its message) or, for input
//! Qdrant legitimately accepts, the exact outcome. Here: the case type and `case!`, the
//! clients, the judge and the runner.
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
//!
//! Included with `#[path = "common/hostile.rs"] mod hostile;`, beside `mod common;` and
//! `raw_http`, which it uses.

#![allow(dead_code)] // each table uses its own subset

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{DIM, client, target, vector};
use crate::raw_http::{RawServer, Reply, Request};
use qdrant_integration::types::RetryPolicy;
use qdrant_integration::{Error, Limits, Outbound, QdrantClient, VectorPoint};
use serde_json::{Value, json};

/// Cases that expose a bug not fixed yet, as (table, case name): skipped (unless
/// `HOSTILE_RUN_KNOWN_BUGS=1`) so the suite passes. Each is marked `// BUG:` in its table.
const KNOWN_BUGS: &[(&str, &str)] = &[];

/// The tables, by test binary: a known bug names one of them.
const TABLES: [&str; 3] = [
    "hostile_input_points",
    "hostile_input_calls",
    "hostile_server",
];

/// Which client (and server) a case runs on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum On {
    /// The embedded engine (or `QDRANT_URL`), through the default `http-transport` build.
    Engine,
    /// The scripted server, through the default `http-transport` build.
    Scripted,
    /// The scripted server, through the `retriever` build (the guest's own wasi:http).
    ScriptedWasiHttp,
}

/// The `Error` variant (the WIT `error` case; `Runtime` is the host's own).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
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
pub fn message_of(e: &Error) -> String {
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

pub enum Expect {
    /// This variant, and this fragment in the error's text (`Display`).
    Error(Kind, &'static str),
    /// Success, summarised by the case exactly so.
    Ok(&'static str),
}

pub fn err(kind: Kind, fragment: &'static str) -> Expect {
    Expect::Error(kind, fragment)
}

pub fn ok(summary: &'static str) -> Expect {
    Expect::Ok(summary)
}

/// What a case's call gave.
pub enum Got {
    Value(String),
    Error(Error),
    /// The call ended as expected, but a check around it failed.
    Violation(String),
}

pub fn got<T: std::fmt::Debug>(result: Result<T, Error>) -> Got {
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
pub struct Ctx {
    pub client: QdrantClient,
    /// A fresh, empty collection of `DIM`-dimensional Cosine vectors (engine cases).
    pub collection: String,
    /// Only a table with a script has the scripted servers: see [`Ctx::scripted`].
    servers: Option<Arc<Scripted>>,
}

/// The scripted server, and another origin where nothing may ever arrive.
struct Scripted {
    server: RawServer,
    elsewhere: RawServer,
}

impl Ctx {
    /// The scripted server (server cases).
    pub fn scripted(&self) -> &RawServer {
        &self.servers.as_ref().expect("a table with a script").server
    }

    /// Another origin, where nothing may ever arrive (server cases).
    pub fn elsewhere(&self) -> &RawServer {
        &self
            .servers
            .as_ref()
            .expect("a table with a script")
            .elsewhere
    }
}

type Run = Box<dyn Fn(Ctx) -> Pin<Box<dyn Future<Output = Got> + Send>> + Send + Sync>;

pub struct Case {
    pub name: &'static str,
    pub on: On,
    pub expect: Expect,
    /// Points the case's collection holds afterwards (engine cases).
    pub points_after: u64,
    pub run: Run,
}

/// `case!(name, on, expect, points_after, |c| body)`: the body, an expression that may
/// `.await`, gets the [`Ctx`] as `c`.
macro_rules! case {
    ($name:expr, $on:expr, $expect:expr, $points:expr, |$c:ident| $body:expr) => {
        $crate::hostile::Case {
            name: $name,
            on: $on,
            expect: $expect,
            points_after: $points,
            run: Box::new(move |$c: $crate::hostile::Ctx| Box::pin(async move { $body })),
        }
    };
}
pub(crate) use case;

/// How the scripted server answers: the request, and the URL of the other origin.
pub type Script = fn(&Request, &str) -> Reply;

// ---- what several tables build ---------------------------------------------------------

pub fn point(id: &str, vector: Vec<f32>, payload: Value) -> VectorPoint {
    VectorPoint {
        id: id.into(),
        vector,
        payload,
    }
}

/// `n` valid points `0..n` with distinct vectors.
pub fn points(n: usize) -> Vec<VectorPoint> {
    (0..n)
        .map(|i| point(&i.to_string(), vector(i), json!({"n": i})))
        .collect()
}

/// A name unique to this process, with `fragment` in it.
pub fn unique(fragment: &str) -> String {
    format!("hostile{fragment}{}", std::process::id())
}

// ---- clients, judge, runner ------------------------------------------------------------

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

/// Runs a table: each case on its client, then the next call; a line per case, then the
/// summary. Fails listing every failed case, or if fewer than `at_least` cases ran (known
/// bugs skipped). The engine starts only for a table with engine cases; `script`, when
/// given, answers on a scripted server.
pub async fn run_table(cases: Vec<Case>, script: Option<Script>, at_least: usize) {
    let started = Instant::now();
    // Held to the end: dropping the target stops an embedded engine.
    let engine = if cases.iter().any(|c| c.on == On::Engine) {
        Some(target().await)
    } else {
        None
    };
    let mut clients = Vec::new();
    if let Some(engine) = &engine {
        let engine_client = client(engine).await.with_limits(Limits {
            memory_bytes: 256 << 20,
            call_timeout: Duration::from_secs(60),
        });
        clients.push((On::Engine, engine_client));
    }
    let servers = match script {
        Some(script) => {
            let elsewhere = RawServer::recorder("127.0.0.1:0").await;
            let to = elsewhere.url.clone();
            let server = RawServer::start("127.0.0.1:0", move |r| script(r, &to)).await;
            clients.push((
                On::Scripted,
                impatient(&server.url, Outbound::HostTransport).await,
            ));
            clients.push((
                On::ScriptedWasiHttp,
                impatient(&server.url, Outbound::WasiHttp).await,
            ));
            Some(Arc::new(Scripted { server, elsewhere }))
        }
        None => None,
    };
    let run_known_bugs = std::env::var_os("HOSTILE_RUN_KNOWN_BUGS").is_some_and(|v| v == "1");

    let mut names: Vec<&str> = cases.iter().map(|c| c.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), cases.len(), "case names must be unique");
    // One list for all tables: each checks the entries that name it.
    let table = env!("CARGO_CRATE_NAME");
    assert!(TABLES.contains(&table), "{table} is not in TABLES");
    let mut known_bugs = Vec::new();
    for (in_table, bug) in KNOWN_BUGS {
        assert!(
            TABLES.contains(in_table),
            "KNOWN_BUGS names no table: {in_table}"
        );
        if *in_table == table {
            assert!(names.contains(bug), "KNOWN_BUGS names no case: {bug}");
            known_bugs.push(*bug);
        }
    }
    let total = cases.len();

    let (mut passed, mut skipped, mut failures) = (0, Vec::new(), Vec::new());
    for (i, case) in cases.into_iter().enumerate() {
        if known_bugs.contains(&case.name) && !run_known_bugs {
            println!("skip {:<62} known bug", case.name);
            skipped.push(case.name);
            continue;
        }
        let client = clients
            .iter()
            .find(|(on, _)| *on == case.on)
            .unwrap_or_else(|| panic!("{}: no client for {:?}", case.name, case.on))
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
            servers: servers.clone(),
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
    assert!(passed >= at_least, "only {passed} of {total} cases ran");
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
