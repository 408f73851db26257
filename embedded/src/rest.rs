//! Qdrant REST request bodies and their translation to `qdrant-edge` types, plus the JSON
//! shapes of responses (collection info, records, scored points).

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

// ---------------------------------------------------------------------------------------------
// Collections
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct CreateCollection {
    pub vectors: Option<Value>,
    pub sparse_vectors: Option<BTreeMap<String, Value>>,
    pub shard_number: Option<u32>,
    pub sharding_method: Option<Value>,
    pub replication_factor: Option<u32>,
    pub write_consistency_factor: Option<u32>,
    pub on_disk_payload: Option<bool>,
    pub hnsw_config: Option<Value>,
    pub wal_config: Option<Value>,
    pub optimizers_config: Option<Value>,
    pub quantization_config: Option<QuantizationConfig>,
    pub strict_mode_config: Option<Value>,
    pub metadata: Option<Value>,
}

#[derive(Deserialize)]
struct VectorParamsRest {
    size: u64,
    distance: Distance,
    hnsw_config: Option<Value>,
    quantization_config: Option<QuantizationConfig>,
    on_disk: Option<bool>,
    datatype: Option<VectorStorageDatatype>,
    multivector_config: Option<MultiVectorConfig>,
}

#[derive(Deserialize)]
struct SparseParamsRest {
    index: Option<SparseIndexRest>,
    modifier: Option<Modifier>,
}

#[derive(Deserialize)]
struct SparseIndexRest {
    full_scan_threshold: Option<usize>,
    on_disk: Option<bool>,
    datatype: Option<VectorStorageDatatype>,
}

fn positive(name: &str, value: Option<u32>) -> Result<u32, EngineError> {
    match value {
        Some(0) => Err(EngineError::validation(format!(
            "{name}: value 0 invalid, must be 1 or larger"
        ))),
        Some(v) => Ok(v),
        None => Ok(1),
    }
}

fn hnsw_from(base: &HnswIndexConfig, diff: Option<&Value>) -> Result<HnswIndexConfig, EngineError> {
    let mut value = serde_json::to_value(base).map_err(EngineError::internal)?;
    if let Some(diff) = diff {
        if !diff.is_object() {
            return Err(EngineError::new(
                400,
                "Json deserialize error: hnsw_config must be an object",
            ));
        }
        merge(&mut value, diff);
    }
    let config: HnswIndexConfig = from_value(value)?;
    if config.ef_construct < 4 {
        return Err(EngineError::validation(format!(
            "hnsw_config.ef_construct: value {} invalid, must be 4 or larger",
            config.ef_construct
        )));
    }
    Ok(config)
}

fn edge_optimizers(config: &Value) -> Result<EdgeOptimizersConfig, EngineError> {
    let get_usize = |k: &str| config.get(k).and_then(Value::as_u64).map(|v| v as usize);
    let deleted = config.get("deleted_threshold").and_then(Value::as_f64);
    if let Some(d) = deleted
        && !(0.0..=1.0).contains(&d)
    {
        return Err(EngineError::validation(format!(
            "optimizers_config.deleted_threshold: value {d} invalid, must be in 0.0..=1.0"
        )));
    }
    if let Some(v) = get_usize("vacuum_min_vector_number")
        && v < 100
    {
        return Err(EngineError::validation(format!(
            "optimizers_config.vacuum_min_vector_number: value {v} invalid, must be 100 or larger"
        )));
    }
    Ok(EdgeOptimizersConfig {
        deleted_threshold: deleted,
        vacuum_min_vector_number: get_usize("vacuum_min_vector_number"),
        default_segment_number: get_usize("default_segment_number"),
        max_segment_size: get_usize("max_segment_size"),
        indexing_threshold: get_usize("indexing_threshold"),
        prevent_unoptimized: config.get("prevent_unoptimized").and_then(Value::as_bool),
    })
}

/// Merges an `OptimizersConfigDiff` into the full config, type-checking it.
pub fn merge_optimizers(current: &Value, diff: &Value) -> Result<Value, EngineError> {
    if !diff.is_object() {
        return Err(EngineError::new(
            400,
            "Json deserialize error: optimizers_config must be an object",
        ));
    }
    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Check {
        deleted_threshold: Option<f64>,
        vacuum_min_vector_number: Option<u64>,
        default_segment_number: Option<u64>,
        max_segment_size: Option<u64>,
        memmap_threshold: Option<u64>,
        indexing_threshold: Option<u64>,
        flush_interval_sec: Option<u64>,
        max_optimization_threads: Option<Value>,
        prevent_unoptimized: Option<bool>,
    }
    let _: Check = from_value(diff.clone())?;
    let mut merged = current.clone();
    merge(&mut merged, diff);
    Ok(merged)
}

fn wal_options(wal: &Value) -> Result<WalOptions, EngineError> {
    #[derive(Deserialize)]
    struct Wal {
        wal_capacity_mb: Option<usize>,
        wal_segments_ahead: Option<usize>,
        wal_retain_closed: Option<usize>,
    }
    let w: Wal = from_value(wal.clone())?;
    let mut options = WalOptions::default();
    if let Some(mb) = w.wal_capacity_mb {
        if mb == 0 {
            return Err(EngineError::validation(
                "wal_config.wal_capacity_mb: value 0 invalid, must be 1 or larger",
            ));
        }
        options.segment_capacity = mb * 1024 * 1024;
    }
    if let Some(ahead) = w.wal_segments_ahead {
        options.segment_queue_len = ahead;
    }
    if let Some(retain) = w.wal_retain_closed.and_then(std::num::NonZeroUsize::new) {
        options.retain_closed = retain;
    }
    Ok(options)
}

fn dense_params(
    name: &str,
    value: Value,
    hnsw: &HnswIndexConfig,
    meta: &mut Meta,
) -> Result<EdgeVectorParams, EngineError> {
    let p: VectorParamsRest = from_value(value)?;
    let field = if name.is_empty() {
        "vectors".to_string()
    } else {
        format!("vectors.{name}")
    };
    if p.size == 0 {
        return Err(EngineError::validation(format!(
            "{field}.size: value 0 invalid, must be 1 or larger"
        )));
    }
    if p.size > 65536 {
        return Err(EngineError::validation(format!(
            "{field}.size: value {} invalid, must be 65536 or smaller",
            p.size
        )));
    }
    let mut builder = EdgeVectorParams::builder(p.size as usize, p.distance);
    if let Some(on_disk) = p.on_disk {
        builder = builder.on_disk(on_disk);
    }
    if let Some(datatype) = p.datatype {
        builder = builder.datatype(datatype);
    }
    if let Some(multi) = p.multivector_config {
        builder = builder.multivector_config(multi);
    }
    if let Some(q) = p.quantization_config {
        builder = builder.quantization_config(q);
    }
    if let Some(diff) = &p.hnsw_config {
        builder = builder.hnsw_config(hnsw_from(hnsw, Some(diff))?);
        meta.vector_hnsw.insert(name.to_owned(), strip_nulls(diff));
    }
    Ok(builder.build())
}

fn sparse_params(value: &Value) -> Result<EdgeSparseVectorParams, EngineError> {
    let p: SparseParamsRest = from_value(value.clone())?;
    let mut builder = EdgeSparseVectorParams::builder();
    if let Some(modifier) = p.modifier {
        builder = builder.modifier(modifier);
    }
    if let Some(index) = p.index {
        if let Some(t) = index.full_scan_threshold {
            builder = builder.full_scan_threshold(t);
        }
        if let Some(on_disk) = index.on_disk {
            builder = builder.on_disk(on_disk);
        }
        if let Some(datatype) = index.datatype {
            builder = builder.datatype(datatype);
        }
    }
    Ok(builder.build())
}

/// `vectors`: one `VectorParams` (the unnamed vector) or a map of named ones.
fn parse_vectors(
    vectors: Value,
    hnsw: &HnswIndexConfig,
    meta: &mut Meta,
) -> Result<HashMap<String, EdgeVectorParams>, EngineError> {
    let mut out = HashMap::new();
    let Value::Object(map) = vectors else {
        return Err(EngineError::new(
            400,
            "Json deserialize error: data did not match any variant of untagged enum VectorsConfig",
        ));
    };
    let single = map.contains_key("size") && map.contains_key("distance");
    if single && map.get("size").is_some_and(Value::is_number) {
        out.insert(
            DEFAULT_VECTOR_NAME.to_owned(),
            dense_params(DEFAULT_VECTOR_NAME, Value::Object(map), hnsw, meta)?,
        );
    } else {
        for (name, params) in map {
            if name.is_empty() {
                return Err(EngineError::validation(
                    "vectors: vector name must not be empty",
                ));
            }
            check_vector_name("vectors", &name)?;
            let params = dense_params(&name, params, hnsw, meta)?;
            out.insert(name, params);
        }
    }
    Ok(out)
}

/// Builds the edge config and the REST extras for `PUT /collections/{name}`.
pub fn collection_config(request: CreateCollection) -> Result<(EdgeConfig, Meta), EngineError> {
    let mut meta = Meta {
        shard_number: positive("shard_number", request.shard_number)?,
        replication_factor: positive("replication_factor", request.replication_factor)?,
        write_consistency_factor: positive(
            "write_consistency_factor",
            request.write_consistency_factor,
        )?,
        sharding_method: request.sharding_method,
        strict_mode_config: request.strict_mode_config,
        metadata: request.metadata,
        ..Meta::default()
    };
    let hnsw = hnsw_from(&HnswIndexConfig::default(), request.hnsw_config.as_ref())?;
    let vectors = match request.vectors {
        Some(v) => parse_vectors(v, &hnsw, &mut meta)?,
        None => HashMap::new(),
    };
    let mut sparse = HashMap::new();
    for (name, params) in request.sparse_vectors.unwrap_or_default() {
        check_vector_name("sparse_vectors", &name)?;
        if vectors.contains_key(&name) {
            return Err(EngineError::bad_input(format!(
                "Vector name `{name}` is used by both a dense and a sparse vector"
            )));
        }
        sparse.insert(name.clone(), sparse_params(&params)?);
        meta.sparse_vectors.insert(name, strip_nulls(&params));
    }
    if let Some(diff) = &request.optimizers_config {
        meta.optimizer_config = merge_optimizers(&default_optimizer_config(), diff)?;
    }
    if let Some(wal) = &request.wal_config {
        merge(&mut meta.wal_config, wal);
    }
    let wal = wal_options(&meta.wal_config)?;
    let mut config = EdgeConfig::builder()
        .vectors(vectors)
        .sparse_vectors(sparse)
        .on_disk_payload(request.on_disk_payload.unwrap_or(true))
        .hnsw_config(hnsw)
        .optimizers(edge_optimizers(&meta.optimizer_config)?)
        .wal_options(wal)
        .build();
    config.quantization_config = request.quantization_config;
    Ok((config, meta))
}

#[derive(Deserialize)]
pub struct UpdateCollection {
    pub vectors: Option<BTreeMap<String, Value>>,
    pub optimizers_config: Option<Value>,
    pub params: Option<Value>,
    pub hnsw_config: Option<Value>,
    pub quantization_config: Option<Value>,
    pub sparse_vectors: Option<BTreeMap<String, Value>>,
    pub strict_mode_config: Option<Value>,
    pub metadata: Option<Value>,
}

/// A `QuantizationConfigDiff`: a config, or `"Disabled"` (`None`).
pub fn quantization_diff(value: &Value) -> Result<Option<QuantizationConfig>, EngineError> {
    if value.as_str() == Some("Disabled") {
        return Ok(None);
    }
    from_value(value.clone()).map(Some)
}

/// Applies a PATCH to a config (in memory); returns whether the shard must be reopened.
pub fn apply_update(
    config: &mut EdgeConfig,
    meta: &mut Meta,
    update: &UpdateCollection,
) -> Result<(), EngineError> {
    if let Some(diff) = &update.hnsw_config {
        config.hnsw_config = hnsw_from(&config.hnsw_config, Some(diff))?;
    }
    if let Some(diff) = &update.optimizers_config {
        meta.optimizer_config = merge_optimizers(&meta.optimizer_config, diff)?;
        config.optimizers = edge_optimizers(&meta.optimizer_config)?;
    }
    if let Some(q) = &update.quantization_config {
        config.quantization_config = quantization_diff(q)?;
    }
    if let Some(vectors) = &update.vectors {
        for (name, diff) in vectors {
            let global_hnsw = config.hnsw_config;
            let Some(params) = config.vectors.get_mut(name.as_str()) else {
                return Err(EngineError::bad_input(format!(
                    "Vector params for {name} are not specified in config"
                )));
            };
            #[derive(Deserialize)]
            struct VectorDiff {
                hnsw_config: Option<Value>,
                quantization_config: Option<Value>,
                on_disk: Option<bool>,
            }
            let d: VectorDiff = from_value(diff.clone())?;
            if let Some(h) = &d.hnsw_config {
                let base = params.hnsw_config.unwrap_or(global_hnsw);
                params.hnsw_config = Some(hnsw_from(&base, Some(h))?);
                let entry = meta
                    .vector_hnsw
                    .entry(name.clone())
                    .or_insert_with(|| json!({}));
                merge(entry, h);
            }
            if let Some(q) = &d.quantization_config {
                params.quantization_config = quantization_diff(q)?;
            }
            if let Some(on_disk) = d.on_disk {
                params.on_disk = Some(on_disk);
            }
        }
    }
    if let Some(sparse) = &update.sparse_vectors {
        for (name, diff) in sparse {
            if !config.sparse_vectors.contains_key(name.as_str()) {
                return Err(EngineError::bad_input(format!(
                    "Vector params for {name} are not specified in config"
                )));
            }
            let entry = meta
                .sparse_vectors
                .entry(name.clone())
                .or_insert_with(|| json!({}));
            merge(entry, diff);
            let params = sparse_params(entry)?;
            config.sparse_vectors.insert(name.clone(), params);
        }
    }
    if let Some(params) = &update.params {
        #[derive(Deserialize)]
        struct ParamsDiff {
            replication_factor: Option<u32>,
            write_consistency_factor: Option<u32>,
            on_disk_payload: Option<bool>,
        }
        let p: ParamsDiff = from_value(params.clone())?;
        if p.replication_factor.is_some() {
            meta.replication_factor = positive("params.replication_factor", p.replication_factor)?;
        }
        if p.write_consistency_factor.is_some() {
            meta.write_consistency_factor = positive(
                "params.write_consistency_factor",
                p.write_consistency_factor,
            )?;
        }
        if let Some(on_disk_payload) = p.on_disk_payload {
            config.on_disk_payload = on_disk_payload;
        }
    }
    if let Some(strict) = &update.strict_mode_config {
        let entry = meta.strict_mode_config.get_or_insert_with(|| json!({}));
        merge(entry, strict);
    }
    if let Some(metadata) = &update.metadata {
        let entry = meta.metadata.get_or_insert_with(|| json!({}));
        merge(entry, metadata);
    }
    Ok(())
}

/// `GET /collections/{name}`: Qdrant's `CollectionInfo`.
pub fn collection_info(collection: &Collection) -> Value {
    let info = collection.shard.info();
    let config = collection.shard.config().clone();
    let meta = collection.meta();
    let vector_json = |name: &str, p: &EdgeVectorParams| {
        let mut v = serde_json::to_value(p).unwrap_or_else(|_| json!({}));
        if let Some(obj) = v.as_object_mut() {
            obj.remove("hnsw_config");
            if let Some(h) = meta.vector_hnsw.get(name) {
                obj.insert("hnsw_config".into(), h.clone());
            }
        }
        v
    };
    let vectors = match config.vectors.get(DEFAULT_VECTOR_NAME) {
        Some(p) if config.vectors.len() == 1 => vector_json(DEFAULT_VECTOR_NAME, p),
        _ => {
            let named: BTreeMap<&String, Value> = config
                .vectors
                .iter()
                .map(|(name, p)| (name, vector_json(name, p)))
                .collect();
            json!(named)
        }
    };
    let mut params = json!({
        "vectors": vectors,
        "shard_number": meta.shard_number,
        "replication_factor": meta.replication_factor,
        "write_consistency_factor": meta.write_consistency_factor,
        "on_disk_payload": config.on_disk_payload,
    });
    if let Some(method) = &meta.sharding_method {
        params["sharding_method"] = method.clone();
    }
    if !config.sparse_vectors.is_empty() {
        let sparse: BTreeMap<&String, Value> = config
            .sparse_vectors
            .keys()
            .map(|name| {
                (
                    name,
                    meta.sparse_vectors
                        .get(name.as_str())
                        .cloned()
                        .unwrap_or_else(|| json!({})),
                )
            })
            .collect();
        params["sparse_vectors"] = json!(sparse);
    }
    let payload_schema: BTreeMap<String, Value> = info
        .payload_schema
        .iter()
        .map(|(key, index)| {
            (
                key.to_string(),
                serde_json::to_value(index).unwrap_or(Value::Null),
            )
        })
        .collect();
    let (status, optimizer_status) = match collection.optimizer_error() {
        Some(e) => ("red", json!({"error": e})),
        None if collection.is_optimizing() => ("yellow", json!("ok")),
        None => ("green", json!("ok")),
    };
    let mut out = json!({
        "status": status,
        "optimizer_status": optimizer_status,
        "indexed_vectors_count": info.indexed_vectors_count,
        "points_count": info.points_count,
        "segments_count": info.segments_count,
        "config": {
            "params": params,
            "hnsw_config": config.hnsw_config,
            "optimizer_config": meta.optimizer_config,
            "wal_config": meta.wal_config,
            "quantization_config": config.quantization_config,
            "strict_mode_config": meta.strict_mode_config.clone().unwrap_or_else(|| json!({"enabled": false})),
        },
        "payload_schema": payload_schema,
    });
    if let Some(metadata) = &meta.metadata {
        out["config"]["metadata"] = metadata.clone();
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Points
// ---------------------------------------------------------------------------------------------

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

fn batch_points(batch: BatchRest) -> Result<Vec<PointStructPersisted>, EngineError> {
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

fn dimension_error(expected: usize, got: usize) -> EngineError {
    EngineError::bad_input(format!(
        "Vector dimension error: expected dim: {expected}, got {got}"
    ))
}

fn vector_name_error(name: &str) -> EngineError {
    EngineError::bad_input(format!("Not existing vector name error: {name}"))
}

fn check_sparse(sparse: &SparseVector) -> Result<(), EngineError> {
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
fn check_vector(
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

fn persisted_to_internal(v: &VectorPersisted) -> Result<VectorInternal, EngineError> {
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

fn check_multi(m: &[Vec<f32>]) -> Result<(), EngineError> {
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

fn vector_json(vector: VectorStructInternal) -> Value {
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
fn shortest_f32(value: &mut Value) {
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

// ---------------------------------------------------------------------------------------------
// Facets
// ---------------------------------------------------------------------------------------------

/// `FacetRequest`.
#[derive(Deserialize)]
pub struct FacetRest {
    key: JsonPath,
    limit: Option<usize>,
    filter: Option<Filter>,
    exact: Option<bool>,
    pub shard_key: Option<ShardKeySelector>,
}

pub fn facet_request(request: FacetRest) -> Result<FacetRequest, EngineError> {
    let limit = request.limit.unwrap_or(10);
    if limit == 0 {
        return Err(EngineError::validation(
            "limit: value 0 invalid, must be 1 or larger",
        ));
    }
    check_filter(request.filter.as_ref())?;
    Ok(FacetRequest {
        key: request.key,
        limit,
        filter: request.filter,
        exact: request.exact.unwrap_or(false),
    })
}

/// `FacetResponse`: hits by descending count, then ascending value.
pub fn facet_json(response: FacetResponse) -> Value {
    let hits: Vec<Value> = response
        .hits
        .into_iter()
        .map(|hit| {
            let value = match hit.value {
                FacetValue::Keyword(s) => Value::String(s),
                FacetValue::Int(i) => Value::from(i),
                FacetValue::Uuid(u) => Value::String(uuid::Uuid::from_u128(u).to_string()),
                FacetValue::Bool(b) => Value::Bool(b),
            };
            json!({"value": value, "count": hit.count})
        })
        .collect();
    json!({"hits": hits})
}

// ---------------------------------------------------------------------------------------------
// Query
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize, Clone)]
pub struct QueryRequestRest {
    pub prefetch: Option<Value>,
    pub query: Option<Value>,
    pub using: Option<String>,
    pub filter: Option<Filter>,
    pub params: Option<SearchParams>,
    pub score_threshold: Option<f32>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
    pub with_vector: Option<WithVector>,
    pub with_payload: Option<WithPayloadInterface>,
    pub lookup_from: Option<LookupFrom>,
    pub shard_key: Option<ShardKeySelector>,
}

/// `lookup_from`: the collection (and vector) whose points give the vectors of examples
/// named by id.
#[derive(Deserialize, Clone)]
pub struct LookupFrom {
    pub collection: String,
    pub vector: Option<String>,
}

/// The collections a query's `lookup_from`s name, at the root and in any prefetch, held
/// open while the query runs.
#[derive(Default)]
pub struct Lookups {
    collections: HashMap<String, std::sync::Arc<Collection>>,
}

impl Lookups {
    pub fn resolve(engine: &Engine, request: &QueryRequestRest) -> Result<Self, EngineError> {
        let mut names = Vec::new();
        if let Some(from) = &request.lookup_from {
            names.push(from.collection.clone());
        }
        if let Some(prefetch) = &request.prefetch {
            prefetch_lookups(prefetch, &mut names);
        }
        let mut lookups = Lookups::default();
        for name in names {
            if let std::collections::hash_map::Entry::Vacant(slot) = lookups.collections.entry(name)
            {
                let collection = engine.get(slot.key())?;
                slot.insert(collection);
            }
        }
        Ok(lookups)
    }

    /// The examples source for a stage with this `lookup_from`.
    fn source<'a>(
        &'a self,
        from: Option<&'a LookupFrom>,
    ) -> Option<(&'a EdgeShard, Option<&'a str>)> {
        let from = from?;
        let collection = self.collections.get(&from.collection)?;
        Some((&collection.shard, from.vector.as_deref()))
    }
}

/// The collection names of `lookup_from`s in a prefetch (one or a list) and its nested ones.
/// Malformed members are left for the parse to report.
fn prefetch_lookups(prefetch: &Value, names: &mut Vec<String>) {
    let stages = match prefetch {
        Value::Array(list) => list.iter().collect(),
        one => vec![one],
    };
    for stage in stages {
        if let Some(name) = stage
            .get("lookup_from")
            .and_then(|from| from.get("collection"))
            .and_then(Value::as_str)
        {
            names.push(name.to_owned());
        }
        if let Some(nested) = stage.get("prefetch") {
            prefetch_lookups(nested, names);
        }
    }
}

/// Where examples named by point id take their vectors: the queried collection (and the
/// ids are left out of the results), or `lookup_from`'s.
struct Examples<'a> {
    shard: &'a EdgeShard,
    lookup: Option<(&'a EdgeShard, Option<&'a str>)>,
}

#[derive(Deserialize)]
struct PrefetchRest {
    prefetch: Option<Value>,
    query: Option<Value>,
    using: Option<String>,
    filter: Option<Filter>,
    params: Option<SearchParams>,
    score_threshold: Option<f32>,
    limit: Option<usize>,
    lookup_from: Option<LookupFrom>,
}

const DEFAULT_LIMIT: usize = 10;

/// Translates a REST query into a shard query; the offset is left for the caller to apply.
/// `lookups` holds the collections its `lookup_from`s name, resolved by the caller.
pub fn query_request(
    shard: &EdgeShard,
    lookups: &Lookups,
    request: QueryRequestRest,
) -> Result<(QueryRequest, usize), EngineError> {
    let limit = request.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 {
        return Err(EngineError::validation(
            "limit: value 0 invalid, must be 1 or larger",
        ));
    }
    let examples = examples(shard, lookups, request.lookup_from.as_ref())?;
    check_filter(request.filter.as_ref())?;
    let offset = request.offset.unwrap_or(0);
    let prefetches = prefetches(shard, lookups, request.prefetch)?;
    let mut filter = request.filter;
    let query = match request.query {
        None | Some(Value::Null) => None,
        Some(q) => {
            let (query, exclude) = scoring_query(
                &examples,
                q,
                request.using.as_deref(),
                !prefetches.is_empty(),
            )?;
            filter = exclude_ids(filter, exclude);
            Some(query)
        }
    };
    if query.is_none() && !prefetches.is_empty() {
        // Qdrant answers a prefetch without a root query with the first prefetch's results.
    }
    let request = QueryRequest {
        prefetches,
        query,
        filter,
        score_threshold: request.score_threshold.map(OrderedFloat),
        limit,
        offset,
        params: request.params,
        with_vector: request.with_vector.unwrap_or(WithVector::Bool(false)),
        with_payload: request
            .with_payload
            .unwrap_or(WithPayloadInterface::Bool(false)),
    };
    Ok((request, offset))
}

fn examples<'a>(
    shard: &'a EdgeShard,
    lookups: &'a Lookups,
    from: Option<&'a LookupFrom>,
) -> Result<Examples<'a>, EngineError> {
    let lookup = lookups.source(from);
    if from.is_some() && lookup.is_none() {
        return Err(EngineError::internal("lookup_from was not resolved"));
    }
    Ok(Examples { shard, lookup })
}

fn prefetches(
    shard: &EdgeShard,
    lookups: &Lookups,
    value: Option<Value>,
) -> Result<Vec<Prefetch>, EngineError> {
    let list = match value {
        None | Some(Value::Null) => return Ok(vec![]),
        Some(Value::Array(list)) => list,
        Some(one) => vec![one],
    };
    list.into_iter()
        .map(|p| {
            let p: PrefetchRest = from_value(p)?;
            let limit = p.limit.unwrap_or(DEFAULT_LIMIT);
            if limit == 0 {
                return Err(EngineError::validation(
                    "prefetch.limit: value 0 invalid, must be 1 or larger",
                ));
            }
            check_filter(p.filter.as_ref())?;
            let nested = prefetches(shard, lookups, p.prefetch)?;
            let mut filter = p.filter;
            let query = match p.query {
                None | Some(Value::Null) => None,
                Some(q) => {
                    let examples = examples(shard, lookups, p.lookup_from.as_ref())?;
                    let (query, exclude) =
                        scoring_query(&examples, q, p.using.as_deref(), !nested.is_empty())?;
                    filter = exclude_ids(filter, exclude);
                    Some(query)
                }
            };
            Ok(Prefetch {
                prefetches: nested,
                query,
                limit,
                params: p.params,
                filter,
                score_threshold: p.score_threshold.map(OrderedFloat),
            })
        })
        .collect()
}

fn exclude_ids(filter: Option<Filter>, ids: Vec<PointId>) -> Option<Filter> {
    if ids.is_empty() {
        return filter;
    }
    let condition = qdrant_edge::Condition::HasId(ids.into_iter().collect::<HasIdCondition>());
    let mut filter = filter.unwrap_or_default();
    filter.must_not.get_or_insert_with(Vec::new).push(condition);
    Some(filter)
}

/// A REST `Query`/`VectorInput`, with the point ids it references (excluded from results).
fn scoring_query(
    examples: &Examples,
    query: Value,
    using: Option<&str>,
    has_prefetch: bool,
) -> Result<(ScoringQuery, Vec<PointId>), EngineError> {
    let using_name = using.unwrap_or(DEFAULT_VECTOR_NAME);
    let mut referenced = Vec::new();
    let Value::Object(mut map) = query else {
        let vector = vector_input(examples, query, using_name, &mut referenced)?;
        return Ok((nearest(vector, using), referenced));
    };
    let scoring = if let Some(nearest_input) = map.remove("nearest") {
        let vector = vector_input(examples, nearest_input, using_name, &mut referenced)?;
        match map.remove("mmr") {
            Some(Value::Null) | None => nearest(vector, using),
            Some(mmr) => {
                #[derive(Deserialize)]
                struct MmrRest {
                    diversity: Option<f32>,
                    candidates_limit: Option<usize>,
                }
                let m: MmrRest = from_value(mmr)?;
                let diversity = m.diversity.unwrap_or(0.5);
                if !(0.0..=1.0).contains(&diversity) {
                    return Err(EngineError::validation(
                        "query.mmr.diversity: must be in 0.0..=1.0",
                    ));
                }
                ScoringQuery::Mmr(Mmr {
                    vector,
                    using: using_name.to_owned(),
                    lambda: OrderedFloat(1.0 - diversity),
                    candidates_limit: m.candidates_limit.unwrap_or(100),
                })
            }
        }
    } else if let Some(fusion) = map.remove("fusion") {
        match fusion.as_str() {
            Some("rrf") => ScoringQuery::Fusion(Fusion::Rrf {
                k: 2,
                weights: None,
            }),
            Some("dbsf") => ScoringQuery::Fusion(Fusion::Dbsf),
            _ => {
                return Err(EngineError::new(
                    400,
                    format!(
                        "Json deserialize error: unknown fusion `{fusion}`, expected `rrf` or `dbsf`"
                    ),
                ));
            }
        }
    } else if let Some(rrf) = map.remove("rrf") {
        #[derive(Deserialize)]
        struct RrfRest {
            k: Option<usize>,
            weights: Option<Vec<f32>>,
        }
        let r: RrfRest = from_value(rrf)?;
        ScoringQuery::Fusion(Fusion::Rrf {
            k: r.k.unwrap_or(2),
            weights: r.weights.map(|w| w.into_iter().map(OrderedFloat).collect()),
        })
    } else if let Some(order_by) = map.remove("order_by") {
        let order_by: OrderByInterface = from_value(order_by)?;
        ScoringQuery::OrderBy(order_by.into())
    } else if let Some(sample) = map.remove("sample") {
        match sample.as_str() {
            Some("random") => ScoringQuery::Sample(Sample::Random),
            _ => {
                return Err(EngineError::new(
                    400,
                    "Json deserialize error: unknown sample, expected `random`",
                ));
            }
        }
    } else if let Some(recommend) = map.remove("recommend") {
        #[derive(Deserialize)]
        struct RecommendRest {
            positive: Option<Vec<Value>>,
            negative: Option<Vec<Value>>,
            strategy: Option<String>,
        }
        let r: RecommendRest = from_value(recommend)?;
        let mut resolve = |list: Option<Vec<Value>>| -> Result<Vec<VectorInternal>, EngineError> {
            list.unwrap_or_default()
                .into_iter()
                .map(|v| vector_input(examples, v, using_name, &mut referenced))
                .collect()
        };
        let positives = resolve(r.positive)?;
        let negatives = resolve(r.negative)?;
        match r.strategy.as_deref().unwrap_or("average_vector") {
            "average_vector" => {
                let vector = average_vector(&positives, &negatives)?;
                nearest(vector, using)
            }
            strategy @ ("best_score" | "sum_scores") => {
                let query = NamedQuery {
                    query: RecommendQuery::new(positives, negatives),
                    using: using.map(str::to_owned),
                };
                ScoringQuery::Vector(if strategy == "best_score" {
                    QueryEnum::RecommendBestScore(query)
                } else {
                    QueryEnum::RecommendSumScores(query)
                })
            }
            other => {
                return Err(EngineError::new(
                    400,
                    format!(
                        "Json deserialize error: unknown variant `{other}`, expected one of `average_vector`, `best_score`, `sum_scores`"
                    ),
                ));
            }
        }
    } else if map.contains_key("indices") && map.contains_key("values") {
        let vector = vector_input(examples, Value::Object(map), using_name, &mut referenced)?;
        return Ok((nearest(vector, using), referenced));
    } else if map.contains_key("formula") {
        return Err(EngineError::bad_input(
            "formula queries are not supported by the embedded engine",
        ));
    } else if let Some(discover) = map.remove("discover") {
        #[derive(Deserialize)]
        struct DiscoverRest {
            target: Value,
            context: Value,
        }
        let d: DiscoverRest = from_value(discover)?;
        let target = vector_input(examples, d.target, using_name, &mut referenced)?;
        let pairs = context_pairs(examples, d.context, using_name, &mut referenced)?;
        ScoringQuery::Vector(QueryEnum::Discover(NamedQuery {
            query: DiscoverQuery::new(target, pairs),
            using: using.map(str::to_owned),
        }))
    } else if let Some(context) = map.remove("context") {
        let pairs = context_pairs(examples, context, using_name, &mut referenced)?;
        if pairs.is_empty() {
            return Err(EngineError::bad_input(
                "context query needs at least one pair of positive and negative examples",
            ));
        }
        ScoringQuery::Vector(QueryEnum::Context(NamedQuery {
            query: ContextQuery::new(pairs),
            using: using.map(str::to_owned),
        }))
    } else if map.contains_key("relevance_feedback") {
        return Err(EngineError::bad_input(
            "relevance feedback queries are not supported by the embedded engine",
        ));
    } else if ["text", "image", "object"]
        .iter()
        .any(|k| map.contains_key(*k))
    {
        return Err(EngineError::bad_input(
            "inference (documents, images, objects) is not supported by the embedded engine",
        ));
    } else {
        return Err(EngineError::new(
            400,
            "Json deserialize error: data did not match any variant of untagged enum QueryInterface",
        ));
    };
    if matches!(scoring, ScoringQuery::Fusion(_)) && !has_prefetch {
        return Err(EngineError::bad_input("Fusion queries require prefetches"));
    }
    Ok((scoring, referenced))
}

/// A `ContextInput`: one `{positive, negative}` pair or a list of them.
fn context_pairs(
    examples: &Examples,
    context: Value,
    using: &str,
    referenced: &mut Vec<PointId>,
) -> Result<Vec<ContextPair<VectorInternal>>, EngineError> {
    #[derive(Deserialize)]
    struct PairRest {
        positive: Value,
        negative: Value,
    }
    let list = match context {
        Value::Null => vec![],
        Value::Array(list) => list,
        one => vec![one],
    };
    list.into_iter()
        .map(|pair| {
            let pair: PairRest = from_value(pair)?;
            Ok(ContextPair {
                positive: vector_input(examples, pair.positive, using, referenced)?,
                negative: vector_input(examples, pair.negative, using, referenced)?,
            })
        })
        .collect()
}

fn nearest(vector: VectorInternal, using: Option<&str>) -> ScoringQuery {
    ScoringQuery::Vector(QueryEnum::Nearest(NamedQuery {
        query: vector,
        using: using.map(str::to_owned),
    }))
}

fn average_vector(
    positives: &[VectorInternal],
    negatives: &[VectorInternal],
) -> Result<VectorInternal, EngineError> {
    let dense = |v: &VectorInternal| match v {
        VectorInternal::Dense(d) => Ok(d.clone()),
        _ => Err(EngineError::bad_input(
            "average_vector recommendation needs dense vectors",
        )),
    };
    let Some(first) = positives.first() else {
        return Err(EngineError::bad_input(
            "At least one positive vector ID required",
        ));
    };
    let dim = dense(first)?.len();
    let mean = |list: &[VectorInternal]| -> Result<Vec<f32>, EngineError> {
        let mut sum = vec![0.0f32; dim];
        for v in list {
            for (s, x) in sum.iter_mut().zip(dense(v)?) {
                *s += x;
            }
        }
        let n = list.len().max(1) as f32;
        Ok(sum.into_iter().map(|s| s / n).collect())
    };
    let pos = mean(positives)?;
    if negatives.is_empty() {
        return Ok(VectorInternal::Dense(pos));
    }
    let neg = mean(negatives)?;
    Ok(VectorInternal::Dense(
        pos.iter().zip(&neg).map(|(p, n)| p + p - n).collect(),
    ))
}

/// A `VectorInput`: dense, sparse or multi-dense vector, or a point id (whose stored vector
/// `using` is taken). Checks it against the collection config.
fn vector_input(
    examples: &Examples,
    input: Value,
    using: &str,
    referenced: &mut Vec<PointId>,
) -> Result<VectorInternal, EngineError> {
    let shard = examples.shard;
    let vector = match input {
        Value::Number(_) | Value::String(_) => {
            let id: PointId = from_value(input)?;
            let config = shard.config().clone();
            if !config.vectors.contains_key(using) && !config.sparse_vectors.contains_key(using) {
                return Err(vector_name_error(using));
            }
            let (source, name) = match examples.lookup {
                Some((lookup, vector)) => (lookup, vector.unwrap_or(using)),
                None => {
                    referenced.push(id);
                    (shard, using)
                }
            };
            let records = source.retrieve(
                &[id],
                Some(WithPayloadInterface::Bool(false)),
                Some(WithVector::Selector(vec![name.to_owned()])),
            )?;
            let Some(record) = records.into_iter().next() else {
                return Err(EngineError::new(
                    404,
                    format!("Not found: No point with id {id} found"),
                ));
            };
            let mut vector = record.vector;
            let Some(vector) = VectorStructInternal::take_opt(&mut vector, name) else {
                return Err(EngineError::bad_input(format!(
                    "Point {id} has no vector `{name}`"
                )));
            };
            if examples.lookup.is_some() {
                // From another collection: it must fit this one's `using`.
                check_vector(&config, using, &vector)?;
            }
            return Ok(vector);
        }
        Value::Array(list) => {
            if list.first().is_some_and(Value::is_array) {
                let multi: Vec<Vec<f32>> = from_value(Value::Array(list))?;
                check_multi(&multi)?;
                VectorInternal::MultiDense(TypedMultiDenseVector::new_unchecked(multi))
            } else {
                VectorInternal::Dense(from_value(Value::Array(list))?)
            }
        }
        Value::Object(map) if map.contains_key("indices") => {
            #[derive(Deserialize)]
            struct SparseRest {
                indices: Vec<u32>,
                values: Vec<f32>,
            }
            let s: SparseRest = from_value(Value::Object(map))?;
            let sparse = SparseVector {
                indices: s.indices,
                values: s.values,
            };
            check_sparse(&sparse)?;
            VectorInternal::Sparse(sparse)
        }
        Value::Object(map)
            if ["text", "image", "object"]
                .iter()
                .any(|k| map.contains_key(*k)) =>
        {
            return Err(EngineError::bad_input(
                "inference (documents, images, objects) is not supported by the embedded engine",
            ));
        }
        _ => {
            return Err(EngineError::new(
                400,
                "Json deserialize error: data did not match any variant of untagged enum VectorInput",
            ));
        }
    };
    check_vector(&shard.config(), using, &vector)?;
    Ok(vector)
}
