//! The engine alone, for engine development: `cargo run --release -p qdrant-embedded --example
//! serve -- [--port P] [--data DIR] [--storage-snapshot FILE]` prints `listening on URL` like `serve-embedded`, without
//! building the host and its WebAssembly component. Other flags are ignored.

use std::net::SocketAddr;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let port: u16 = value("--port").map_or(Ok(6333), |p| p.parse())?;
    let options = qdrant_embedded::Options {
        bind: SocketAddr::from(([127, 0, 0, 1], port)),
        data_dir: value("--data").map(Into::into),
        api_key: std::env::var("EMBEDDED_API_KEY")
            .ok()
            .filter(|k| !k.is_empty()),
        storage_snapshot: value("--storage-snapshot").map(Into::into),
        force_snapshot: args.iter().any(|a| a == "--force-snapshot"),
    };
    let server = qdrant_embedded::EmbeddedServer::start(options).await?;
    println!("listening on {}", server.url());
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    server.shutdown().await;
    Ok(())
}
