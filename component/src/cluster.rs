//! Qdrant's cluster parameters: read consistency, write ordering and custom sharding
//! (shard-key selectors and the shard-key endpoints). A single-node server takes them too,
//! so a client written for a cluster runs unchanged on one machine.

use serde_json::{Value, json};

use crate::Error;
use crate::model::{ReadConsistency, ShardKey, ShardKeySelector, WriteOrdering};
use crate::rest::{Qdrant, Retry, collection_path, decode};
use crate::transport::{Method, Transport};

impl<T: Transport> Qdrant<T> {
    /// `PUT /collections/{name}/shards`: the shards of `key`, with the collection's default
    /// shard number and replication.
    pub fn create_shard_key(&self, collection: &str, key: &ShardKey) -> Result<(), Error> {
        let path = self.timed_path(collection_path(collection, "/shards")?);
        // A resent create would turn a success into "already exists": never resent.
        let body = json!({"shard_key": shard_key_json(key)?});
        self.result(Method::Put, &path, Some(body), Retry::Never)
            .map(drop)
    }

    /// `POST /collections/{name}/shards/delete`: the key's shards and their points.
    pub fn delete_shard_key(&self, collection: &str, key: &ShardKey) -> Result<(), Error> {
        let path = self.timed_path(collection_path(collection, "/shards/delete")?);
        let body = json!({"shard_key": shard_key_json(key)?});
        // Qdrant refuses to delete a key that is gone: a resent delete whose first answer
        // was lost would report a failure for a delete that worked. Never resent.
        self.result(Method::Post, &path, Some(body), Retry::Never)
            .map(drop)
    }

    /// `GET /collections/{name}/shards`: the shard keys, empty for an auto-sharded
    /// collection.
    pub fn list_shard_keys(&self, collection: &str) -> Result<Vec<ShardKey>, Error> {
        let path = collection_path(collection, "/shards")?;
        let result = self.result(Method::Get, &path, None, Retry::Idempotent)?;
        let keys = match result.get("shard_keys") {
            None | Some(Value::Null) => return Ok(vec![]),
            Some(Value::Array(keys)) => keys,
            Some(_) => return Err(decode("list shard keys: `shard_keys` is not a list")),
        };
        keys.iter()
            .map(|described| match described.get("key") {
                Some(Value::String(s)) => Ok(ShardKey::Keyword(s.clone())),
                Some(Value::Number(n)) if n.is_u64() => {
                    Ok(ShardKey::Number(n.as_u64().unwrap_or_default()))
                }
                _ => Err(decode(
                    "list shard keys: a key is neither a string nor a number",
                )),
            })
            .collect()
    }
}

/// The `consistency` query parameter's value.
pub(crate) fn consistency_param(consistency: &ReadConsistency) -> String {
    match consistency {
        ReadConsistency::Factor(n) => n.to_string(),
        ReadConsistency::Majority => "majority".into(),
        ReadConsistency::Quorum => "quorum".into(),
        ReadConsistency::All => "all".into(),
    }
}

/// The `ordering` query parameter's value.
pub(crate) fn ordering_param(ordering: WriteOrdering) -> &'static str {
    match ordering {
        WriteOrdering::Weak => "weak",
        WriteOrdering::Medium => "medium",
        WriteOrdering::Strong => "strong",
    }
}

/// A shard key as Qdrant writes it: a string or an unsigned integer. Qdrant refuses an
/// empty keyword, so the component does too, before anything is sent.
pub(crate) fn shard_key_json(key: &ShardKey) -> Result<Value, Error> {
    match key {
        ShardKey::Keyword(s) if s.is_empty() => Err(Error::InvalidInput(
            "a shard key must not be an empty string".into(),
        )),
        ShardKey::Keyword(s) => Ok(Value::String(s.clone())),
        ShardKey::Number(n) => Ok(json!(n)),
    }
}

/// The `shard_key` member of a request body: one key, a list, or `{target, fallback}`.
/// It must leave room in an upsert body's end (see [`crate::points::MAX_BODY_END`]).
pub(crate) fn shard_selector_json(selector: &ShardKeySelector) -> Result<Value, Error> {
    let json = selector_value(selector)?;
    let len = json.to_string().len();
    if len > MAX_SELECTOR_BYTES {
        return Err(Error::InvalidInput(format!(
            "shard-key selector is {len} bytes as JSON, over {MAX_SELECTOR_BYTES}"
        )));
    }
    Ok(json)
}

const MAX_SELECTOR_BYTES: usize = crate::points::MAX_BODY_END - 64;

fn selector_value(selector: &ShardKeySelector) -> Result<Value, Error> {
    match selector {
        ShardKeySelector::Keys(keys) => match keys.as_slice() {
            [] => Err(Error::InvalidInput(
                "shard-key selector names no key (leave it unset to use every shard)".into(),
            )),
            [one] => shard_key_json(one),
            many => many
                .iter()
                .map(shard_key_json)
                .collect::<Result<_, _>>()
                .map(Value::Array),
        },
        ShardKeySelector::WithFallback(f) => Ok(json!({
            "target": shard_key_json(&f.target)?,
            "fallback": shard_key_json(&f.fallback)?,
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;
    use crate::testing::{Recorder, client, ok};

    fn keyword(s: &str) -> ShardKey {
        ShardKey::Keyword(s.into())
    }

    #[test]
    fn selectors_are_written_as_qdrant_reads_them() {
        let one = ShardKeySelector::Keys(vec![keyword("eu")]);
        assert_eq!(shard_selector_json(&one).unwrap(), json!("eu"));
        let two = ShardKeySelector::Keys(vec![keyword("eu"), ShardKey::Number(7)]);
        assert_eq!(shard_selector_json(&two).unwrap(), json!(["eu", 7]));
        let fallback = ShardKeySelector::WithFallback(ShardKeyFallback {
            target: keyword("tenant-9"),
            fallback: keyword("default"),
        });
        assert_eq!(
            shard_selector_json(&fallback).unwrap(),
            json!({"target": "tenant-9", "fallback": "default"})
        );
        for bad in [
            ShardKeySelector::Keys(vec![]),
            ShardKeySelector::Keys(vec![keyword("")]),
        ] {
            assert!(matches!(
                shard_selector_json(&bad),
                Err(crate::Error::InvalidInput(_))
            ));
        }
    }

    #[test]
    fn shard_key_endpoints() {
        let rec = Recorder::default()
            .reply(200, &ok(json!(true)))
            .reply(200, &ok(json!({"shard_keys": [{"key": "eu"}, {"key": 7}]})))
            .reply(200, &ok(json!({"shard_keys": null})))
            .reply(200, &ok(json!(true)));
        let q = client(&rec, None);
        q.create_shard_key("c", &keyword("eu")).unwrap();
        assert_eq!(
            q.list_shard_keys("c").unwrap(),
            vec![keyword("eu"), ShardKey::Number(7)]
        );
        assert_eq!(q.list_shard_keys("c").unwrap(), vec![]);
        q.delete_shard_key("c", &ShardKey::Number(7)).unwrap();
        assert_eq!(
            rec.urls(),
            [
                "http://qdrant:6333/collections/c/shards",
                "http://qdrant:6333/collections/c/shards",
                "http://qdrant:6333/collections/c/shards",
                "http://qdrant:6333/collections/c/shards/delete",
            ]
        );
        let bodies = rec.bodies();
        assert_eq!(bodies[0], json!({"shard_key": "eu"}));
        assert_eq!(bodies[3], json!({"shard_key": 7}));
    }

    /// Every read of points carries the consistency, every write the ordering, and both
    /// the configured shard keys.
    #[test]
    fn reads_and_writes_carry_the_cluster_parameters() {
        let update = crate::testing::OK_UPDATE;
        let mut rec = Recorder::default();
        for _ in 0..4 {
            rec = rec.reply(200, update);
        }
        rec = rec
            .reply(200, &ok(json!([])))
            .reply(200, &ok(json!({"count": 0})))
            .reply(200, &ok(json!({"points": [], "next_page_offset": null})))
            .reply(200, &ok(json!({"points": []})))
            .reply(200, &ok(json!([{"points": []}, {"points": []}])))
            .reply(200, update);
        let config = Config {
            url: "http://qdrant:6333".into(),
            read_consistency: Some(ReadConsistency::Majority),
            write_ordering: Some(WriteOrdering::Strong),
            shard_key: Some(ShardKeySelector::Keys(vec![
                keyword("eu"),
                ShardKey::Number(3),
            ])),
            ..Config::default()
        };
        let q = Qdrant::new(config, &rec).unwrap();
        let batch = PointBatch {
            ids: vec!["1".into()],
            dense: vec![DenseColumn {
                name: String::new(),
                dimension: 2,
                data: PackedVectors::LeBytes(
                    [1f32, 0.0].iter().flat_map(|v| v.to_le_bytes()).collect(),
                ),
            }],
            sparse: vec![],
            payloads: vec![],
        };
        let ids = PointsSelector::Ids(vec!["1".into()]);
        q.upsert_points("c", &batch, true).unwrap();
        q.delete_points("c", &ids, true).unwrap();
        q.set_payload("c", &ids, r#"{"a":1}"#, None, false).unwrap();
        q.delete_payload_keys("c", &ids, &["a".into()], true)
            .unwrap();
        q.get_points(
            "c",
            &["1".into()],
            &PayloadSelector::All,
            &VectorSelector::None,
        )
        .unwrap();
        q.count("c", None, true).unwrap();
        let scroll = ScrollRequest {
            filter: None,
            limit: 1,
            offset: None,
            with_payload: PayloadSelector::All,
            with_vectors: VectorSelector::None,
        };
        q.scroll("c", &scroll).unwrap();
        let query = QueryRequest {
            query: Query::Nearest(QueryVector::Point("1".into())),
            using: None,
            prefetch: vec![],
            filter: None,
            limit: 3,
            offset: 0,
            score_threshold: None,
            with_payload: PayloadSelector::None,
            with_vectors: VectorSelector::None,
            params: None,
        };
        q.query("c", &query).unwrap();
        q.query_batch("c", &[query.clone(), query]).unwrap();
        q.create_payload_index("c", "a", PayloadSchemaType::Keyword, true)
            .unwrap();
        let urls = rec.urls();
        let query_of = |url: &str| {
            url.split_once('?')
                .map(|(_, q)| q.to_owned())
                .unwrap_or_default()
        };
        let write = "ordering=strong";
        let read = "consistency=majority";
        let expected = [
            format!("wait=true&{write}"),
            format!("wait=true&{write}"),
            format!("wait=false&{write}"),
            format!("wait=true&{write}"),
            read.into(),
            read.into(),
            read.into(),
            read.into(),
            read.into(),
            format!("wait=true&{write}"),
        ];
        assert_eq!(
            urls.iter().map(|u| query_of(u)).collect::<Vec<_>>(),
            expected
        );
        let bodies = rec.bodies();
        let keys = json!(["eu", 3]);
        for body in &bodies[..7] {
            assert_eq!(body["shard_key"], keys, "{body}");
        }
        assert_eq!(bodies[7]["shard_key"], keys);
        for search in bodies[8]["searches"].as_array().unwrap() {
            assert_eq!(search["shard_key"], keys);
        }
        assert!(
            bodies[9].get("shard_key").is_none(),
            "an index is not per shard"
        );
    }
}
