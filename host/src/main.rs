//! `qdrant-integration`: collections, ingest, search and snapshots from the command line, a
//! health check, the embedded engine as a server, and a demo.

#![forbid(unsafe_code)]

mod cli;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use cli::collections::CollectionsCommand;
use cli::ingest::IngestArgs;
use cli::search::SearchArgs;
use cli::snapshot::SnapshotCommand;
use cli::{CliResult, Connection, EXIT_FAILED, EXIT_UNREACHABLE, Failure};
use qdrant_integration::embedded::{EmbeddedServer, Options};
use qdrant_integration::{QdrantClient, SearchFilter, VectorPoint};
use serde_json::json;

const AFTER_HELP: &str = concat!(
    "\
Examples:
  qdrant-integration health-check --url http://localhost:6333
  qdrant-integration collections create documents --size 384
  qdrant-integration ingest points.jsonl --collection documents --create
  echo '[0.1, 0.2, 0.3]' | qdrant-integration search --collection documents --limit 5
  qdrant-integration snapshot create --collection documents
  qdrant-integration serve-embedded --port 6333 --data ./qdrant-data

Without a subcommand, runs a demo (against the embedded engine when QDRANT_URL is
unset). `qdrant-integration <command> --help` shows each command's options and examples.

",
    cli::exit_codes_help!()
);

#[derive(Parser)]
#[command(
    version,
    about = "Qdrant through a sandboxed WebAssembly component",
    after_help = AFTER_HELP
)]
struct Cli {
    /// Same as the `health-check` subcommand.
    #[arg(long)]
    health_check: bool,
    /// Qdrant REST URL [default: http://localhost:6333]. Without it, the demo starts the
    /// embedded engine.
    #[arg(long, env = "QDRANT_URL", global = true)]
    url: Option<String>,
    /// Sent as `api-key` (Qdrant Cloud).
    #[arg(long, env = "QDRANT_API_KEY", global = true, hide_env_values = true)]
    api_key: Option<String>,
    /// Give up on a request (connect, or wait for an answer) after this many seconds.
    #[arg(long, global = true, value_name = "SECONDS", value_parser = parse_seconds)]
    timeout: Option<Duration>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Print the server's status: exit 0 when up, 3 when unreachable, 1 when it rejects us.
    HealthCheck,
    /// List, create, delete and inspect collections.
    #[command(subcommand)]
    Collections(CollectionsCommand),
    /// Upsert points from a JSONL file (or stdin), in batches, with a progress bar.
    #[command(after_help = cli::ingest::AFTER_HELP)]
    Ingest(IngestArgs),
    /// The nearest points to a query vector, as a table or JSON.
    #[command(after_help = cli::search::AFTER_HELP)]
    Search(SearchArgs),
    /// Create, list, restore and delete a collection's snapshots.
    #[command(subcommand)]
    Snapshot(SnapshotCommand),
    /// Run the Qdrant-compatible embedded engine until Ctrl-C.
    #[command(
        after_help = "Example:\n  qdrant-integration serve-embedded --port 0 --data ./qdrant-data\n\n\
                      Prints `listening on URL` once it serves."
    )]
    ServeEmbedded {
        #[arg(long, default_value = "127.0.0.1")]
        host: std::net::IpAddr,
        /// 0 picks a free port; the chosen address is printed.
        #[arg(long, default_value_t = 6333)]
        port: u16,
        /// Keep collections here across restarts (default: a temporary directory).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Require this api-key on every request but the health endpoints.
        #[arg(
            long = "require-api-key",
            env = "EMBEDDED_API_KEY",
            hide_env_values = true
        )]
        require_api_key: Option<String>,
        /// Restore the collections and aliases of this full-storage snapshot (made by
        /// `POST /snapshots`) before serving. Names the data already has are refused.
        #[arg(long = "storage-snapshot")]
        storage_snapshot: Option<PathBuf>,
        /// With --storage-snapshot: replace collections and aliases of the same name.
        #[arg(long = "force-snapshot", requires = "storage_snapshot")]
        force_snapshot: bool,
    },
    /// The demo: create a collection, upsert, search with a filter (the default).
    Demo,
}

const DEFAULT_URL: &str = "http://localhost:6333";

fn parse_seconds(s: &str) -> Result<Duration, String> {
    let seconds: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if !(seconds > 0.0 && seconds.is_finite()) {
        return Err("expected a positive number of seconds".into());
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[tokio::main]
async fn main() -> ExitCode {
    // `RUST_LOG=qdrant_integration=debug` shows every operation and HTTP attempt on stderr.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let api_key = cli.api_key.filter(|k| !k.is_empty());
    let connection = Connection {
        url: cli.url.clone().unwrap_or_else(|| DEFAULT_URL.to_owned()),
        api_key: api_key.clone(),
        timeout: cli.timeout,
    };
    let command = if cli.health_check {
        Command::HealthCheck
    } else {
        cli.command.unwrap_or(Command::Demo)
    };
    let outcome: CliResult<ExitCode> = match command {
        Command::HealthCheck => health_check(&connection).await,
        Command::Collections(command) => cli::collections::run(&connection, command)
            .await
            .map(|()| ExitCode::SUCCESS),
        Command::Ingest(args) => cli::ingest::run(&connection, args)
            .await
            .map(|()| ExitCode::SUCCESS),
        Command::Search(args) => cli::search::run(&connection, args)
            .await
            .map(|()| ExitCode::SUCCESS),
        Command::Snapshot(command) => cli::snapshot::run(&connection, command)
            .await
            .map(|()| ExitCode::SUCCESS),
        Command::ServeEmbedded {
            host,
            port,
            data,
            require_api_key,
            storage_snapshot,
            force_snapshot,
        } => serve(
            SocketAddr::new(host, port),
            data,
            require_api_key,
            storage_snapshot.map(|path| (path, force_snapshot)),
        )
        .await
        .map_err(Failure::from),
        Command::Demo => demo(cli.url.as_deref(), api_key.as_deref())
            .await
            .map_err(Failure::from),
    };
    match outcome {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            failure.exit_code()
        }
    }
}

async fn health_check(connection: &Connection) -> CliResult<ExitCode> {
    let url = connection.url.as_str();
    let client = connection.connect().await?.client;
    match client.server_info().await {
        Ok(info) => {
            let component = if client.component_loaded_from_cache() {
                "cached"
            } else {
                "compiled"
            };
            println!(
                "ok: {} {} at {url} (component {component})",
                info.title, info.version
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("down: {url}: {e}");
            let code = if e.is_unreachable() {
                EXIT_UNREACHABLE
            } else {
                EXIT_FAILED
            };
            Ok(ExitCode::from(code))
        }
    }
}

async fn serve(
    bind: SocketAddr,
    data: Option<PathBuf>,
    api_key: Option<String>,
    storage_snapshot: Option<(PathBuf, bool)>,
) -> anyhow::Result<ExitCode> {
    let (storage_snapshot, force_snapshot) = match storage_snapshot {
        Some((path, force)) => (Some(path), force),
        None => (None, false),
    };
    let server = EmbeddedServer::start(Options {
        bind,
        data_dir: data,
        api_key,
        storage_snapshot,
        force_snapshot,
    })
    .await?;
    // Scripts (and the Python host) read this line to learn the port.
    println!("listening on {}", server.url());
    wait_for_stop_signal().await;
    server.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// The demo's walk-through, configured by its environment variables.
async fn demo(url: Option<&str>, api_key: Option<&str>) -> anyhow::Result<ExitCode> {
    let embedded = match url {
        Some(_) => None,
        None => Some(EmbeddedServer::start(Options::default()).await?),
    };
    let url = url
        .map(str::to_owned)
        .unwrap_or_else(|| embedded.as_ref().map(|s| s.url()).unwrap_or_default());
    let collection = std::env::var("COLLECTION_NAME").unwrap_or_else(|_| "documents".into());
    let distance = std::env::var("DISTANCE_METRIC").unwrap_or_else(|_| "Cosine".into());
    let limit: usize = env_number("SEARCH_LIMIT", 10)?;
    let threshold: f32 = env_number("SCORE_THRESHOLD", 0.7)?;
    const SIZE: usize = 8;

    println!(
        "Qdrant at {url}{}",
        if embedded.is_some() {
            " (embedded engine)"
        } else {
            ""
        }
    );
    let client = QdrantClient::new(&url, api_key).await?;
    anyhow::ensure!(
        client.health_check().await?,
        "Qdrant at {url} is not reachable"
    );
    if !client.collection_exists(&collection).await? {
        client
            .create_collection(&collection, SIZE as u64, &distance)
            .await?;
        println!("created collection `{collection}` ({SIZE} dims, {distance})");
    }
    let docs = [
        ("doc1", "Qdrant is a vector database", "documentation", 0.0),
        (
            "doc2",
            "HNSW builds a graph for approximate search",
            "documentation",
            0.6,
        ),
        (
            "doc3",
            "Payload filters narrow a search",
            "documentation",
            1.2,
        ),
        ("doc4", "Release notes for a new version", "news", 0.1),
    ];
    let points = docs
        .iter()
        .map(|(id, text, category, phase)| VectorPoint {
            id: (*id).into(),
            vector: (0..SIZE).map(|i| (i as f32 * 0.7 + phase).sin()).collect(),
            payload: json!({"text": text, "category": category, "timestamp": 1_234_567_890}),
        })
        .collect();
    client.upsert_vectors(&collection, points).await?;
    println!("upserted {} points", docs.len());

    let query: Vec<f32> = (0..SIZE).map(|i| (i as f32 * 0.7 + 0.1).sin()).collect();
    let filter = SearchFilter {
        must: vec![("category".into(), "documentation".into())],
        score_threshold: Some(threshold),
    };
    let results = client
        .search(&collection, query, limit, Some(filter))
        .await?;
    println!(
        "search (category = documentation, score >= {threshold}): {} results",
        results.len()
    );
    for result in results {
        println!(
            "  ID: {}, Score: {:.4}, Payload: {}",
            result.id, result.score, result.payload
        );
    }
    if let Some(server) = embedded {
        server.shutdown().await;
    }
    Ok(ExitCode::SUCCESS)
}

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .map_err(|_| anyhow::anyhow!("{name}={v} is not a number")),
        Err(_) => Ok(default),
    }
}
