//! Collections: create, change, delete, list and describe them. Their configuration's JSON,
//! aliases and payload indexes are in the modules below.

use serde_json::{Map, Value, json};

use crate::Error;
use crate::model::{
    CollectionConfig, CollectionInfo, CollectionStatus, CollectionUpdate, Distance, HnswConfig,
    PayloadSchemaType, QuantizationChange, SparseModifier, SparseVectorParams, VectorParams,
};
use crate::rest::{Qdrant, Retry, collection_path, decode};
use crate::transport::{InFlight, Method, Transport};

mod aliases;
mod config;
mod payload_indexes;

pub use payload_indexes::schema_name;

use config::{create_body, hnsw_json, quantization_json};
use payload_indexes::schema_from_name;

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
}

const STATUS_NAMES: [(CollectionStatus, &str); 4] = [
    (CollectionStatus::Green, "green"),
    (CollectionStatus::Yellow, "yellow"),
    (CollectionStatus::Grey, "grey"),
    (CollectionStatus::Red, "red"),
];

/// Qdrant's name of a collection status (hosts that link this crate use it too).
pub fn status_name(status: CollectionStatus) -> &'static str {
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
    use crate::testing::{Recorder, client, ok};

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
}
