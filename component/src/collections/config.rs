//! The JSON of a collection's configuration: the body that creates one, and the HNSW and
//! quantization settings that updates send too.

use serde_json::{Map, Value, json};

use crate::Error;
use crate::model::{
    CollectionConfig, CompressionRatio, HnswConfig, Quantization, ShardingMethod, SparseModifier,
    SparseVectorParams, VectorParams,
};

/// The body of `PUT /collections/{name}`, after checking names and sizes.
pub(super) fn create_body(config: &CollectionConfig) -> Result<Value, Error> {
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

pub(super) fn hnsw_json(hnsw: &HnswConfig) -> Result<Value, Error> {
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

pub(super) fn quantization_json(q: &Quantization) -> Result<Value, Error> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        CollectionUpdate, Distance, ProductQuantization, QuantizationChange, ScalarQuantization,
    };
    use crate::testing::{OK_TRUE, Recorder, client};
    use crate::transport::Method;

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
            sparse_vectors: sparse,
            ..CollectionConfig::of(vectors)
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
}
