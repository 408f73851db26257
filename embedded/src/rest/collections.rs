//! Collection bodies: create and update (vectors, HNSW, quantization, optimizers, WAL)
//! translated to the edge config, and `CollectionInfo` back.

use super::*;

#[derive(Deserialize)]
pub struct CreateCollection {
    pub vectors: Option<Value>,
    pub sparse_vectors: Option<BTreeMap<String, Value>>,
    pub shard_number: Option<u32>,
    pub sharding_method: Option<crate::sharding::ShardingMethod>,
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
pub(crate) struct VectorParamsRest {
    size: u64,
    distance: Distance,
    hnsw_config: Option<Value>,
    quantization_config: Option<QuantizationConfig>,
    on_disk: Option<bool>,
    datatype: Option<VectorStorageDatatype>,
    multivector_config: Option<MultiVectorConfig>,
}

#[derive(Deserialize)]
pub(crate) struct SparseParamsRest {
    index: Option<SparseIndexRest>,
    modifier: Option<Modifier>,
}

#[derive(Deserialize)]
pub(crate) struct SparseIndexRest {
    full_scan_threshold: Option<usize>,
    on_disk: Option<bool>,
    datatype: Option<VectorStorageDatatype>,
}

pub(crate) fn positive(name: &str, value: Option<u32>) -> Result<u32, EngineError> {
    match value {
        Some(0) => Err(EngineError::validation(format!(
            "{name}: value 0 invalid, must be 1 or larger"
        ))),
        Some(v) => Ok(v),
        None => Ok(1),
    }
}

pub(crate) fn hnsw_from(
    base: &HnswIndexConfig,
    diff: Option<&Value>,
) -> Result<HnswIndexConfig, EngineError> {
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

pub(crate) fn edge_optimizers(config: &Value) -> Result<EdgeOptimizersConfig, EngineError> {
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

pub(crate) fn wal_options(wal: &Value) -> Result<WalOptions, EngineError> {
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

pub(crate) fn dense_params(
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

pub(crate) fn sparse_params(value: &Value) -> Result<EdgeSparseVectorParams, EngineError> {
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
pub(crate) fn parse_vectors(
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
        sharding_method: request.sharding_method.map(|m| json!(m)),
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
