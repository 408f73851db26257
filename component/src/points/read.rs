//! Reading points: get by ids, count, and scroll page by page.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::decode::decode_point;
use crate::model::{Filter, PayloadSelector, Point, ScrollPage, ScrollRequest, VectorSelector};
use crate::rest::{Qdrant, Retry, collection_path, decode};
use crate::transport::{Method, Transport};
use crate::{Error, filter, ids};

use super::{payload_selector_json, vector_selector_json};

impl<T: Transport> Qdrant<T> {
    /// The points with these ids that exist, in the order asked.
    pub fn get_points(
        &self,
        collection: &str,
        wanted: &[String],
        with_payload: &PayloadSelector,
        with_vectors: &VectorSelector,
    ) -> Result<Vec<Point>, Error> {
        let path = self.read_path(collection_path(collection, "/points")?);
        let qdrant_ids = ids::to_qdrant_list(wanted)?;
        let mut body = Map::new();
        body.insert("ids".into(), Value::Array(qdrant_ids.clone()));
        body.insert("with_payload".into(), payload_selector_json(with_payload));
        body.insert("with_vector".into(), vector_selector_json(with_vectors));
        self.select_shards(&mut body);
        let result = self.result(
            Method::Post,
            &path,
            Some(Value::Object(body)),
            Retry::Idempotent,
        )?;
        let found = result
            .as_array()
            .ok_or_else(|| decode("get points: result is not a list"))?;
        let mut by_id: HashMap<String, &Value> = HashMap::new();
        for point in found {
            by_id.insert(
                point.get("id").map(Value::to_string).unwrap_or_default(),
                point,
            );
        }
        qdrant_ids
            .iter()
            .filter_map(|id| by_id.get(&id.to_string()))
            .map(|point| decode_point(point, with_payload))
            .collect()
    }

    pub fn count(
        &self,
        collection: &str,
        filter: Option<&Filter>,
        exact: bool,
    ) -> Result<u64, Error> {
        let path = self.read_path(collection_path(collection, "/points/count")?);
        let mut body = Map::new();
        body.insert("exact".into(), Value::Bool(exact));
        if let Some(f) = filter {
            body.insert("filter".into(), filter::to_json(f)?);
        }
        self.select_shards(&mut body);
        self.result(
            Method::Post,
            &path,
            Some(Value::Object(body)),
            Retry::Idempotent,
        )?
        .get("count")
        .and_then(Value::as_u64)
        .ok_or_else(|| decode("count: no `count` number"))
    }

    pub fn scroll(&self, collection: &str, request: &ScrollRequest) -> Result<ScrollPage, Error> {
        if request.limit == 0 {
            return Err(Error::InvalidInput("limit must be at least 1".into()));
        }
        let path = self.read_path(collection_path(collection, "/points/scroll")?);
        let mut body = json!({
            "limit": request.limit,
            "with_payload": payload_selector_json(&request.with_payload),
            "with_vector": vector_selector_json(&request.with_vectors),
        });
        if let Some(f) = &request.filter {
            body["filter"] = filter::to_json(f)?;
        }
        if let Some(offset) = &request.offset {
            body["offset"] = ids::to_qdrant(offset)?.json;
        }
        if let Value::Object(members) = &mut body {
            self.select_shards(members);
        }
        let result = self.result(Method::Post, &path, Some(body), Retry::Idempotent)?;
        let points = result
            .get("points")
            .and_then(Value::as_array)
            .ok_or_else(|| decode("scroll: no `points` list"))?
            .iter()
            .map(|p| decode_point(p, &request.with_payload))
            .collect::<Result<_, _>>()?;
        let next_offset = match result.get("next_page_offset") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) if n.is_u64() => Some(n.to_string()),
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(decode("scroll: next_page_offset is not an id")),
        };
        Ok(ScrollPage {
            points,
            next_offset,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{NamedVector, SparseVector, VectorData};
    use crate::testing::{Recorder, client, ok};
    use crate::vector;

    #[test]
    fn get_returns_asked_order_with_original_ids_and_vectors() {
        let mapped = ids::to_qdrant("doc").unwrap().json;
        let reply = ok(json!([
            {"id": 2, "payload": {}, "vector": {"s": {"indices": [1], "values": [0.5]}}},
            {"id": mapped, "payload": {"_string_id": "doc", "a": 1}, "vector": [1.0, 2.0]}
        ]));
        let rec = Recorder::default().reply(200, &reply);
        let points = client(&rec, None)
            .get_points(
                "c",
                &["doc".into(), "404".into(), "2".into()],
                &PayloadSelector::All,
                &VectorSelector::All,
            )
            .unwrap();
        assert_eq!(points.len(), 2);
        assert_eq!(points[0].id, "doc");
        assert_eq!(points[0].payload, r#"{"a":1}"#);
        assert_eq!(
            points[0].vectors,
            [NamedVector {
                name: String::new(),
                vector: VectorData::Dense(vector::pack(&[1.0, 2.0]))
            }]
        );
        assert_eq!(points[1].id, "2");
        assert_eq!(
            points[1].vectors[0].vector,
            VectorData::Sparse(SparseVector {
                indices: vec![1],
                values: vec![0.5]
            })
        );
        assert_eq!(
            rec.bodies()[0],
            json!({"ids": [mapped, 404, 2], "with_payload": true, "with_vector": true})
        );
    }

    #[test]
    fn scroll_passes_cursor_and_reports_next_page() {
        let page = ok(json!({"points": [{"id": 1, "payload": {"a": 1}}], "next_page_offset": 2}));
        let last = ok(json!({"points": [{"id": 2}], "next_page_offset": null}));
        let rec = Recorder::default().reply(200, &page).reply(200, &last);
        let c = client(&rec, None);
        let mut request = ScrollRequest {
            filter: None,
            limit: 1,
            offset: None,
            with_payload: PayloadSelector::None,
            with_vectors: VectorSelector::None,
        };
        let first = c.scroll("c", &request).unwrap();
        assert_eq!(first.points[0].payload, "{}");
        assert_eq!(first.next_offset.as_deref(), Some("2"));
        request.offset = first.next_offset;
        assert_eq!(c.scroll("c", &request).unwrap().next_offset, None);
        assert_eq!(
            rec.bodies()[1],
            json!({"limit": 1, "offset": 2, "with_payload": {"include": ["_string_id"]},
                   "with_vector": false})
        );
    }
}
