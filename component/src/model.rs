//! Plain Rust forms of the WIT records, used by [`crate::rest`] on every target.

/// Where requests go and how they authenticate (WIT `config`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    pub url: String,
    pub api_key: Option<String>,
    pub timeout_ms: Option<u32>,
}

/// Default per-request timeout: well below wasi-http's 600 s.
pub const DEFAULT_TIMEOUT_MS: u32 = 30_000;

impl Config {
    pub fn timeout_ms(&self) -> u32 {
        self.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distance {
    Cosine,
    Dot,
    Euclid,
    Manhattan,
}

impl Distance {
    /// The name Qdrant's REST API uses.
    pub fn as_qdrant(self) -> &'static str {
        match self {
            Distance::Cosine => "Cosine",
            Distance::Dot => "Dot",
            Distance::Euclid => "Euclid",
            Distance::Manhattan => "Manhattan",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServerInfo {
    pub title: String,
    pub version: String,
}

/// Column-wise points (WIT `point-batch`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PointBatch {
    pub ids: Vec<String>,
    /// Base64 of little-endian f32, `ids.len() * dimension` values.
    pub vectors: String,
    pub dimension: u32,
    /// JSON objects, one per id, or empty.
    pub payloads: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Json(String),
    MustMatch(Vec<(String, String)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueryRequest {
    pub collection: String,
    /// Base64 of little-endian f32.
    pub vector: String,
    pub limit: u32,
    pub filter: Option<Filter>,
    pub score_threshold: Option<f32>,
    pub with_payload: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScoredPoint {
    pub id: String,
    pub score: f32,
    /// A JSON object.
    pub payload: String,
}
