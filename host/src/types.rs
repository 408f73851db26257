//! The WIT records and variants, as the component exchanges them, with constructors for
//! the common cases so callers need not spell out every field.

pub use crate::bindings::qdrant::retriever::types::*;
// Not public (this shadows the glob, on purpose): the record carries the api-key, and the `Debug` that
// wasmtime's bindgen derives for it would print it. The client's `with_*` builders set it.
#[allow(hidden_glob_reexports)]
pub(crate) use crate::bindings::qdrant::retriever::types::Config;

use qdrant_component::model as component;
use qdrant_component::vector::{base64_bytes, le_bytes, unpack_le};

/// A value of the component crate's types (its native bindings) as this crate's (wasmtime's
/// bindings), or the other way: both are generated from the same WIT, so they have the same
/// serde form. The one place the two meet; the host takes the component's rules (user
/// spellings, defaults) through it instead of restating them.
pub(crate) fn convert<A: serde::Serialize, B: serde::de::DeserializeOwned>(value: &A) -> B {
    serde_json::to_value(value)
        .and_then(serde_json::from_value)
        .expect("both bindings are generated from the same WIT type")
}

/// A rule of the component that refused its input.
pub(crate) fn refused(error: qdrant_component::Error) -> crate::Error {
    crate::Error::InvalidInput(error.detail())
}

/// The component's value for each option it decides (the WIT `default-config`).
fn component_defaults() -> component::Config {
    component::Config::defaults(String::new())
}

/// The component's retries of each upsert request (see `with_upsert_retry`).
pub fn upsert_retry_default() -> RetryPolicy {
    convert(&component_defaults().upsert_retry)
}

impl Default for RetryPolicy {
    /// The component's defaults: 3 attempts, 50 ms doubling to at most 2 s, 10 s budget.
    fn default() -> Self {
        convert(&component_defaults().retry)
    }
}

impl Distance {
    /// Qdrant's name: `Cosine`, `Dot`, `Euclid` or `Manhattan`.
    pub fn name(self) -> &'static str {
        convert::<_, component::Distance>(&self).as_qdrant()
    }
}

impl std::str::FromStr for Distance {
    type Err = crate::Error;

    /// Any case; `euclidean` is accepted for `Euclid` (the component's rule).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        component::Distance::from_user(s)
            .map(|d| convert(&d))
            .map_err(refused)
    }
}

impl Quantization {
    /// By name, kept in RAM: `scalar` (or `int8`), `binary`, or `product` (or `pq`, x16).
    pub fn named(name: &str) -> Result<Self, crate::Error> {
        component::quantization_named(name)
            .map(|q| convert(&q))
            .map_err(refused)
    }
}

impl CollectionStatus {
    /// Qdrant's name: `green`, `yellow`, `grey` or `red`.
    pub fn name(self) -> &'static str {
        qdrant_component::collections::status_name(convert(&self))
    }
}

impl SparseModifier {
    pub fn name(self) -> &'static str {
        match self {
            SparseModifier::None => "none",
            SparseModifier::Idf => "idf",
        }
    }
}

impl PayloadSchemaType {
    /// Qdrant's name, as in `field_schema`.
    pub fn name(self) -> &'static str {
        qdrant_component::collections::schema_name(convert(&self))
    }
}

impl VectorParams {
    /// A dense vector space; `name` empty for the unnamed vector.
    pub fn new(name: impl Into<String>, size: u64, distance: Distance) -> Self {
        VectorParams {
            name: name.into(),
            size,
            distance,
            on_disk: None,
            hnsw: None,
            quantization: None,
        }
    }
}

impl SparseVectorParams {
    pub fn new(name: impl Into<String>, modifier: SparseModifier) -> Self {
        SparseVectorParams {
            name: name.into(),
            modifier,
            on_disk: None,
        }
    }
}

impl CollectionConfig {
    /// These dense vectors, no sparse vectors, server defaults for everything else.
    pub fn new(vectors: Vec<VectorParams>) -> Self {
        CollectionConfig {
            vectors,
            ..convert(&component::CollectionConfig::of(vec![]))
        }
    }

    pub fn with_sparse(mut self, sparse: SparseVectorParams) -> Self {
        self.sparse_vectors.push(sparse);
        self
    }
}

impl From<&str> for ShardKey {
    fn from(key: &str) -> Self {
        ShardKey::Keyword(key.to_owned())
    }
}

impl From<String> for ShardKey {
    fn from(key: String) -> Self {
        ShardKey::Keyword(key)
    }
}

impl From<u64> for ShardKey {
    fn from(key: u64) -> Self {
        ShardKey::Number(key)
    }
}

impl<K: Into<ShardKey>> From<K> for ShardKeySelector {
    /// One shard key.
    fn from(key: K) -> Self {
        ShardKeySelector::Keys(vec![key.into()])
    }
}

impl ShardKeySelector {
    /// `target`'s shard when that key exists, else `fallback`'s.
    pub fn with_fallback(target: impl Into<ShardKey>, fallback: impl Into<ShardKey>) -> Self {
        ShardKeySelector::WithFallback(ShardKeyFallback {
            target: target.into(),
            fallback: fallback.into(),
        })
    }
}

impl PointBatch {
    /// Points with these ids and no vectors or payloads yet.
    pub fn new(ids: Vec<String>) -> Self {
        PointBatch {
            ids,
            dense: vec![],
            sparse: vec![],
            payloads: vec![],
        }
    }

    /// Adds one dense vector per point, row-major (`ids.len() * dimension` values).
    pub fn with_dense(mut self, name: impl Into<String>, dimension: u32, rows: &[f32]) -> Self {
        self.dense.push(DenseColumn {
            name: name.into(),
            dimension,
            data: PackedVectors::of(rows),
        });
        self
    }

    pub fn with_sparse(mut self, name: impl Into<String>, vectors: Vec<SparseVector>) -> Self {
        self.sparse.push(SparseColumn {
            name: name.into(),
            vectors,
        });
        self
    }

    /// One JSON object per point.
    pub fn with_payloads(mut self, payloads: &[serde_json::Value]) -> Self {
        self.payloads = payloads.iter().map(json_text).collect();
        self
    }
}

/// A JSON value as the text the component takes. serde_json's writer straight into the
/// string: `to_string` goes through `Display`, a quarter slower for a bulk upsert's payloads.
pub(crate) fn json_text(value: &serde_json::Value) -> String {
    serde_json::to_string(value).expect("a JSON value always serializes")
}

impl QueryRequest {
    /// The `limit` nearest points to a dense vector, with payloads, without vectors.
    pub fn nearest(vector: &[f32], limit: u32) -> Self {
        Self::of(
            Query::Nearest(QueryVector::Dense(PackedVectors::of(vector))),
            limit,
        )
    }

    /// The `limit` nearest points to a sparse vector in the named sparse space.
    pub fn nearest_sparse(using: &str, vector: SparseVector, limit: u32) -> Self {
        Self::of(Query::Nearest(QueryVector::Sparse(vector)), limit).using(using)
    }

    /// Fuses the results of `prefetch` stages (hybrid search).
    pub fn fusion(fusion: Fusion, prefetch: Vec<Prefetch>, limit: u32) -> Self {
        QueryRequest {
            prefetch,
            ..Self::of(Query::Fusion(fusion), limit)
        }
    }

    fn of(query: Query, limit: u32) -> Self {
        QueryRequest {
            query,
            using: None,
            prefetch: vec![],
            filter: None,
            limit,
            offset: 0,
            score_threshold: None,
            with_payload: PayloadSelector::All,
            with_vectors: VectorSelector::None,
            params: None,
        }
    }

    pub fn using(mut self, name: &str) -> Self {
        self.using = Some(name.to_owned());
        self
    }

    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = Some(filter);
        self
    }
}

impl Prefetch {
    /// A first stage over a named dense vector.
    pub fn dense(using: &str, vector: &[f32], limit: u32) -> Self {
        Self::of(using, QueryVector::Dense(PackedVectors::of(vector)), limit)
    }

    /// A first stage over a named sparse vector.
    pub fn sparse(using: &str, vector: SparseVector, limit: u32) -> Self {
        Self::of(using, QueryVector::Sparse(vector), limit)
    }

    fn of(using: &str, query: QueryVector, limit: u32) -> Self {
        Prefetch {
            query,
            using: (!using.is_empty()).then(|| using.to_owned()),
            filter: None,
            limit,
            score_threshold: None,
            params: None,
        }
    }
}

impl ScrollRequest {
    /// The first page of `limit` points, with payloads, without vectors.
    pub fn new(limit: u32) -> Self {
        ScrollRequest {
            filter: None,
            limit,
            offset: None,
            with_payload: PayloadSelector::All,
            with_vectors: VectorSelector::None,
        }
    }
}

impl PackedVectors {
    /// `values` as little-endian bytes, which wasmtime lowers with one copy.
    pub fn of(values: &[f32]) -> Self {
        PackedVectors::LeBytes(le_bytes(values))
    }

    /// The values, if they are whole, finite `f32`s.
    pub fn values(&self) -> Option<Vec<f32>> {
        match self {
            PackedVectors::LeBytes(bytes) => unpack_le(bytes),
            PackedVectors::Base64(text) => base64_bytes(text).and_then(|b| unpack_le(&b)),
        }
        .ok()
    }
}

impl VectorData {
    /// The values of a dense vector (`None` for a sparse one).
    pub fn dense_values(&self) -> Option<Vec<f32>> {
        match self {
            VectorData::Dense(packed) => packed.values(),
            VectorData::Sparse(_) => None,
        }
    }
}

impl AsRef<str> for Snapshot {
    /// The snapshot's name, so a [`Snapshot`] can be passed to `restore_snapshot`.
    fn as_ref(&self) -> &str {
        &self.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_components() {
        let retry = RetryPolicy::default();
        assert_eq!((retry.max_attempts, retry.max_elapsed_ms), (3, 10_000));
        let upsert = upsert_retry_default();
        assert_eq!((upsert.max_attempts, upsert.max_elapsed_ms), (8, 60_000));
    }

    #[test]
    fn names_are_the_components() {
        assert_eq!(PayloadSchemaType::Boolean.name(), "bool");
        assert_eq!(CollectionStatus::Grey.name(), "grey");
        assert_eq!(Distance::Euclid.name(), "Euclid");
    }
}
