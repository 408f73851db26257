//! The seed's API: `QdrantClient::new(url, api_key)` and friends, each call one trip
//! through the sandboxed component.

use std::sync::Arc;

use qdrant_component::vector::pack;
use serde_json::Value;

use crate::bindings::qdrant::retriever::types as wit;
use crate::error::{Error, Result};
use crate::runtime::{Origin, Runtime};

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

/// The seed's filter: every `(key, value)` in `must` matches exactly, and results score at
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
    origin: Origin,
    config: Arc<wit::Config>,
}

impl std::fmt::Debug for QdrantClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The api-key stays out of logs.
        f.debug_struct("QdrantClient")
            .field("url", &self.config.url)
            .finish_non_exhaustive()
    }
}

/// Instantiates the component, calls one export and flattens both error layers.
macro_rules! call {
    ($self:ident, $method:ident ( $($arg:expr),* )) => {{
        let (mut store, retriever) = $self.runtime.instantiate(&$self.origin).await?;
        let outcome = retriever
            .qdrant_retriever_client()
            .$method(&mut store, &$self.config $(, $arg)*)
            .await?;
        outcome.map_err(Error::from)
    }};
}

impl QdrantClient {
    /// Prepares a client for the Qdrant at `url`; the component may reach only that origin.
    /// Nothing is sent until the first call.
    pub async fn new(url: &str, api_key: Option<&str>) -> Result<Self> {
        let origin = Origin::of_url(url)?;
        let runtime = tokio::task::spawn_blocking(Runtime::shared)
            .await
            .map_err(|e| Error::Runtime(e.to_string()))??;
        let config = wit::Config {
            url: url.trim().to_owned(),
            api_key: api_key.filter(|k| !k.is_empty()).map(str::to_owned),
            timeout_ms: None,
        };
        Ok(Self {
            runtime,
            origin,
            config: Arc::new(config),
        })
    }

    /// Base URL this client talks to.
    pub fn url(&self) -> &str {
        &self.config.url
    }

    /// `true` when the server answers as Qdrant; `false` when it cannot be reached.
    /// Other failures (e.g. a wrong api-key behind a proxy) are errors.
    pub async fn health_check(&self) -> Result<bool> {
        match self.server_info().await {
            Ok(_) => Ok(true),
            Err(Error::Connection(_) | Error::Timeout(_)) => Ok(false),
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

    /// Creates a collection of `vector_size`-dimensional vectors; `distance` is one of
    /// Cosine, Dot, Euclid, Manhattan (any case).
    pub async fn create_collection(
        &self,
        name: &str,
        vector_size: u64,
        distance: &str,
    ) -> Result<()> {
        let distance = parse_distance(distance)?;
        call!(self, call_create_collection(name, vector_size, distance))
    }

    /// Deletes a collection; deleting one that does not exist is not an error.
    pub async fn delete_collection(&self, name: &str) -> Result<()> {
        call!(self, call_delete_collection(name)).map(|_existed| ())
    }

    pub async fn collection_exists(&self, name: &str) -> Result<bool> {
        call!(self, call_collection_exists(name))
    }

    /// Upserts all points (batched by the component) and waits until they are searchable.
    /// Every point is validated first: on invalid input nothing is written.
    pub async fn upsert_vectors(&self, collection: &str, points: Vec<VectorPoint>) -> Result<()> {
        let batch = point_batch(&points)?;
        call!(self, call_upsert_points(collection, &batch)).map(|_count| ())
    }

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
        let (must, score_threshold) = match filter {
            Some(f) => (Some(f.must).filter(|m| !m.is_empty()), f.score_threshold),
            None => (None, None),
        };
        let request = wit::QueryRequest {
            collection: collection.to_owned(),
            vector: pack(&query_vector),
            limit,
            filter: must.map(wit::Filter::MustMatch),
            score_threshold,
            with_payload: true,
        };
        let points = call!(self, call_query(&request))?;
        points
            .into_iter()
            .map(|p| {
                let payload = serde_json::from_str(&p.payload).map_err(|e| {
                    Error::Decode(format!("payload of point {} is not JSON: {e}", p.id))
                })?;
                Ok(SearchResult {
                    id: p.id,
                    score: p.score,
                    payload,
                })
            })
            .collect()
    }
}

/// What `GET /` reports.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerInfo {
    pub title: String,
    pub version: String,
}

fn parse_distance(distance: &str) -> Result<wit::Distance> {
    match distance.to_ascii_lowercase().as_str() {
        "cosine" => Ok(wit::Distance::Cosine),
        "dot" => Ok(wit::Distance::Dot),
        "euclid" | "euclidean" => Ok(wit::Distance::Euclid),
        "manhattan" => Ok(wit::Distance::Manhattan),
        other => Err(Error::InvalidInput(format!(
            "unknown distance `{other}`: use Cosine, Dot, Euclid or Manhattan"
        ))),
    }
}

/// Lays points out column-wise with vectors packed, as the WIT `point-batch` wants.
fn point_batch(points: &[VectorPoint]) -> Result<wit::PointBatch> {
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
            Value::Object(_) => Ok(p.payload.to_string()),
            _ => Err(Error::InvalidInput(format!(
                "payload of point `{}` is not a JSON object",
                p.id
            ))),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(wit::PointBatch {
        ids: points.iter().map(|p| p.id.clone()).collect(),
        vectors: pack(&flat),
        dimension: u32::try_from(dimension)
            .map_err(|_| Error::InvalidInput("vector too long".into()))?,
        payloads,
    })
}
