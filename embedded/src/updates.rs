//! Point updates: each REST body becomes one `UpdateOperation`, checked against the
//! collection's config before anything is written. The single endpoints and `points/batch`
//! (whose `operations` are these bodies, tagged by name) share them.

use qdrant_edge::{
    DeletePayloadOp, EdgeConfig, Filter, JsonPath, Payload, PayloadOps, PointId, PointIdsList,
    PointInsertOperations, PointOperations, PointVectorsPersisted, SetPayloadOp, UpdateOperation,
    UpdateVectorsOp, VectorOperations,
};
use serde::Deserialize;

use crate::engine::{Collection, EngineError};
use crate::rest::{self, Selected, Selector};
use crate::sharding::ShardKeySelector;

/// `points` or `filter`, in the shards of `shard_key`.
#[derive(Deserialize)]
pub struct SelectorRest {
    points: Option<Vec<PointId>>,
    filter: Option<Filter>,
    shard_key: Option<ShardKeySelector>,
}

impl SelectorRest {
    fn selected(self) -> Result<Selected, EngineError> {
        Selector {
            points: self.points,
            filter: self.filter,
        }
        .into_selected()
    }

    /// `(points, filter)`, exactly one of them set.
    fn split(self) -> Result<(Option<Vec<PointId>>, Option<Filter>), EngineError> {
        Ok(match self.selected()? {
            Selected::Ids(ids) => (Some(ids), None),
            Selected::Filter(filter) => (None, Some(filter)),
        })
    }
}

#[derive(Deserialize)]
pub struct SetPayloadRest {
    payload: Payload,
    key: Option<JsonPath>,
    #[serde(flatten)]
    selector: SelectorRest,
}

impl SetPayloadRest {
    fn into_op(self, keyed: bool) -> Result<SetPayloadOp, EngineError> {
        let (points, filter) = self.selector.split()?;
        Ok(SetPayloadOp {
            payload: self.payload,
            points,
            filter,
            key: if keyed { self.key } else { None },
        })
    }
}

#[derive(Deserialize)]
pub struct DeletePayloadRest {
    keys: Vec<JsonPath>,
    #[serde(flatten)]
    selector: SelectorRest,
}

#[derive(Deserialize)]
pub struct UpdateVectorsRest {
    points: Vec<PointVectorsPersisted>,
    update_filter: Option<Filter>,
    shard_key: Option<ShardKeySelector>,
}

#[derive(Deserialize)]
pub struct DeleteVectorsRest {
    vector: Vec<String>,
    #[serde(flatten)]
    selector: SelectorRest,
}

/// One update, named as in `points/batch`'s `operations`.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateRest {
    Upsert(rest::UpsertRequest),
    Delete(SelectorRest),
    SetPayload(SetPayloadRest),
    OverwritePayload(SetPayloadRest),
    DeletePayload(DeletePayloadRest),
    ClearPayload(SelectorRest),
    UpdateVectors(UpdateVectorsRest),
    DeleteVectors(DeleteVectorsRest),
}

impl UpdateRest {
    /// The shards the update goes to.
    pub fn shard_key(&self) -> Option<&ShardKeySelector> {
        match self {
            UpdateRest::Upsert(request) => request.shard_key.as_ref(),
            UpdateRest::Delete(selector) | UpdateRest::ClearPayload(selector) => {
                selector.shard_key.as_ref()
            }
            UpdateRest::SetPayload(request) | UpdateRest::OverwritePayload(request) => {
                request.selector.shard_key.as_ref()
            }
            UpdateRest::DeletePayload(request) => request.selector.shard_key.as_ref(),
            UpdateRest::UpdateVectors(request) => request.shard_key.as_ref(),
            UpdateRest::DeleteVectors(request) => request.selector.shard_key.as_ref(),
        }
    }
}

/// `points/batch`'s body.
#[derive(Deserialize)]
pub struct BatchUpdate {
    pub operations: Vec<UpdateRest>,
}

/// The operation for `update`, checked against the collection (its vectors and shards).
pub fn operation(
    collection: &Collection,
    config: &EdgeConfig,
    update: UpdateRest,
) -> Result<UpdateOperation, EngineError> {
    collection.check_write_shards(update.shard_key())?;
    Ok(match update {
        UpdateRest::Upsert(request) => {
            let points = rest::upsert_points(request)?;
            rest::check_points(config, &points)?;
            UpdateOperation::PointOperation(PointOperations::UpsertPoints(
                PointInsertOperations::PointsList(points),
            ))
        }
        UpdateRest::Delete(selector) => {
            UpdateOperation::PointOperation(match selector.selected()? {
                Selected::Ids(ids) => PointOperations::DeletePoints { ids },
                Selected::Filter(filter) => PointOperations::DeletePointsByFilter(filter),
            })
        }
        UpdateRest::SetPayload(request) => {
            UpdateOperation::PayloadOperation(PayloadOps::SetPayload(request.into_op(true)?))
        }
        UpdateRest::OverwritePayload(request) => {
            // Overwriting replaces the whole payload: a `key` has no meaning there.
            UpdateOperation::PayloadOperation(PayloadOps::OverwritePayload(request.into_op(false)?))
        }
        UpdateRest::DeletePayload(request) => {
            let (points, filter) = request.selector.split()?;
            UpdateOperation::PayloadOperation(PayloadOps::DeletePayload(DeletePayloadOp {
                keys: request.keys,
                points,
                filter,
            }))
        }
        UpdateRest::ClearPayload(selector) => {
            UpdateOperation::PayloadOperation(match selector.selected()? {
                Selected::Ids(points) => PayloadOps::ClearPayload { points },
                Selected::Filter(filter) => PayloadOps::ClearPayloadByFilter(filter),
            })
        }
        UpdateRest::UpdateVectors(request) => {
            rest::check_filter(request.update_filter.as_ref())?;
            if request.points.is_empty() {
                return Err(EngineError::validation(
                    "points: must contain at least one point",
                ));
            }
            for point in &request.points {
                rest::check_vectors(config, &point.vector)?;
            }
            UpdateOperation::VectorOperation(VectorOperations::UpdateVectors(UpdateVectorsOp {
                points: request.points,
                update_filter: request.update_filter,
            }))
        }
        UpdateRest::DeleteVectors(request) => {
            if request.vector.is_empty() {
                return Err(EngineError::validation(
                    "vector: must name at least one vector",
                ));
            }
            for name in &request.vector {
                rest::check_vector_exists(config, name)?;
            }
            let names = request.vector;
            UpdateOperation::VectorOperation(match request.selector.selected()? {
                Selected::Ids(points) => {
                    VectorOperations::DeleteVectors(PointIdsList::from(points), names)
                }
                Selected::Filter(filter) => VectorOperations::DeleteVectorsByFilter(filter, names),
            })
        }
    })
}
