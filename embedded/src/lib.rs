//! An embedded, Qdrant-compatible REST server on Qdrant's own engine (`qdrant-edge`).
//!
//! It is a server, not a shortcut: clients reach it over HTTP exactly as they reach Qdrant.
//! It is the default target when no `QDRANT_URL` is set, and what the tests run against.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let server = qdrant_embedded::EmbeddedServer::start(Default::default()).await?;
//! println!("Qdrant-compatible API at {}", server.url());
//! server.shutdown().await;
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

mod engine;
mod http;
mod legacy;
mod matrix;
mod rest;
mod sharding;
mod snapshot;
mod updates;
mod vector_names;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use engine::Engine;

/// How to start the server.
#[derive(Debug, Clone)]
pub struct Options {
    /// Address to bind; port 0 picks a free port.
    pub bind: SocketAddr,
    /// Where collections persist; `None` uses a temporary directory removed on shutdown.
    pub data_dir: Option<PathBuf>,
    /// When set, every request but the health endpoints needs this `api-key`.
    pub api_key: Option<String>,
    /// A full-storage snapshot (`POST /snapshots`) whose collections and aliases are
    /// restored before the server starts. A name the data already has is refused unless
    /// `force_snapshot`, which replaces it.
    pub storage_snapshot: Option<PathBuf>,
    pub force_snapshot: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: None,
            api_key: None,
            storage_snapshot: None,
            force_snapshot: false,
        }
    }
}

/// A running server; dropping it without [`EmbeddedServer::shutdown`] stops it too.
pub struct EmbeddedServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    engine: Arc<Engine>,
}

impl EmbeddedServer {
    pub async fn start(options: Options) -> anyhow::Result<Self> {
        let engine = Arc::new(Engine::open(options.data_dir.clone())?);
        if let Some(archive) = &options.storage_snapshot {
            snapshot::restore_full(&engine, archive, options.force_snapshot).map_err(|e| {
                anyhow::anyhow!("cannot restore {}: {}", archive.display(), e.message)
            })?;
        }
        engine.start_optimizer();
        let listener = tokio::net::TcpListener::bind(options.bind).await?;
        let addr = listener.local_addr()?;
        let app = http::router(engine.clone(), options.api_key);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = serve.await {
                tracing::error!("embedded server failed: {e}");
            }
        });
        Ok(Self {
            addr,
            stop: Some(stop),
            task: Some(task),
            engine,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Base URL, e.g. `http://127.0.0.1:43123`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, finishes in-flight requests and flushes every collection.
    pub async fn shutdown(mut self) {
        self.stop_now().await;
    }

    async fn stop_now(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.engine.close();
    }
}

impl Drop for EmbeddedServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.engine.halt_optimizer();
    }
}
