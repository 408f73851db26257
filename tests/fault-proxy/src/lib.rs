//! A loopback HTTP/1.1 proxy that injects faults at a seeded rate, for the reliability tests.
//!
//! It sits between a client and the engine. Each request draws, from the seed and its
//! sequence number, whether it is faulted and how: answered 503, answered 429 with
//! `Retry-After`, reset before it reaches the engine, reset after the engine applied it,
//! stalled past the client's read timeout (after the engine applied it), or answered with a
//! body cut in half. Every request is recorded (method, target, a digest of the body, the
//! fault, the statuses) so a test can check retry discipline from what reached the wire.

#![forbid(unsafe_code)]

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

mod wire;

use wire::{Request, canned, forward, read_request};

/// One way of failing a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Fault {
    /// Answered `503 Service Unavailable` without forwarding.
    #[serde(rename = "503")]
    Unavailable,
    /// Answered `429 Too Many Requests` with `Retry-After`, without forwarding.
    #[serde(rename = "429")]
    RateLimited,
    /// The connection is reset before the request is forwarded: nothing happened.
    #[serde(rename = "reset-before")]
    ResetBeforeForwarding,
    /// Forwarded and answered by the engine, then the connection is reset: the write
    /// happened, the client cannot know it.
    #[serde(rename = "reset-after")]
    ResetAfterForwarding,
    /// Forwarded, then no answer until the plan's stall has passed and the connection closes.
    #[serde(rename = "stall")]
    Stall,
    /// Forwarded; the answer's head promises the whole body, half of it is sent.
    #[serde(rename = "truncate")]
    Truncate,
}

impl Fault {
    pub const ALL: [Fault; 6] = [
        Fault::Unavailable,
        Fault::RateLimited,
        Fault::ResetBeforeForwarding,
        Fault::ResetAfterForwarding,
        Fault::Stall,
        Fault::Truncate,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Fault::Unavailable => "503",
            Fault::RateLimited => "429",
            Fault::ResetBeforeForwarding => "reset-before",
            Fault::ResetAfterForwarding => "reset-after",
            Fault::Stall => "stall",
            Fault::Truncate => "truncate",
        }
    }
}

impl std::str::FromStr for Fault {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Fault::ALL
            .into_iter()
            .find(|f| f.name() == text)
            .ok_or_else(|| {
                let names: Vec<_> = Fault::ALL.iter().map(|f| f.name()).collect();
                format!("unknown fault `{text}` (one of {})", names.join(", "))
            })
    }
}

/// What to inject, how often.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Share of requests faulted, 0.0 to 1.0.
    pub rate: f64,
    pub seed: u64,
    /// The faults drawn from, evenly.
    pub faults: Vec<Fault>,
    /// How long a stalled request is held before its connection closes.
    pub stall: Duration,
    /// The `Retry-After` of an injected 429, in seconds.
    pub retry_after_s: u64,
    /// Requests passed through unfaulted before faults start (e.g. to warm a pooled
    /// connection).
    pub clean_first: u64,
}

impl Default for Plan {
    fn default() -> Self {
        Self {
            rate: 0.2,
            seed: 1,
            faults: Fault::ALL.to_vec(),
            stall: Duration::from_secs(5),
            retry_after_s: 1,
            clean_first: 0,
        }
    }
}

/// One request as it reached the proxy.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    pub seq: u64,
    pub method: String,
    /// Path and query.
    pub target: String,
    pub body_len: usize,
    /// FNV-1a of the body: equal requests have equal digests.
    pub body_digest: u64,
    pub fault: Option<Fault>,
    /// The engine's status, when the request was forwarded and answered.
    pub upstream_status: Option<u16>,
    /// The status the client received whole; `None` after a reset, stall or truncation.
    pub delivered_status: Option<u16>,
}

impl Record {
    /// Requests with equal keys are the same request sent again.
    pub fn key(&self) -> (&str, &str, u64) {
        (&self.method, &self.target, self.body_digest)
    }
}

/// Counts over a run.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub requests: usize,
    pub faulted: usize,
    pub by_fault: BTreeMap<&'static str, usize>,
    /// Requests that repeat an earlier one exactly (method, target and body).
    pub resent: usize,
}

impl Summary {
    pub fn of(records: &[Record]) -> Self {
        let mut summary = Summary {
            requests: records.len(),
            ..Summary::default()
        };
        let mut seen = HashMap::new();
        for record in records {
            if let Some(fault) = record.fault {
                summary.faulted += 1;
                *summary.by_fault.entry(fault.name()).or_default() += 1;
            }
            *seen.entry(record.key()).or_insert(0usize) += 1;
        }
        summary.resent = records.len() - seen.len();
        summary
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} requests, {} faulted (", self.requests, self.faulted)?;
        for (i, (name, count)) in self.by_fault.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(f, "{sep}{name}: {count}")?;
        }
        write!(f, "), {} resent", self.resent)
    }
}

struct Shared {
    upstream: SocketAddr,
    plan: Mutex<Plan>,
    next_seq: AtomicU64,
    records: Mutex<Vec<Record>>,
    log: Option<Mutex<std::fs::File>>,
}

/// A running proxy; it stops when dropped.
pub struct FaultProxy {
    url: String,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards to `upstream` (`http://host:port`).
    pub async fn start(upstream: &str, plan: Plan) -> std::io::Result<Self> {
        Self::start_logging(upstream, plan, None).await
    }

    /// As [`FaultProxy::start`], also appending each record to `log` as a JSON line.
    pub async fn start_logging(
        upstream: &str,
        plan: Plan,
        log: Option<std::fs::File>,
    ) -> std::io::Result<Self> {
        let authority = upstream
            .strip_prefix("http://")
            .ok_or_else(|| invalid(format!("upstream `{upstream}` is not http://host:port")))?
            .trim_end_matches('/');
        let upstream = tokio::net::lookup_host(authority)
            .await?
            .next()
            .ok_or_else(|| invalid(format!("upstream `{authority}` does not resolve")))?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let shared = Arc::new(Shared {
            upstream,
            plan: Mutex::new(plan),
            next_seq: AtomicU64::new(0),
            records: Mutex::new(Vec::new()),
            log: log.map(Mutex::new),
        });
        let accepting = shared.clone();
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve(stream, accepting.clone()));
            }
        });
        Ok(Self {
            url,
            shared,
            accept,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Changes the share of requests faulted from the next request on.
    pub fn set_rate(&self, rate: f64) {
        self.shared.plan.lock().unwrap().rate = rate;
    }

    /// Every request so far, in arrival order.
    pub fn records(&self) -> Vec<Record> {
        self.shared.records.lock().unwrap().clone()
    }

    pub fn summary(&self) -> Summary {
        Summary::of(&self.shared.records.lock().unwrap())
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

fn invalid(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, message)
}

/// Draws the fault of request `seq`: the same seed and sequence give the same fault.
fn draw(plan: &Plan, seq: u64) -> Option<Fault> {
    let roll = splitmix64(plan.seed ^ seq.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let share = (roll >> 11) as f64 / (1u64 << 53) as f64;
    if share >= plan.rate || plan.faults.is_empty() || seq < plan.clean_first {
        return None;
    }
    let pick = splitmix64(roll) % plan.faults.len() as u64;
    Some(plan.faults[pick as usize])
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Serves one client connection, request after request, until a fault closes it.
async fn serve(mut client: TcpStream, shared: Arc<Shared>) {
    let mut buffer = Vec::new();
    while let Some(request) = read_request(&mut client, &mut buffer).await {
        let seq = shared.next_seq.fetch_add(1, Ordering::SeqCst);
        let (fault, plan) = {
            let plan = shared.plan.lock().unwrap();
            (draw(&plan, seq), plan.clone())
        };
        let mut record = Record {
            seq,
            method: request.method.clone(),
            target: request.target.clone(),
            body_len: request.body.len(),
            body_digest: fnv1a(&request.body),
            fault,
            upstream_status: None,
            delivered_status: None,
        };
        // Recorded on arrival, so a stalled request is on the record while it stalls.
        let at = {
            let mut records = shared.records.lock().unwrap();
            records.push(record.clone());
            records.len() - 1
        };
        let answer = answer(shared.upstream, &request, fault, &plan, &mut record).await;
        // On the record before the client can see the answer, so a test that reads the
        // records after a call sees its outcome.
        remember(&shared, at, record);
        if !answer.give(&mut client).await {
            return;
        }
    }
}

/// What the client gets.
enum Answer {
    /// These bytes; the connection stays open.
    Whole(Vec<u8>),
    /// A TCP reset.
    Reset,
    /// Nothing until `Duration` has passed, then the connection closes.
    Stall(Duration),
    /// These bytes (fewer than their head promises), then the connection closes.
    Cut(Vec<u8>),
}

impl Answer {
    /// Gives the answer; whether the connection is still usable.
    async fn give(self, client: &mut TcpStream) -> bool {
        match self {
            Answer::Whole(bytes) => client.write_all(&bytes).await.is_ok(),
            Answer::Reset => {
                reset(client);
                false
            }
            Answer::Stall(stall) => {
                tokio::time::sleep(stall).await;
                false
            }
            Answer::Cut(bytes) => {
                let _ = client.write_all(&bytes).await;
                let _ = client.shutdown().await;
                false
            }
        }
    }
}

/// The answer to one request, as `fault` says; forwards it to the engine unless the fault
/// answers in its place.
async fn answer(
    upstream: SocketAddr,
    request: &Request,
    fault: Option<Fault>,
    plan: &Plan,
    record: &mut Record,
) -> Answer {
    match fault {
        Some(Fault::Unavailable) => {
            record.delivered_status = Some(503);
            let body = r#"{"status":{"error":"Service Unavailable: injected fault"},"time":0.0}"#;
            Answer::Whole(canned("503 Service Unavailable", "", body))
        }
        Some(Fault::RateLimited) => {
            record.delivered_status = Some(429);
            let headers = format!("retry-after: {}\r\n", plan.retry_after_s);
            let body = r#"{"status":{"error":"Too many requests: injected fault"},"time":0.0}"#;
            Answer::Whole(canned("429 Too Many Requests", &headers, body))
        }
        Some(Fault::ResetBeforeForwarding) => Answer::Reset,
        _ => {
            let Ok(response) = forward(upstream, request).await else {
                // The engine is down (a restart test kills it): what a gateway says.
                record.delivered_status = Some(502);
                let body = r#"{"status":{"error":"Bad Gateway: engine unreachable"},"time":0.0}"#;
                return Answer::Whole(canned("502 Bad Gateway", "", body));
            };
            record.upstream_status = Some(response.status);
            match fault {
                Some(Fault::ResetAfterForwarding) => Answer::Reset,
                Some(Fault::Stall) => Answer::Stall(plan.stall),
                Some(Fault::Truncate) => Answer::Cut(response.bytes(response.body.len() / 2)),
                _ => {
                    record.delivered_status = Some(response.status);
                    Answer::Whole(response.bytes(response.body.len()))
                }
            }
        }
    }
}

/// Closes the connection with a TCP reset rather than a FIN.
fn reset(client: &mut TcpStream) {
    // A zero linger makes the close a reset; with zero it does not block the thread, which is
    // why tokio deprecates the setter for other values.
    #[allow(deprecated)]
    let _ = client.set_linger(Some(Duration::ZERO));
}

/// Completes the record at `at` with the outcome, and logs it.
fn remember(shared: &Shared, at: usize, record: Record) {
    if let Some(log) = &shared.log {
        let mut line = serde_json::to_vec(&record).expect("records serialize");
        line.push(b'\n');
        let _ = log.lock().unwrap().write_all(&line);
    }
    shared.records.lock().unwrap()[at] = record;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_seeded_and_near_the_rate() {
        let plan = Plan::default();
        let faults: Vec<_> = (0..100_000).map(|seq| draw(&plan, seq)).collect();
        let again: Vec<_> = (0..100_000).map(|seq| draw(&plan, seq)).collect();
        assert_eq!(faults, again);
        let faulted = faults.iter().filter(|f| f.is_some()).count();
        assert!((19_000..21_000).contains(&faulted), "{faulted}");
        for fault in Fault::ALL {
            let n = faults.iter().filter(|f| **f == Some(fault)).count();
            assert!((3_000..3_700).contains(&n), "{fault:?}: {n}");
        }
    }
}
