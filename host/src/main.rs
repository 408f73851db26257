//! `qdrant-integration`: the seed's demo, a health check, and the embedded engine as a server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use qdrant_integration::embedded::{EmbeddedServer, Options};
use qdrant_integration::{QdrantClient, SearchFilter, VectorPoint};
use serde_json::json;

#[derive(Parser)]
#[command(version, about = "Qdrant through a sandboxed WebAssembly component")]
struct Cli {
    /// Same as the `health-check` subcommand.
    #[arg(long)]
    health_check: bool,
    /// Qdrant REST URL. Without it, the demo starts the embedded engine.
    #[arg(long, env = "QDRANT_URL", global = true)]
    url: Option<String>,
    /// Sent as `api-key` (Qdrant Cloud).
    #[arg(long, env = "QDRANT_API_KEY", global = true, hide_env_values = true)]
    api_key: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Print the server's status; exit 1 when it is down or rejects us.
    HealthCheck,
    /// Run the Qdrant-compatible embedded engine until Ctrl-C.
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
    },
    /// The seed's example: create a collection, upsert, search with a filter (the default).
    Demo,
}

const DEFAULT_URL: &str = "http://localhost:6333";

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let api_key = cli.api_key.as_deref().filter(|k| !k.is_empty());
    let command = if cli.health_check {
        Command::HealthCheck
    } else {
        cli.command.unwrap_or(Command::Demo)
    };
    let outcome = match command {
        Command::HealthCheck => {
            health_check(cli.url.as_deref().unwrap_or(DEFAULT_URL), api_key).await
        }
        Command::ServeEmbedded {
            host,
            port,
            data,
            require_api_key,
        } => serve(SocketAddr::new(host, port), data, require_api_key).await,
        Command::Demo => demo(cli.url.as_deref(), api_key).await,
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn health_check(url: &str, api_key: Option<&str>) -> anyhow::Result<ExitCode> {
    let client = QdrantClient::new(url, api_key).await?;
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
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn serve(
    bind: SocketAddr,
    data: Option<PathBuf>,
    api_key: Option<String>,
) -> anyhow::Result<ExitCode> {
    let server = EmbeddedServer::start(Options {
        bind,
        data_dir: data,
        api_key,
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

/// The seed's walk-through, configured by its environment variables.
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
