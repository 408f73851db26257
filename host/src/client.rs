//! The core API: `QdrantClient::new(url, api_key)` and friends, each call one trip
//! through the sandboxed component.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use wasmtime::Store;

use crate::bindings::RetrieverAny as Retriever;
use crate::egress::Origin;
use crate::error::{Error, Result};
use crate::sandbox::{HostState, Instances, Limits, Outbound, Runtime};
use crate::types;

/// A point to upsert. `id` is an unsigned integer (`"42"`), a UUID, or any other non-empty
/// string: those are stored under a deterministic UUID with the original kept in the payload
/// key `_string_id`, and results report the original id.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorPoint {
    pub id: String,
    pub vector: Vec<f32>,
    /// A JSON object (or `null` for no payload).
    pub payload: Value,
}

/// The simple filter: every `(key, value)` in `must` matches exactly, and results score at
/// least `score_threshold`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchFilter {
    pub must: Vec<(String, String)>,
    pub score_threshold: Option<f32>,
}

impl SearchFilter {
    /// A filter with one exact-match condition.
    pub fn must_match(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            must: vec![(key.into(), value.into())],
            score_threshold: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchResult {
    pub id: String,
    pub score: f32,
    pub payload: Value,
}

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

/// Instantiates the component, calls one export and flattens both error layers. Logs the
/// operation, its collection (`collection = ..`), the time it took, the HTTP requests it
/// sent (retries included) and the outcome; never the configuration, which holds the api-key.
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
                async |store: &mut Store<HostState>, retriever: &Retriever| {
                    let outcome = retriever
                        .qdrant_retriever_client()
                        .$method(&mut *store, config $(, $arg)*)
                        .await?;
                    Ok((outcome, store.data_mut().take_requests()))
                },
            )
            .await;
        let requests = outcome.as_ref().ok().map(|(_, requests)| *requests);
        let outcome = outcome.and_then(|(outcome, _)| outcome.map_err(Error::from));
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
    /// than compiling it.
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

    // ---- service ------------------------------------------------------------------------

    /// `true` when the server answers as Qdrant; `false` when it cannot be reached.
    /// Other failures (e.g. a wrong api-key behind a proxy) are errors.
    pub async fn health_check(&self) -> Result<bool> {
        match self.server_info().await {
            Ok(_) => Ok(true),
            Err(e) if e.is_unreachable() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The server's title and version.
    pub async fn server_info(&self) -> Result<ServerInfo> {
        let info = call!(self, call_health_check())?;
        Ok(ServerInfo {
            title: info.title,
            version: info.version,
        })
    }

    /// `GET /readyz`: whether the server is ready to serve.
    pub async fn ready(&self) -> Result<bool> {
        call!(self, call_ready())
    }

    // ---- collections --------------------------------------------------------------------

    /// Creates a collection of `vector_size`-dimensional vectors; `distance` is one of
    /// Cosine, Dot, Euclid, Manhattan (any case).
    pub async fn create_collection(
        &self,
        name: &str,
        vector_size: u64,
        distance: &str,
    ) -> Result<()> {
        let distance = parse_distance(distance)?;
        call!(
            self,
            collection = name,
            call_create_collection(name, vector_size, distance)
        )
    }

    /// Creates a collection with named dense vectors: `(name, size, distance)` each.
    pub async fn create_collection_multi_vector(
        &self,
        name: &str,
        vectors: Vec<(&str, u64, &str)>,
    ) -> Result<()> {
        let vectors = vectors
            .into_iter()
            .map(|(vector, size, distance)| {
                Ok(types::VectorParams::new(
                    vector,
                    size,
                    parse_distance(distance)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        self.create_collection_with(name, &types::CollectionConfig::new(vectors))
            .await
    }

    /// Creates a collection with any layout (named and sparse vectors) and options.
    pub async fn create_collection_with(
        &self,
        name: &str,
        config: &types::CollectionConfig,
    ) -> Result<()> {
        call!(
            self,
            collection = name,
            call_create_collection_with(name, config)
        )
    }

    /// Changes HNSW or quantization settings.
    pub async fn update_collection(
        &self,
        name: &str,
        update: types::CollectionUpdate,
    ) -> Result<()> {
        call!(
            self,
            collection = name,
            call_update_collection(name, update)
        )
    }

    /// Turns on `"scalar"` (int8), `"binary"` or `"product"` (x16) quantization.
    pub async fn enable_quantization(&self, name: &str, kind: &str) -> Result<()> {
        let quantization = types::Quantization::named(kind)?;
        let update = types::CollectionUpdate {
            hnsw: None,
            quantization: Some(types::QuantizationChange::Enable(quantization)),
        };
        self.update_collection(name, update).await
    }

    /// Deletes a collection; deleting one that does not exist is not an error.
    pub async fn delete_collection(&self, name: &str) -> Result<()> {
        call!(self, collection = name, call_delete_collection(name)).map(|_existed| ())
    }

    pub async fn collection_exists(&self, name: &str) -> Result<bool> {
        call!(self, collection = name, call_collection_exists(name))
    }

    /// Status, point count and configuration.
    pub async fn collection_info(&self, name: &str) -> Result<types::CollectionInfo> {
        call!(self, collection = name, call_get_collection(name))
    }

    pub async fn list_collections(&self) -> Result<Vec<String>> {
        call!(self, call_list_collections())
    }

    pub async fn create_alias(&self, alias: &str, collection: &str) -> Result<()> {
        call!(
            self,
            collection = collection,
            call_create_alias(alias, collection)
        )
    }

    pub async fn delete_alias(&self, alias: &str) -> Result<()> {
        call!(self, call_delete_alias(alias))
    }

    /// All aliases, or those of `collection`.
    pub async fn list_aliases(&self, collection: Option<&str>) -> Result<Vec<types::Alias>> {
        call!(self, call_list_aliases(collection))
    }

    /// Creates the shards of `key` in a collection made with
    /// [`types::ShardingMethod::Custom`].
    pub async fn create_shard_key(
        &self,
        collection: &str,
        key: impl Into<types::ShardKey>,
    ) -> Result<()> {
        let key = key.into();
        call!(
            self,
            collection = collection,
            call_create_shard_key(collection, &key)
        )
    }

    /// Deletes the shards of `key`, and the points in them.
    pub async fn delete_shard_key(
        &self,
        collection: &str,
        key: impl Into<types::ShardKey>,
    ) -> Result<()> {
        let key = key.into();
        call!(
            self,
            collection = collection,
            call_delete_shard_key(collection, &key)
        )
    }

    /// The shard keys of a collection (none for automatic sharding).
    pub async fn list_shard_keys(&self, collection: &str) -> Result<Vec<types::ShardKey>> {
        call!(
            self,
            collection = collection,
            call_list_shard_keys(collection)
        )
    }

    // ---- points -------------------------------------------------------------------------

    /// Upserts all points (batched by the component) and waits until they are searchable.
    /// Every point is validated first: on invalid input nothing is written.
    pub async fn upsert_vectors(&self, collection: &str, points: Vec<VectorPoint>) -> Result<()> {
        let batch = point_batch(&points)?;
        self.upsert_points(collection, &batch, true)
            .await
            .map(|_count| ())
    }

    /// Upserts a column-wise batch (dense, named and sparse vectors); returns the count.
    pub async fn upsert_points(
        &self,
        collection: &str,
        points: &types::PointBatch,
        wait: bool,
    ) -> Result<u32> {
        call!(
            self,
            collection = collection,
            call_upsert_points(collection, points, wait)
        )
    }

    /// Checks a batch as `upsert_points` does before its first request (ids, vectors,
    /// payloads, sizes), sending nothing; the collection's vector sizes are checked only by
    /// `upsert_points`. For callers that split one upsert into several calls and want bad
    /// input anywhere to write nothing.
    pub async fn validate_points(&self, points: &types::PointBatch) -> Result<()> {
        call!(self, call_validate_points(points))
    }

    /// The points with these ids that exist, in the order asked.
    pub async fn get_points(
        &self,
        collection: &str,
        ids: &[String],
        with_payload: &types::PayloadSelector,
        with_vectors: &types::VectorSelector,
    ) -> Result<Vec<types::Point>> {
        call!(
            self,
            collection = collection,
            call_get_points(collection, ids, with_payload, with_vectors)
        )
    }

    pub async fn delete_points(
        &self,
        collection: &str,
        selector: &types::PointsSelector,
        wait: bool,
    ) -> Result<types::UpdateResult> {
        call!(
            self,
            collection = collection,
            call_delete_points(collection, selector, wait)
        )
    }

    /// Merges `payload` (a JSON object) into the selected points, at `key` when given.
    pub async fn set_payload(
        &self,
        collection: &str,
        selector: &types::PointsSelector,
        payload: &Value,
        key: Option<&str>,
        wait: bool,
    ) -> Result<types::UpdateResult> {
        let payload = types::json_text(payload);
        call!(
            self,
            collection = collection,
            call_set_payload(collection, selector, &payload, key, wait)
        )
    }

    /// Replaces the selected points' payloads with `payload`.
    pub async fn overwrite_payload(
        &self,
        collection: &str,
        selector: &types::PointsSelector,
        payload: &Value,
        wait: bool,
    ) -> Result<types::UpdateResult> {
        let payload = types::json_text(payload);
        call!(
            self,
            collection = collection,
            call_overwrite_payload(collection, selector, &payload, wait)
        )
    }

    pub async fn delete_payload_keys(
        &self,
        collection: &str,
        selector: &types::PointsSelector,
        keys: &[String],
        wait: bool,
    ) -> Result<types::UpdateResult> {
        call!(
            self,
            collection = collection,
            call_delete_payload_keys(collection, selector, keys, wait)
        )
    }

    pub async fn clear_payload(
        &self,
        collection: &str,
        selector: &types::PointsSelector,
        wait: bool,
    ) -> Result<types::UpdateResult> {
        call!(
            self,
            collection = collection,
            call_clear_payload(collection, selector, wait)
        )
    }

    /// Points matching `filter`; `exact: false` allows a faster estimate.
    pub async fn count(
        &self,
        collection: &str,
        filter: Option<&types::Filter>,
        exact: bool,
    ) -> Result<u64> {
        call!(
            self,
            collection = collection,
            call_count(collection, filter, exact)
        )
    }

    /// One page of points; pass `next_offset` back as `offset` for the next.
    pub async fn scroll(
        &self,
        collection: &str,
        request: &types::ScrollRequest,
    ) -> Result<types::ScrollPage> {
        call!(
            self,
            collection = collection,
            call_scroll(collection, request)
        )
    }

    // ---- queries ------------------------------------------------------------------------

    /// The `limit` nearest points to `query_vector`, best first.
    pub async fn search(
        &self,
        collection: &str,
        query_vector: Vec<f32>,
        limit: usize,
        filter: Option<SearchFilter>,
    ) -> Result<Vec<SearchResult>> {
        let limit =
            u32::try_from(limit).map_err(|_| Error::InvalidInput("limit too large".into()))?;
        let mut request = types::QueryRequest::nearest(&query_vector, limit);
        if let Some(f) = filter {
            request.filter = Some(f.must)
                .filter(|m| !m.is_empty())
                .map(types::Filter::MustMatch);
            request.score_threshold = f.score_threshold;
        }
        self.query(collection, &request)
            .await?
            .into_iter()
            .map(SearchResult::try_from)
            .collect()
    }

    /// Any Query API request: dense, sparse, by point, named `using`, prefetch + fusion.
    pub async fn query(
        &self,
        collection: &str,
        request: &types::QueryRequest,
    ) -> Result<Vec<types::ScoredPoint>> {
        call!(
            self,
            collection = collection,
            call_query(collection, request)
        )
    }

    /// Several queries in one request; one result list per query.
    pub async fn query_batch(
        &self,
        collection: &str,
        requests: &[types::QueryRequest],
    ) -> Result<Vec<Vec<types::ScoredPoint>>> {
        call!(
            self,
            collection = collection,
            call_query_batch(collection, requests)
        )
    }

    // ---- payload indexes and snapshots --------------------------------------------------

    pub async fn create_payload_index(
        &self,
        collection: &str,
        field: &str,
        schema: types::PayloadSchemaType,
        wait: bool,
    ) -> Result<types::UpdateResult> {
        call!(
            self,
            collection = collection,
            call_create_payload_index(collection, field, schema, wait)
        )
    }

    pub async fn delete_payload_index(
        &self,
        collection: &str,
        field: &str,
        wait: bool,
    ) -> Result<types::UpdateResult> {
        call!(
            self,
            collection = collection,
            call_delete_payload_index(collection, field, wait)
        )
    }

    pub async fn create_snapshot(&self, collection: &str) -> Result<types::Snapshot> {
        call!(
            self,
            collection = collection,
            call_create_snapshot(collection)
        )
    }

    pub async fn list_snapshots(&self, collection: &str) -> Result<Vec<types::Snapshot>> {
        call!(
            self,
            collection = collection,
            call_list_snapshots(collection)
        )
    }

    /// `false` when there was no such snapshot.
    pub async fn delete_snapshot(&self, collection: &str, name: &str) -> Result<bool> {
        call!(
            self,
            collection = collection,
            call_delete_snapshot(collection, name)
        )
    }

    /// Restores `collection` from a snapshot: a `file://` or `http(s)://` location the
    /// server can read, or the name of one of this collection's snapshots on this server
    /// (a [`types::Snapshot`] works too). The server fetches it; over http it sends no
    /// api-key, so a key-protected server restores by name only through `file://`.
    pub async fn restore_snapshot(
        &self,
        collection: &str,
        snapshot: impl AsRef<str>,
    ) -> Result<()> {
        call!(
            self,
            collection = collection,
            call_recover_snapshot(collection, snapshot.as_ref(), None)
        )
    }
}

fn millis(d: Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX).max(1)
}

/// What `GET /` reports.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerInfo {
    pub title: String,
    pub version: String,
}

fn parse_distance(distance: &str) -> Result<types::Distance> {
    distance.parse()
}

/// Lays points out column-wise with vectors packed, as the WIT `point-batch` wants.
fn point_batch(points: &[VectorPoint]) -> Result<types::PointBatch> {
    let dimension = points.first().map_or(0, |p| p.vector.len());
    if let Some(bad) = points.iter().find(|p| p.vector.len() != dimension) {
        return Err(Error::InvalidInput(format!(
            "point `{}` has {} dimensions, the first point has {dimension}",
            bad.id,
            bad.vector.len()
        )));
    }
    let flat: Vec<f32> = points
        .iter()
        .flat_map(|p| p.vector.iter().copied())
        .collect();
    let payloads = points
        .iter()
        .map(|p| match &p.payload {
            Value::Null => Ok("{}".to_owned()),
            Value::Object(_) => Ok(types::json_text(&p.payload)),
            _ => Err(Error::InvalidInput(format!(
                "payload of point `{}` is not a JSON object",
                p.id
            ))),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(types::PointBatch {
        ids: points.iter().map(|p| p.id.clone()).collect(),
        dense: vec![types::DenseColumn {
            name: String::new(),
            dimension: u32::try_from(dimension)
                .map_err(|_| Error::InvalidInput("vector too long".into()))?,
            data: types::PackedVectors::of(&flat),
        }],
        sparse: vec![],
        payloads,
    })
}

impl TryFrom<types::ScoredPoint> for SearchResult {
    type Error = Error;

    fn try_from(p: types::ScoredPoint) -> Result<Self> {
        let payload = serde_json::from_str(&p.payload)
            .map_err(|e| Error::Decode(format!("payload of point {} is not JSON: {e}", p.id)))?;
        Ok(SearchResult {
            id: p.id,
            score: p.score,
            payload,
        })
    }
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

    #[test]
    fn distances_parse_in_any_case_and_unknown_ones_are_named() {
        assert_eq!(parse_distance("COSINE").unwrap(), types::Distance::Cosine);
        assert_eq!(
            parse_distance("euclidean").unwrap(),
            types::Distance::Euclid
        );
        let Err(Error::InvalidInput(message)) = parse_distance("hamming") else {
            panic!("hamming accepted");
        };
        assert!(message.contains("hamming"));
    }
}
