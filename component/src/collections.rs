//! Collections, their configuration, aliases and payload indexes.

use serde_json::{Map, Value, json};

use crate::Error;
use crate::model::{
    Alias, CollectionConfig, CollectionInfo, CollectionStatus, CollectionUpdate, CompressionRatio,
    Distance, HnswConfig, PayloadSchemaType, Quantization, QuantizationChange, ShardingMethod,
    SparseModifier, SparseVectorParams, UpdateResult, VectorParams,
};
use crate::rest::{
    Qdrant, Retry, check_name, collection_path, decode, percent_encode, update_result,
};
use crate::transport::{InFlight, Method, Transport};

impl<T: Transport> Qdrant<T> {
    /// Creates a collection with one unnamed dense vector.
    pub fn create_collection(
        &self,
        name: &str,
        size: u64,
        distance: Distance,
    ) -> Result<(), Error> {
        let config = CollectionConfig::of(vec![VectorParams {
            name: String::new(),
            size,
            distance,
            on_disk: None,
            hnsw: None,
            quantization: None,
        }]);
        self.create_collection_with(name, &config)
    }

    pub fn create_collection_with(
        &self,
        name: &str,
        config: &CollectionConfig,
    ) -> Result<(), Error> {
        let path = self.timed_path(collection_path(name, "")?);
        let body = create_body(config)?;
        self.result(Method::Put, &path, Some(body), Retry::Never)
            .map(|_| ())
    }

    pub fn update_collection(&self, name: &str, update: &CollectionUpdate) -> Result<(), Error> {
        let path = self.timed_path(collection_path(name, "")?);
        let mut body = Map::new();
        if let Some(hnsw) = &update.hnsw {
            body.insert("hnsw_config".into(), hnsw_json(hnsw)?);
        }
        match &update.quantization {
            Some(QuantizationChange::Enable(q)) => {
                body.insert("quantization_config".into(), quantization_json(q)?);
            }
            Some(QuantizationChange::Disable) => {
                body.insert("quantization_config".into(), json!("Disabled"));
            }
            None => {}
        }
        if body.is_empty() {
            return Err(Error::InvalidInput("the update changes nothing".into()));
        }
        // Re-applying the same settings is harmless, so a dropped update may be resent.
        self.result(
            Method::Patch,
            &path,
            Some(Value::Object(body)),
            Retry::Idempotent,
        )
        .map(|_| ())
    }

    /// Deletes a collection; `false` when it did not exist.
    pub fn delete_collection(&self, name: &str) -> Result<bool, Error> {
        let path = self.timed_path(collection_path(name, "")?);
        self.result(Method::Delete, &path, None, Retry::Idempotent)?
            .as_bool()
            .ok_or_else(|| decode("delete collection: result is not a boolean"))
    }

    pub fn collection_exists(&self, name: &str) -> Result<bool, Error> {
        let path = collection_path(name, "/exists")?;
        self.result(Method::Get, &path, None, Retry::Idempotent)?
            .get("exists")
            .and_then(Value::as_bool)
            .ok_or_else(|| decode("collection exists: no `exists` boolean"))
    }

    pub fn get_collection(&self, name: &str) -> Result<CollectionInfo, Error> {
        self.collection_info_of(&self.held(Method::Get, &collection_path(name, "")?, None))
    }

    /// Begins `GET /collections/{name}`, so the caller can work while it is in flight;
    /// [`Qdrant::collection_info_of`] reads the answer.
    pub(crate) fn begin_get_collection(&self, name: &str) -> Result<InFlight, Error> {
        Ok(self.begin(Method::Get, &collection_path(name, "")?, None))
    }

    /// The collection's description from the answer to its `GET /collections/{name}`.
    pub(crate) fn collection_info_of(&self, asked: &InFlight) -> Result<CollectionInfo, Error> {
        decode_info(&self.result_of(asked, Retry::Idempotent)?)
    }

    pub fn list_collections(&self) -> Result<Vec<String>, Error> {
        let result = self.result(Method::Get, "/collections", None, Retry::Idempotent)?;
        result
            .get("collections")
            .and_then(Value::as_array)
            .ok_or_else(|| decode("list collections: no `collections` list"))?
            .iter()
            .map(|c| {
                c.get("name")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| decode("list collections: entry without a name"))
            })
            .collect()
    }

    pub fn create_alias(&self, alias: &str, collection: &str) -> Result<(), Error> {
        check_name(alias, "alias")?;
        check_name(collection, "collection name")?;
        let action = json!({"create_alias": {"collection_name": collection, "alias_name": alias}});
        self.alias_actions(action, Retry::Never)
    }

    pub fn delete_alias(&self, alias: &str) -> Result<(), Error> {
        check_name(alias, "alias")?;
        self.alias_actions(
            json!({"delete_alias": {"alias_name": alias}}),
            Retry::Idempotent,
        )
    }

    fn alias_actions(&self, action: Value, retry: Retry) -> Result<(), Error> {
        let path = self.timed_path("/collections/aliases".into());
        self.result(
            Method::Post,
            &path,
            Some(json!({"actions": [action]})),
            retry,
        )
        .map(|_| ())
    }

    pub fn list_aliases(&self, collection: Option<&str>) -> Result<Vec<Alias>, Error> {
        let path = match collection {
            Some(name) => collection_path(name, "/aliases")?,
            None => "/aliases".into(),
        };
        let result = self.result(Method::Get, &path, None, Retry::Idempotent)?;
        result
            .get("aliases")
            .and_then(Value::as_array)
            .ok_or_else(|| decode("list aliases: no `aliases` list"))?
            .iter()
            .map(|a| {
                let field = |k: &str| a.get(k).and_then(Value::as_str).map(str::to_owned);
                match (field("alias_name"), field("collection_name")) {
                    (Some(alias), Some(collection)) => Ok(Alias { alias, collection }),
                    _ => Err(decode("alias without alias_name or collection_name")),
                }
            })
            .collect()
    }

    pub fn create_payload_index(
        &self,
        collection: &str,
        field: &str,
        schema: PayloadSchemaType,
        wait: bool,
    ) -> Result<UpdateResult, Error> {
        check_field(field)?;
        let path = self.write_path(collection_path(collection, "/index")?, wait);
        let body = json!({"field_name": field, "field_schema": schema_name(schema)});
        update_result(&self.result(Method::Put, &path, Some(body), Retry::Idempotent)?)
    }

    pub fn delete_payload_index(
        &self,
        collection: &str,
        field: &str,
        wait: bool,
    ) -> Result<UpdateResult, Error> {
        check_field(field)?;
        let suffix = format!("/index/{}", percent_encode(field));
        let path = self.write_path(collection_path(collection, &suffix)?, wait);
        update_result(&self.result(Method::Delete, &path, None, Retry::Idempotent)?)
    }
}

fn check_field(field: &str) -> Result<(), Error> {
    if field.trim().is_empty() {
        return Err(Error::InvalidInput("field name must not be empty".into()));
    }
    Ok(())
}

/// Qdrant's name of a payload index type.
pub(crate) fn schema_name(schema: PayloadSchemaType) -> &'static str {
    match schema {
        PayloadSchemaType::Keyword => "keyword",
        PayloadSchemaType::Integer => "integer",
        PayloadSchemaType::Float => "float",
        PayloadSchemaType::Boolean => "bool",
        PayloadSchemaType::Geo => "geo",
        PayloadSchemaType::Datetime => "datetime",
        PayloadSchemaType::Text => "text",
        PayloadSchemaType::Uuid => "uuid",
    }
}

const STATUS_NAMES: [(CollectionStatus, &str); 4] = [
    (CollectionStatus::Green, "green"),
    (CollectionStatus::Yellow, "yellow"),
    (CollectionStatus::Grey, "grey"),
    (CollectionStatus::Red, "red"),
];

/// Qdrant's name of a collection status.
pub(crate) fn status_name(status: CollectionStatus) -> &'static str {
    STATUS_NAMES
        .iter()
        .find(|(s, _)| *s == status)
        .map_or("red", |(_, name)| name)
}

fn status_from_name(name: &str) -> Option<CollectionStatus> {
    STATUS_NAMES
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(s, _)| *s)
}

fn schema_from_name(name: &str) -> Option<PayloadSchemaType> {
    Some(match name {
        "keyword" => PayloadSchemaType::Keyword,
        "integer" => PayloadSchemaType::Integer,
        "float" => PayloadSchemaType::Float,
        "bool" => PayloadSchemaType::Boolean,
        "geo" => PayloadSchemaType::Geo,
        "datetime" => PayloadSchemaType::Datetime,
        "text" => PayloadSchemaType::Text,
        "uuid" => PayloadSchemaType::Uuid,
        _ => return None,
    })
}

/// The body of `PUT /collections/{name}`, after checking names and sizes.
fn create_body(config: &CollectionConfig) -> Result<Value, Error> {
    let mut names = std::collections::HashSet::new();
    for name in config
        .vectors
        .iter()
        .map(|v| &v.name)
        .chain(config.sparse_vectors.iter().map(|s| &s.name))
    {
        if !names.insert(name.as_str()) {
            return Err(Error::InvalidInput(format!(
                "vector name `{name}` is used twice"
            )));
        }
    }
    if config.vectors.is_empty() && config.sparse_vectors.is_empty() {
        return Err(Error::InvalidInput(
            "a collection needs at least one dense or sparse vector".into(),
        ));
    }
    let mut body = Map::new();
    match config.vectors.as_slice() {
        [] => {}
        [single] if single.name.is_empty() => {
            body.insert("vectors".into(), vector_params_json(single)?);
        }
        named => {
            let mut map = Map::new();
            for params in named {
                if params.name.is_empty() {
                    return Err(Error::InvalidInput(
                        "the unnamed vector cannot be combined with named dense vectors".into(),
                    ));
                }
                map.insert(params.name.clone(), vector_params_json(params)?);
            }
            body.insert("vectors".into(), Value::Object(map));
        }
    }
    if !config.sparse_vectors.is_empty() {
        let mut map = Map::new();
        for sparse in &config.sparse_vectors {
            if sparse.name.is_empty() {
                return Err(Error::InvalidInput("sparse vectors need a name".into()));
            }
            map.insert(sparse.name.clone(), sparse_params_json(sparse));
        }
        body.insert("sparse_vectors".into(), Value::Object(map));
    }
    if let Some(hnsw) = &config.hnsw {
        body.insert("hnsw_config".into(), hnsw_json(hnsw)?);
    }
    if let Some(q) = &config.quantization {
        body.insert("quantization_config".into(), quantization_json(q)?);
    }
    let numbers = [
        ("shard_number", config.shard_number),
        ("replication_factor", config.replication_factor),
        ("write_consistency_factor", config.write_consistency_factor),
    ];
    for (key, value) in numbers {
        match value {
            Some(0) => return Err(Error::InvalidInput(format!("{key} must be at least 1"))),
            Some(n) => {
                body.insert(key.into(), json!(n));
            }
            None => {}
        }
    }
    if let Some(method) = config.sharding_method {
        let method = match method {
            ShardingMethod::Auto => "auto",
            ShardingMethod::Custom => "custom",
        };
        body.insert("sharding_method".into(), json!(method));
    }
    if let Some(on_disk) = config.on_disk_payload {
        body.insert("on_disk_payload".into(), json!(on_disk));
    }
    Ok(Value::Object(body))
}

fn vector_params_json(params: &VectorParams) -> Result<Value, Error> {
    if params.size == 0 {
        return Err(Error::InvalidInput("vector size must be at least 1".into()));
    }
    let mut out = Map::new();
    out.insert("size".into(), json!(params.size));
    out.insert("distance".into(), json!(params.distance.as_qdrant()));
    if let Some(on_disk) = params.on_disk {
        out.insert("on_disk".into(), json!(on_disk));
    }
    if let Some(hnsw) = &params.hnsw {
        out.insert("hnsw_config".into(), hnsw_json(hnsw)?);
    }
    if let Some(q) = &params.quantization {
        out.insert("quantization_config".into(), quantization_json(q)?);
    }
    Ok(Value::Object(out))
}

fn sparse_params_json(params: &SparseVectorParams) -> Value {
    let mut out = Map::new();
    if params.modifier == SparseModifier::Idf {
        out.insert("modifier".into(), json!("idf"));
    }
    if let Some(on_disk) = params.on_disk {
        out.insert("index".into(), json!({"on_disk": on_disk}));
    }
    Value::Object(out)
}

fn hnsw_json(hnsw: &HnswConfig) -> Result<Value, Error> {
    let mut out = Map::new();
    if let Some(m) = hnsw.m {
        out.insert("m".into(), json!(m));
    }
    if let Some(ef) = hnsw.ef_construct {
        if ef < 4 {
            return Err(Error::InvalidInput(
                "hnsw ef-construct must be at least 4".into(),
            ));
        }
        out.insert("ef_construct".into(), json!(ef));
    }
    if let Some(t) = hnsw.full_scan_threshold {
        out.insert("full_scan_threshold".into(), json!(t));
    }
    if let Some(on_disk) = hnsw.on_disk {
        out.insert("on_disk".into(), json!(on_disk));
    }
    Ok(Value::Object(out))
}

fn quantization_json(q: &Quantization) -> Result<Value, Error> {
    let with_ram = |mut body: Map<String, Value>, always_ram: Option<bool>| {
        if let Some(ram) = always_ram {
            body.insert("always_ram".into(), json!(ram));
        }
        Value::Object(body)
    };
    Ok(match q {
        Quantization::Scalar(s) => {
            let mut body = Map::new();
            body.insert("type".into(), json!("int8"));
            if let Some(quantile) = s.quantile {
                if !(0.5..=1.0).contains(&quantile) {
                    return Err(Error::InvalidInput(
                        "scalar quantile must be between 0.5 and 1".into(),
                    ));
                }
                body.insert("quantile".into(), json!(quantile));
            }
            json!({"scalar": with_ram(body, s.always_ram)})
        }
        Quantization::Product(p) => {
            let ratio = match p.compression {
                CompressionRatio::X4 => "x4",
                CompressionRatio::X8 => "x8",
                CompressionRatio::X16 => "x16",
                CompressionRatio::X32 => "x32",
                CompressionRatio::X64 => "x64",
            };
            let mut body = Map::new();
            body.insert("compression".into(), json!(ratio));
            json!({"product": with_ram(body, p.always_ram)})
        }
        Quantization::Binary(b) => json!({"binary": with_ram(Map::new(), b.always_ram)}),
    })
}

fn decode_info(result: &Value) -> Result<CollectionInfo, Error> {
    let status = result
        .get("status")
        .and_then(Value::as_str)
        .and_then(status_from_name)
        .ok_or_else(|| decode("collection info: unknown status"))?;
    let config = result
        .get("config")
        .ok_or_else(|| decode("collection info: no config"))?;
    let params = &config["params"];
    let vectors = match params.get("vectors") {
        None | Some(Value::Null) => vec![],
        Some(v) if v.get("size").is_some() => vec![decode_vector_params("", v)?],
        Some(Value::Object(named)) => named
            .iter()
            .map(|(name, v)| decode_vector_params(name, v))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(decode("collection info: vectors is not an object")),
    };
    let sparse_vectors = match params.get("sparse_vectors") {
        Some(Value::Object(map)) => map
            .iter()
            .map(|(name, v)| SparseVectorParams {
                name: name.clone(),
                modifier: if v.get("modifier").and_then(Value::as_str) == Some("idf") {
                    SparseModifier::Idf
                } else {
                    SparseModifier::None
                },
                on_disk: v.pointer("/index/on_disk").and_then(Value::as_bool),
            })
            .collect(),
        _ => vec![],
    };
    let mut payload_schema: Vec<(String, PayloadSchemaType)> = match result.get("payload_schema") {
        Some(Value::Object(map)) => map
            .iter()
            .filter_map(|(field, info)| {
                let kind = info.get("data_type").and_then(Value::as_str)?;
                Some((field.clone(), schema_from_name(kind)?))
            })
            .collect(),
        _ => vec![],
    };
    payload_schema.sort_by(|a, b| a.0.cmp(&b.0));
    let count = |key: &str| result.get(key).and_then(Value::as_u64);
    let u32_param = |key: &str| {
        params
            .get(key)
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
    };
    Ok(CollectionInfo {
        status,
        points_count: count("points_count"),
        indexed_vectors_count: count("indexed_vectors_count"),
        segments_count: count("segments_count").unwrap_or(0),
        vectors,
        sparse_vectors,
        shard_number: u32_param("shard_number"),
        replication_factor: u32_param("replication_factor"),
        payload_schema,
        config_json: config.to_string(),
    })
}

fn decode_vector_params(name: &str, v: &Value) -> Result<VectorParams, Error> {
    let size = v
        .get("size")
        .and_then(Value::as_u64)
        .ok_or_else(|| decode("vector params without a size"))?;
    let distance = v
        .get("distance")
        .and_then(Value::as_str)
        .and_then(Distance::from_qdrant)
        .ok_or_else(|| decode("vector params with an unknown distance"))?;
    let hnsw = v.get("hnsw_config").filter(|h| h.is_object()).map(|h| {
        let n = |k: &str| h.get(k).and_then(Value::as_u64).map(|n| n as u32);
        HnswConfig {
            m: n("m"),
            ef_construct: n("ef_construct"),
            full_scan_threshold: n("full_scan_threshold"),
            on_disk: h.get("on_disk").and_then(Value::as_bool),
        }
    });
    Ok(VectorParams {
        name: name.into(),
        size,
        distance,
        on_disk: v.get("on_disk").and_then(Value::as_bool),
        hnsw,
        // Reported in `config-json`; decoding it back into the variant adds nothing.
        quantization: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ProductQuantization, ScalarQuantization};
    use crate::testing::{OK_TRUE, OK_UPDATE, Recorder, client, ok};

    fn params(name: &str, size: u64) -> VectorParams {
        VectorParams {
            name: name.into(),
            size,
            distance: Distance::Cosine,
            on_disk: None,
            hnsw: None,
            quantization: None,
        }
    }

    fn config(vectors: Vec<VectorParams>, sparse: Vec<SparseVectorParams>) -> CollectionConfig {
        CollectionConfig {
            vectors,
            sparse_vectors: sparse,
            hnsw: None,
            quantization: None,
            on_disk_payload: None,
            shard_number: None,
            replication_factor: None,
            write_consistency_factor: None,
            sharding_method: None,
        }
    }

    #[test]
    fn named_sparse_and_cluster_settings_are_sent() {
        let rec = Recorder::default().reply(200, OK_TRUE);
        let mut cfg = config(
            vec![params("text", 384), params("image", 512)],
            vec![SparseVectorParams {
                name: "bm25".into(),
                modifier: SparseModifier::Idf,
                on_disk: None,
            }],
        );
        cfg.hnsw = Some(HnswConfig {
            m: Some(32),
            ef_construct: Some(200),
            full_scan_threshold: None,
            on_disk: None,
        });
        cfg.quantization = Some(Quantization::Scalar(ScalarQuantization {
            quantile: Some(0.99),
            always_ram: Some(true),
        }));
        cfg.shard_number = Some(2);
        cfg.replication_factor = Some(2);
        cfg.write_consistency_factor = Some(1);
        cfg.sharding_method = Some(ShardingMethod::Custom);
        client(&rec, None)
            .create_collection_with("c", &cfg)
            .unwrap();
        assert_eq!(
            rec.bodies()[0],
            json!({
                "vectors": {"text": {"size": 384, "distance": "Cosine"},
                            "image": {"size": 512, "distance": "Cosine"}},
                "sparse_vectors": {"bm25": {"modifier": "idf"}},
                "hnsw_config": {"m": 32, "ef_construct": 200},
                "quantization_config": {"scalar": {"type": "int8", "quantile": 0.99f32, "always_ram": true}},
                "shard_number": 2, "replication_factor": 2, "write_consistency_factor": 1,
                "sharding_method": "custom"
            })
        );
    }

    #[test]
    fn inconsistent_layouts_send_nothing() {
        let rec = Recorder::default();
        let c = client(&rec, None);
        let bad = [
            config(vec![], vec![]),
            config(vec![params("", 4), params("a", 4)], vec![]),
            config(vec![params("a", 4), params("a", 8)], vec![]),
            config(vec![params("a", 0)], vec![]),
            config(
                vec![params("a", 4)],
                vec![SparseVectorParams {
                    name: "a".into(),
                    modifier: SparseModifier::None,
                    on_disk: None,
                }],
            ),
        ];
        for cfg in bad {
            assert!(
                matches!(
                    c.create_collection_with("c", &cfg),
                    Err(Error::InvalidInput(_))
                ),
                "{cfg:?}"
            );
        }
        assert!(rec.sent.borrow().is_empty());
    }

    #[test]
    fn quantization_can_be_enabled_and_disabled() {
        let rec = Recorder::default().reply(200, OK_TRUE).reply(200, OK_TRUE);
        let c = client(&rec, None);
        let pq = Quantization::Product(ProductQuantization {
            compression: CompressionRatio::X16,
            always_ram: None,
        });
        c.update_collection(
            "c",
            &CollectionUpdate {
                hnsw: None,
                quantization: Some(QuantizationChange::Enable(pq)),
            },
        )
        .unwrap();
        c.update_collection(
            "c",
            &CollectionUpdate {
                hnsw: None,
                quantization: Some(QuantizationChange::Disable),
            },
        )
        .unwrap();
        assert_eq!(rec.sent.borrow()[0].method, Method::Patch);
        assert_eq!(
            rec.bodies(),
            [
                json!({"quantization_config": {"product": {"compression": "x16"}}}),
                json!({"quantization_config": "Disabled"})
            ]
        );
    }

    #[test]
    fn info_decodes_named_and_unnamed_layouts() {
        let unnamed = json!({
            "status": "green", "optimizer_status": "ok", "points_count": 3,
            "indexed_vectors_count": 0, "segments_count": 2,
            "config": {"params": {"vectors": {"size": 4, "distance": "Dot"},
                                  "shard_number": 1, "replication_factor": 1},
                       "hnsw_config": {"m": 16}},
            "payload_schema": {"lang": {"data_type": "keyword", "points": 3}}
        });
        let named = json!({
            "status": "yellow", "segments_count": 1,
            "config": {"params": {
                "vectors": {"a": {"size": 2, "distance": "Euclid", "on_disk": true}},
                "sparse_vectors": {"s": {"modifier": "idf"}}}}
        });
        let rec = Recorder::default()
            .reply(200, &ok(unnamed))
            .reply(200, &ok(named));
        let c = client(&rec, None);
        let info = c.get_collection("c").unwrap();
        assert_eq!(info.status, CollectionStatus::Green);
        assert_eq!(info.points_count, Some(3));
        assert_eq!(info.vectors[0].size, 4);
        assert_eq!(info.vectors[0].distance, Distance::Dot);
        assert_eq!(info.shard_number, Some(1));
        assert_eq!(
            info.payload_schema,
            [("lang".into(), PayloadSchemaType::Keyword)]
        );
        let info = c.get_collection("c").unwrap();
        assert_eq!(info.vectors[0].name, "a");
        assert_eq!(info.vectors[0].on_disk, Some(true));
        assert_eq!(info.sparse_vectors[0].modifier, SparseModifier::Idf);
    }

    #[test]
    fn aliases_and_indexes_use_qdrant_shapes() {
        let aliases = ok(json!({"aliases": [{"alias_name": "prod", "collection_name": "c"}]}));
        let rec = Recorder::default()
            .reply(200, OK_TRUE)
            .reply(200, &aliases)
            .reply(200, OK_UPDATE)
            .reply(200, OK_UPDATE);
        let c = client(&rec, None);
        c.create_alias("prod", "c").unwrap();
        assert_eq!(
            c.list_aliases(Some("c")).unwrap(),
            [Alias {
                alias: "prod".into(),
                collection: "c".into()
            }]
        );
        let done = c
            .create_payload_index("c", "flag", PayloadSchemaType::Boolean, true)
            .unwrap();
        assert!(done.completed);
        c.delete_payload_index("c", "a b", false).unwrap();
        assert_eq!(
            rec.urls(),
            [
                "http://qdrant:6333/collections/aliases",
                "http://qdrant:6333/collections/c/aliases",
                "http://qdrant:6333/collections/c/index?wait=true",
                "http://qdrant:6333/collections/c/index/a%20b?wait=false",
            ]
        );
        let bodies = rec.bodies();
        assert_eq!(
            bodies[0],
            json!({"actions": [{"create_alias": {"collection_name": "c", "alias_name": "prod"}}]})
        );
        assert_eq!(
            bodies[2],
            json!({"field_name": "flag", "field_schema": "bool"})
        );
    }
}
