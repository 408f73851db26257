//! `fault-proxy --upstream URL`: the proxy as a process, for tests in other languages.
//! It prints `listening on URL` once ready, appends every request to `--log` as a JSON line,
//! and runs until stdin closes or it is killed.

#![forbid(unsafe_code)]

use std::time::Duration;

use clap::Parser;
use fault_proxy::{Fault, FaultProxy, Plan};

#[derive(Parser)]
#[command(about = "A loopback HTTP/1.1 proxy that injects faults at a seeded rate")]
struct Args {
    /// The server to forward to, `http://host:port`.
    #[arg(long)]
    upstream: String,
    /// Share of requests faulted, 0.0 to 1.0.
    #[arg(long, default_value_t = 0.2)]
    rate: f64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Faults to draw from, comma-separated: 503, 429, reset-before, reset-after, stall,
    /// truncate (default: all).
    #[arg(long, value_delimiter = ',')]
    faults: Vec<Fault>,
    /// How long a stalled request is held, in milliseconds.
    #[arg(long, default_value_t = 5000)]
    stall_ms: u64,
    /// `Retry-After` of an injected 429, in seconds.
    #[arg(long, default_value_t = 1)]
    retry_after: u64,
    /// Requests passed through unfaulted before faults start.
    #[arg(long, default_value_t = 0)]
    clean_first: u64,
    /// File to append each request's record to, as JSON lines.
    #[arg(long)]
    log: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let plan = Plan {
        rate: args.rate,
        seed: args.seed,
        faults: if args.faults.is_empty() {
            Fault::ALL.to_vec()
        } else {
            args.faults
        },
        stall: Duration::from_millis(args.stall_ms),
        retry_after_s: args.retry_after,
        clean_first: args.clean_first,
    };
    let log = match &args.log {
        Some(path) => Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?,
        ),
        None => None,
    };
    let proxy = FaultProxy::start_logging(&args.upstream, plan, log).await?;
    println!("listening on {}", proxy.url());
    // Ends with stdin: a parent that dies takes the proxy with it.
    let _ =
        tokio::task::spawn_blocking(|| std::io::copy(&mut std::io::stdin(), &mut std::io::sink()))
            .await;
    eprintln!("{}", proxy.summary());
    Ok(())
}
