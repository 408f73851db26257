//! Qdrant REST request bodies and their translation to `qdrant-edge` types, plus the JSON
//! shapes of responses, by area in `rest/`: collections, points, query. This file keeps
//! what they share: filter validation and JSON helpers.

use std::collections::{BTreeMap, HashMap, HashSet};

use qdrant_edge::external::ordered_float::OrderedFloat;
use qdrant_edge::{
    ContextPair, ContextQuery, DEFAULT_VECTOR_NAME, DiscoverQuery, Distance, EdgeConfig,
    EdgeOptimizersConfig, EdgeShard, EdgeSparseVectorParams, EdgeVectorParams, FacetRequest,
    FacetResponse, FacetValue, Filter, Fusion, HasIdCondition, HnswIndexConfig, JsonPath, Mmr,
    Modifier, MultiVectorConfig, NamedQuery, OrderByInterface, PointId, PointStructPersisted,
    Prefetch, QuantizationConfig, QueryEnum, QueryRequest, RecommendQuery, Record, Sample,
    ScoredPoint, ScoringQuery, SearchParams, SparseVector, TypedMultiDenseVector, VectorInternal,
    VectorPersisted, VectorStorageDatatype, VectorStructInternal, VectorStructPersisted,
    WalOptions, WithPayloadInterface, WithVector,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

mod collections;
mod points;
mod query;

pub use collections::*;
pub use points::*;
pub use query::*;

use crate::engine::{
    Collection, Engine, EngineError, Meta, check_vector_name, default_optimizer_config,
};
use crate::sharding::ShardKeySelector;

/// Qdrant's checks of a filter beyond its JSON shape (e.g. a field condition with no
/// condition in it), answered as Qdrant answers them: 422, each failure with its path.
pub fn check_filter(filter: Option<&Filter>) -> Result<(), EngineError> {
    use validator::Validate;
    let Some(Err(errors)) = filter.map(Validate::validate) else {
        return Ok(());
    };
    let mut found = Vec::new();
    describe(&errors, "filter", &mut found);
    found.sort();
    Err(EngineError::validation(found.join(", ")))
}

/// `path: message` for every failure in `errors`; struct-level failures (`__all__`) are
/// reported at their struct's path.
fn describe(errors: &validator::ValidationErrors, path: &str, out: &mut Vec<String>) {
    use validator::ValidationErrorsKind as Kind;
    for (field, kind) in errors.errors() {
        let here = if field == "__all__" {
            path.to_owned()
        } else {
            format!("{path}.{field}")
        };
        match kind {
            Kind::Struct(inner) => describe(inner, &here, out),
            Kind::List(items) => {
                for (index, inner) in items {
                    describe(inner, &format!("{here}[{index}]"), out);
                }
            }
            Kind::Field(failures) => {
                for failure in failures {
                    let message = failure.message.as_deref().unwrap_or(&failure.code);
                    out.push(format!("{here}: {message}"));
                }
            }
        }
    }
}

pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, EngineError> {
    serde_json::from_value(value)
        .map_err(|e| EngineError::new(400, format!("Json deserialize error: {e}")))
}

/// Overlays the non-null fields of `diff` on `base`.
pub fn merge(base: &mut Value, diff: &Value) {
    if let (Some(base), Some(diff)) = (base.as_object_mut(), diff.as_object()) {
        for (k, v) in diff {
            if !v.is_null() {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

fn strip_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}
