//! Point bodies: upserts (`points` or `batch`) checked against the collection's vectors,
//! point selectors, and records and scored points written back as Qdrant writes them.

use super::*;

#[derive(Deserialize)]
pub struct UpsertRequest {
    pub points: Option<Vec<PointStructPersisted>>,
    pub batch: Option<BatchRest>,
    pub shard_key: Option<ShardKeySelector>,
}

#[derive(Deserialize)]
pub struct BatchRest {
    ids: Vec<PointId>,
    vectors: Value,
    payloads: Option<Vec<Option<qdrant_edge::Payload>>>,
}

pub fn upsert_points(request: UpsertRequest) -> Result<Vec<PointStructPersisted>, EngineError> {
    match (request.points, request.batch) {
        (Some(points), None) => Ok(points),
        (None, Some(batch)) => batch_points(batch),
        _ => Err(EngineError::new(
            400,
            "Json deserialize error: expected exactly one of `points` or `batch`",
        )),
    }
}

pub(crate) fn batch_points(batch: BatchRest) -> Result<Vec<PointStructPersisted>, EngineError> {
    let n = batch.ids.len();
    let mismatch = || EngineError::validation("batch: number of ids and vectors must be equal");
    let vectors: Vec<VectorStructPersisted> = match batch.vectors {
        Value::Array(list) => {
            if list.len() != n {
                return Err(mismatch());
            }
            list.into_iter()
                .map(from_value::<VectorStructPersisted>)
                .collect::<Result<_, _>>()?
        }
        Value::Object(map) => {
            let mut per_point: Vec<HashMap<String, VectorPersisted>> = vec![HashMap::new(); n];
            for (name, list) in map {
                let list: Vec<Option<VectorPersisted>> = from_value(list)?;
                if list.len() != n {
                    return Err(mismatch());
                }
                for (i, v) in list.into_iter().enumerate() {
                    if let Some(v) = v {
                        per_point[i].insert(name.clone(), v);
                    }
                }
            }
            per_point
                .into_iter()
                .map(VectorStructPersisted::Named)
                .collect()
        }
        _ => {
            return Err(EngineError::new(
                400,
                "Json deserialize error: batch.vectors must be a list or a map of lists",
            ));
        }
    };
    if let Some(payloads) = &batch.payloads
        && payloads.len() != n
    {
        return Err(EngineError::validation(
            "batch: number of ids and payloads must be equal",
        ));
    }
    let mut payloads = batch.payloads.map(|p| p.into_iter());
    Ok(batch
        .ids
        .into_iter()
        .zip(vectors)
        .map(|(id, vector)| PointStructPersisted {
            id,
            vector,
            payload: payloads.as_mut().and_then(|p| p.next()).flatten(),
        })
        .collect())
}

pub(crate) fn dimension_error(expected: usize, got: usize) -> EngineError {
    EngineError::bad_input(format!(
        "Vector dimension error: expected dim: {expected}, got {got}"
    ))
}

pub(crate) fn vector_name_error(name: &str) -> EngineError {
    EngineError::bad_input(format!("Not existing vector name error: {name}"))
}

pub(crate) fn check_sparse(sparse: &SparseVector) -> Result<(), EngineError> {
    if sparse.indices.len() != sparse.values.len() {
        return Err(EngineError::validation(
            "values: must be the same length as indices",
        ));
    }
    let unique: HashSet<_> = sparse.indices.iter().collect();
    if unique.len() != sparse.indices.len() {
        return Err(EngineError::validation("indices: must be unique"));
    }
    Ok(())
}

/// Checks one named vector against the collection config.
pub(crate) fn check_vector(
    config: &EdgeConfig,
    name: &str,
    vector: &VectorInternal,
) -> Result<(), EngineError> {
    if let Some(params) = config.vectors.get(name) {
        match vector {
            VectorInternal::Dense(v) => {
                if params.multivector_config.is_some() {
                    return Err(EngineError::bad_input(
                        "Conversion between multi and regular vectors failed",
                    ));
                }
                if v.len() != params.size {
                    return Err(dimension_error(params.size, v.len()));
                }
            }
            VectorInternal::MultiDense(m) => {
                if params.multivector_config.is_none() {
                    return Err(EngineError::bad_input(
                        "Conversion between multi and regular vectors failed",
                    ));
                }
                if m.dim != params.size {
                    return Err(dimension_error(params.size, m.dim));
                }
            }
            VectorInternal::Sparse(_) => {
                return Err(EngineError::bad_input(
                    "Conversion between sparse and regular vectors failed",
                ));
            }
        }
        Ok(())
    } else if config.sparse_vectors.contains_key(name) {
        match vector {
            VectorInternal::Sparse(s) => check_sparse(s),
            _ => Err(EngineError::bad_input(
                "Conversion between sparse and regular vectors failed",
            )),
        }
    } else {
        Err(vector_name_error(name))
    }
}

pub(crate) fn persisted_to_internal(v: &VectorPersisted) -> Result<VectorInternal, EngineError> {
    match v {
        VectorPersisted::MultiDense(m) => {
            check_multi(m)?;
            Ok(VectorInternal::MultiDense(
                TypedMultiDenseVector::new_unchecked(m.clone()),
            ))
        }
        other => Ok(VectorInternal::from(other.clone())),
    }
}

pub(crate) fn check_multi(m: &[Vec<f32>]) -> Result<(), EngineError> {
    let Some(first) = m.first() else {
        return Err(EngineError::validation("multivector must not be empty"));
    };
    if first.is_empty() || m.iter().any(|v| v.len() != first.len()) {
        return Err(EngineError::validation(
            "all vectors in a multivector must have the same non-zero dimension",
        ));
    }
    Ok(())
}

/// Qdrant rejects the whole batch when one vector is wrong; the shard applies upserts in
/// chunks, so check first to keep the request all-or-nothing.
pub fn check_points(
    config: &EdgeConfig,
    points: &[PointStructPersisted],
) -> Result<(), EngineError> {
    points
        .iter()
        .try_for_each(|point| check_vectors(config, &point.vector))
}

/// One point's vectors against the collection's vector names, kinds and sizes.
pub fn check_vectors(
    config: &EdgeConfig,
    vector: &VectorStructPersisted,
) -> Result<(), EngineError> {
    match vector {
        VectorStructPersisted::Single(v) => check_vector(
            config,
            DEFAULT_VECTOR_NAME,
            &VectorInternal::Dense(v.clone()),
        ),
        VectorStructPersisted::MultiDense(m) => {
            check_multi(m)?;
            check_vector(
                config,
                DEFAULT_VECTOR_NAME,
                &VectorInternal::MultiDense(TypedMultiDenseVector::new_unchecked(m.clone())),
            )
        }
        VectorStructPersisted::Named(map) => map
            .iter()
            .try_for_each(|(name, v)| check_vector(config, name, &persisted_to_internal(v)?)),
    }
}

/// A vector name the collection has (dense or sparse).
pub fn check_vector_exists(config: &EdgeConfig, name: &str) -> Result<(), EngineError> {
    if config.vectors.contains_key(name) || config.sparse_vectors.contains_key(name) {
        Ok(())
    } else {
        Err(vector_name_error(name))
    }
}

/// Qdrant's `Record`: `payload` and `vector` are always present (null when not requested).
pub fn record_json(record: Record) -> Value {
    let mut out = json!({
        "id": record.id,
        "payload": record.payload.map(|p| Value::Object(p.0)),
        "vector": record.vector.map(vector_json),
    });
    if let Some(order) = record.order_value {
        out["order_value"] = serde_json::to_value(order).unwrap_or(Value::Null);
    }
    out
}

pub(crate) fn vector_json(vector: VectorStructInternal) -> Value {
    let mut json = serde_json::to_value(VectorStructPersisted::from(vector)).unwrap_or(Value::Null);
    shortest_f32(&mut json);
    json
}

/// An `f32` as JSON the way Qdrant writes it: the shortest text that reads back as the same
/// `f32` (`0.15`, where widening to `f64` first would give `0.15000000596046448`).
pub fn f32_json(x: f32) -> Value {
    // `f32`'s Display is the shortest round-trip form; as an `f64` it prints the same way.
    x.to_string()
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// Rewrites every non-integer number in `value` (vectors: `f32`s widened to `f64` by
/// serde_json) in its shortest `f32` form. Sparse indices are integers and stay as they are.
pub(crate) fn shortest_f32(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(x) = n.as_f64() {
                *value = f32_json(x as f32);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(shortest_f32),
        Value::Object(map) => map.values_mut().for_each(shortest_f32),
        _ => {}
    }
}

/// Qdrant's `ScoredPoint`: `payload` and `vector` only when requested.
pub fn scored_point_json(point: ScoredPoint) -> Value {
    let mut out = json!({"id": point.id, "version": point.version, "score": f32_json(point.score)});
    if let Some(payload) = point.payload {
        out["payload"] = Value::Object(payload.0);
    }
    if let Some(vector) = point.vector {
        out["vector"] = vector_json(vector);
    }
    if let Some(order) = point.order_value {
        out["order_value"] = serde_json::to_value(order).unwrap_or(Value::Null);
    }
    out
}

/// `points` (ids) or `filter`, as in `PointsSelector` and the payload requests.
#[derive(Deserialize)]
pub struct Selector {
    pub points: Option<Vec<PointId>>,
    pub filter: Option<Filter>,
}

pub enum Selected {
    Ids(Vec<PointId>),
    Filter(Filter),
}

impl Selector {
    pub fn into_selected(self) -> Result<Selected, EngineError> {
        check_filter(self.filter.as_ref())?;
        match (self.points, self.filter) {
            (Some(ids), None) => Ok(Selected::Ids(ids)),
            (None, Some(filter)) => Ok(Selected::Filter(filter)),
            (Some(_), Some(_)) => Err(EngineError::validation(
                "Either list of point ids or filter must be provided, not both",
            )),
            (None, None) => Err(EngineError::validation(
                "Either list of point ids or filter must be provided",
            )),
        }
    }
}
