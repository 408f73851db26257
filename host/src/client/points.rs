//! Points: upsert (whole `VectorPoint`s or column-wise batches), get, delete, payload
//! changes, count and scroll.

use serde_json::Value;

use super::QdrantClient;
use crate::error::{Error, Result};
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

impl QdrantClient {
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
