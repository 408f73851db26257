//! The core API: `QdrantClient::new(url, api_key)` and friends, each call one trip
//! through the sandboxed component. Here: the client, its constructors and settings, and
//! `call!`; the operations are in one file per area, as in the component.

use std::sync::Arc;
use std::time::Duration;

use crate::egress::Origin;
use crate::error::{Error, Result};
use crate::sandbox::{Instances, Limits, Outbound, Runtime};
use crate::types;

/// Instantiates the component, calls one export and flattens both error layers. Logs the
/// operation, its collection (`collection = ..`), the time it took, the HTTP requests it
/// sent (retries included) and the outcome; never the configuration, which holds the api-key.
/// Paths are absolute because the area files expand it.
macro_rules! call {
    ($self:ident, collection = $collection:expr, $method:ident ( $($arg:expr),* )) => {
        call!(@logged $self, Some::<&str>($collection), $method($($arg),*))
    };
    ($self:ident, $method:ident ( $($arg:expr),* )) => {
        call!(@logged $self, None::<&str>, $method($($arg),*))
    };
    (@logged $self:ident, $collection:expr, $method:ident ( $($arg:expr),* )) => {{
        let config = &$self.config;
        let started = std::time::Instant::now();
        let outcome = $self
            .runtime
            .with_instance(
                &$self.instances,
                async |store: &mut ::wasmtime::Store<$crate::sandbox::HostState>,
                       retriever: &$crate::bindings::RetrieverAny| {
                    let outcome = retriever
                        .qdrant_retriever_client()
                        .$method(&mut *store, config $(, $arg)*)
                        .await?;
                    Ok((outcome, store.data_mut().take_requests()))
                },
            )
            .await;
        let requests = outcome.as_ref().ok().map(|(_, requests)| *requests);
        let outcome = outcome.and_then(|(outcome, _)| outcome.map_err($crate::error::Error::from));
        let operation = stringify!($method).trim_start_matches("call_");
        let collection: Option<&str> = $collection;
        let elapsed_us = started.elapsed().as_micros() as u64;
        match &outcome {
            Ok(_) => tracing::debug!(operation, collection, elapsed_us, requests, "ok"),
            Err(e) => {
                tracing::info!(operation, collection, elapsed_us, requests, error = %e, "failed")
            }
        }
        outcome
    }};
}

// Declared after `call!` so the area files see it.
mod collections;
mod points;
mod query;
mod service;
mod snapshots;

pub use points::VectorPoint;
pub use query::{SearchFilter, SearchResult};
pub use service::ServerInfo;

/// A Qdrant client that runs the retriever component in a wasmtime sandbox.
/// Cheap to clone and safe to share across tasks.
///
/// ```no_run
/// use qdrant_integration::{QdrantClient, SearchFilter, VectorPoint};
///
/// # async fn demo() -> Result<(), qdrant_integration::Error> {
/// let client = QdrantClient::new("http://localhost:6333", None).await?;
/// client.create_collection("documents", 4, "Cosine").await?;
/// client
///     .upsert_vectors("documents", vec![VectorPoint {
///         id: "doc1".into(),
///         vector: vec![0.1, 0.2, 0.3, 0.4],
///         payload: serde_json::json!({"category": "documentation"}),
///     }])
///     .await?;
/// let hits = client
///     .search("documents", vec![0.1, 0.2, 0.3, 0.4], 10, Some(SearchFilter::must_match("category", "documentation")))
///     .await?;
/// assert_eq!(hits[0].id, "doc1");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct QdrantClient {
    runtime: Arc<Runtime>,
    config: Arc<types::Config>,
    /// Shared by clones; replaced when the limits or the outbound way change.
    instances: Arc<Instances>,
}

impl std::fmt::Debug for QdrantClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The api-key stays out of logs.
        f.debug_struct("QdrantClient")
            .field("url", &self.config.url)
            .finish_non_exhaustive()
    }
}

impl QdrantClient {
    /// Prepares a client for the Qdrant at `url`; the component may reach only that origin.
    /// Nothing is sent until the first call.
    pub async fn new(url: &str, api_key: Option<&str>) -> Result<Self> {
        let origin = Origin::of_url(url)?;
        let outbound = Outbound::default();
        let runtime = tokio::task::spawn_blocking(move || {
            let runtime = Runtime::shared()?;
            runtime.prepare(outbound)?;
            Ok::<_, Error>(runtime)
        })
        .await
        .map_err(|e| Error::Runtime(e.to_string()))??;
        let config = types::Config {
            url: url.trim().to_owned(),
            api_key: api_key.filter(|k| !k.is_empty()).map(str::to_owned),
            ..types::convert(&qdrant_component::model::Config::default())
        };
        Ok(Self {
            runtime,
            config: Arc::new(config),
            instances: Arc::new(Instances::new(outbound, origin, Limits::default())),
        })
    }

    /// A client for `QDRANT_URL` (default `http://localhost:6333`) with `QDRANT_API_KEY`;
    /// see [`crate::Settings`] for the other variables.
    pub async fn from_env() -> Result<Self> {
        let settings = crate::Settings::from_env()?;
        Self::new(&settings.url, settings.api_key.as_deref()).await
    }

    fn configure(mut self, change: impl FnOnce(&mut types::Config)) -> Self {
        change(Arc::make_mut(&mut self.config));
        self
    }

    /// Read timeout: the wait for the first byte of each answer and between bytes
    /// (default 30 s).
    pub fn with_timeout(self, timeout: Duration) -> Self {
        self.configure(|c| c.timeout_ms = Some(millis(timeout)))
    }

    /// Connect timeout (default 5 s).
    pub fn with_connect_timeout(self, timeout: Duration) -> Self {
        self.configure(|c| c.connect_timeout_ms = Some(millis(timeout)))
    }

    /// Qdrant's server-side `timeout` for queries, counts, scrolls and collection changes.
    pub fn with_server_timeout(self, timeout: Duration) -> Self {
        let seconds = u32::try_from(timeout.as_secs().max(1)).unwrap_or(u32::MAX);
        self.configure(|c| c.server_timeout_s = Some(seconds))
    }

    /// Retries of idempotent calls (default: 3 attempts, 50 ms doubling, 10 s budget).
    pub fn with_retry(self, retry: types::RetryPolicy) -> Self {
        self.configure(|c| c.retry = Some(retry))
    }

    /// Retries of each upsert request (default: 8 attempts, 100 ms doubling to 5 s, 60 s per
    /// request): a bulk write outlasts faults that would fail an ordinary call.
    pub fn with_upsert_retry(self, retry: types::RetryPolicy) -> Self {
        self.configure(|c| c.upsert_retry = Some(retry))
    }

    /// Points per upsert request (default 256; requests also stay under 32 MB).
    pub fn with_upsert_batch_size(self, points: u32) -> Self {
        self.configure(|c| c.upsert_batch_size = Some(points))
    }

    /// How many replicas of a replicated collection answer each read (gets, counts,
    /// scrolls, queries); default: the server's (one).
    pub fn with_read_consistency(self, consistency: types::ReadConsistency) -> Self {
        self.configure(|c| c.read_consistency = Some(consistency))
    }

    /// How writes to a replicated collection are ordered; default: the server's (weak).
    pub fn with_write_ordering(self, ordering: types::WriteOrdering) -> Self {
        self.configure(|c| c.write_ordering = Some(ordering))
    }

    /// A client whose point operations go to these shards of collections with custom
    /// sharding: writes land in them, reads look only in them. Clones are cheap, so one
    /// client per tenant is the usual shape.
    ///
    /// ```no_run
    /// # async fn demo(client: qdrant_integration::QdrantClient) -> qdrant_integration::Result<()> {
    /// use qdrant_integration::types::ShardKeySelector;
    /// let tenant = client.clone().with_shard_key("tenant-7");
    /// let in_tenant = tenant.count("documents", None, true).await?;
    /// let both = client.clone().with_shard_key(ShardKeySelector::Keys(vec!["eu".into(), "us".into()]));
    /// let new_tenant = client.with_shard_key(ShardKeySelector::with_fallback("tenant-8", "shared"));
    /// # Ok(()) }
    /// ```
    pub fn with_shard_key(self, selector: impl Into<types::ShardKeySelector>) -> Self {
        let selector = selector.into();
        self.configure(|c| c.shard_key = Some(selector))
    }

    /// A client that names no shard key: writes need the collection's default, reads
    /// look in every shard.
    pub fn without_shard_key(self) -> Self {
        self.configure(|c| c.shard_key = None)
    }

    /// Memory cap and deadline of each call (see [`Limits`]).
    pub fn with_limits(mut self, limits: Limits) -> Self {
        let i = &self.instances;
        self.instances = Arc::new(Instances::new(i.outbound(), i.origin().clone(), limits));
        self
    }

    /// How the component's requests leave the sandbox (default
    /// [`Outbound::HostTransport`]). Either way they reach only this client's origin.
    pub fn with_outbound(mut self, outbound: Outbound) -> Self {
        let i = &self.instances;
        self.instances = Arc::new(Instances::new(outbound, i.origin().clone(), i.limits()));
        self
    }

    /// Whether this process loaded the compiled component from the on-disk cache rather
    /// than compiling it. For tests and benchmarks.
    #[doc(hidden)]
    pub fn component_loaded_from_cache(&self) -> bool {
        self.runtime.loaded_from_cache(self.instances.outbound())
    }

    /// Creates a fresh sandboxed instance as a client's first call would, then drops it
    /// without calling: the cost of instantiation. For benchmarks.
    #[doc(hidden)]
    pub async fn instantiate_only(&self) -> Result<()> {
        self.runtime.instantiate_only(&self.instances).await
    }

    /// Base URL this client talks to.
    pub fn url(&self) -> &str {
        &self.config.url
    }
}

fn millis(d: Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client is shared across tokio tasks by cloning; the compiler checks it may be.
    #[test]
    fn client_is_clone_send_and_sync() {
        fn shareable<T: Clone + Send + Sync + 'static>() {}
        shareable::<QdrantClient>();
    }
}
