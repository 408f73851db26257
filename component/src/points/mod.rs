//! Points: upsert in batches (`upsert`, `batch`), get, count and scroll (`read`), payload
//! changes (`payload`), delete; and the selectors these requests share with queries.

use serde_json::{Map, Value, json};

use crate::model::{PayloadSelector, PointsSelector, UpdateResult, VectorSelector};
use crate::rest::{Qdrant, Retry, collection_path, update_result};
use crate::transport::{Method, Transport};
use crate::{Error, filter, ids};

mod batch;
mod payload;
mod read;
mod upsert;

pub use batch::validate_points;
pub use upsert::MAX_BODY_BYTES;
pub(crate) use upsert::MAX_BODY_END;

type JsonObject = Map<String, Value>;

impl<T: Transport> Qdrant<T> {
    pub fn delete_points(
        &self,
        collection: &str,
        selector: &PointsSelector,
        wait: bool,
    ) -> Result<UpdateResult, Error> {
        let path = self.write_path(collection_path(collection, "/points/delete")?, wait);
        let body = Value::Object(self.selector_body(selector)?);
        update_result(&self.result(Method::Post, &path, Some(body), Retry::Idempotent)?)
    }

    /// The body that selects points (by ids or filter) in the configured shards.
    fn selector_body(&self, selector: &PointsSelector) -> Result<JsonObject, Error> {
        let mut body = selector_json(selector)?;
        self.select_shards(&mut body);
        Ok(body)
    }
}

/// `{"points": [...]}` or `{"filter": {...}}`.
pub(crate) fn selector_json(selector: &PointsSelector) -> Result<Map<String, Value>, Error> {
    let mut body = Map::new();
    match selector {
        PointsSelector::Ids(list) => {
            if list.is_empty() {
                return Err(Error::InvalidInput("no point ids selected".into()));
            }
            body.insert("points".into(), Value::Array(ids::to_qdrant_list(list)?));
        }
        PointsSelector::Filter(f) => {
            body.insert("filter".into(), filter::to_json(f)?);
        }
    }
    Ok(body)
}

/// `with_payload`, asking for `_string_id` too so results can report original ids.
pub(crate) fn payload_selector_json(selector: &PayloadSelector) -> Value {
    match selector {
        PayloadSelector::All => json!(true),
        PayloadSelector::None => json!({"include": [ids::STRING_ID_KEY]}),
        PayloadSelector::Include(keys) => {
            let mut keys = keys.clone();
            keys.push(ids::STRING_ID_KEY.into());
            json!({"include": keys})
        }
        PayloadSelector::Exclude(keys) => {
            json!({"exclude": keys.iter().filter(|k| *k != ids::STRING_ID_KEY).collect::<Vec<_>>()})
        }
    }
}

pub(crate) fn vector_selector_json(selector: &VectorSelector) -> Value {
    match selector {
        VectorSelector::All => json!(true),
        VectorSelector::None => json!(false),
        VectorSelector::Only(names) => json!(names),
    }
}

/// Batches for the upsert tests, which `upsert` and `batch` share.
#[cfg(test)]
mod fixtures {
    use crate::model::{DenseColumn, PointBatch};
    use crate::vector;

    pub(super) fn dense(name: &str, dimension: u32, values: &[f32]) -> DenseColumn {
        DenseColumn {
            name: name.into(),
            dimension,
            data: vector::pack(values),
        }
    }

    pub(super) fn batch(ids: &[&str], dense_columns: Vec<DenseColumn>) -> PointBatch {
        PointBatch {
            ids: ids.iter().map(|s| s.to_string()).collect(),
            dense: dense_columns,
            sparse: vec![],
            payloads: vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Filter;
    use crate::testing::{OK_UPDATE, Recorder, client, ok};

    #[test]
    fn count_and_delete_by_filter() {
        let rec = Recorder::default()
            .reply(200, &ok(json!({"count": 7})))
            .reply(200, OK_UPDATE);
        let c = client(&rec, None);
        let f = Filter::MustMatch(vec![("k".into(), "v".into())]);
        assert_eq!(c.count("c", Some(&f), true).unwrap(), 7);
        c.delete_points("c", &PointsSelector::Filter(f), true)
            .unwrap();
        let filter = json!({"must": [{"key": "k", "match": {"value": "v"}}]});
        assert_eq!(
            rec.bodies(),
            [
                json!({"exact": true, "filter": filter}),
                json!({"filter": filter})
            ]
        );
    }
}
