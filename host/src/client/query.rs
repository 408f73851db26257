//! Queries: the simple `search`, any Query API request, and batches of them.

use serde_json::Value;

use super::QdrantClient;
use crate::error::{Error, Result};
use crate::types;

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

impl QdrantClient {
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
