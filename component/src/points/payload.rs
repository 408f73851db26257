//! Payload changes: set, overwrite, delete keys, clear; and the rules for a caller's
//! payload (a JSON object without the reserved string-id key).

use serde_json::{Map, Value, json};

use crate::model::{PointsSelector, UpdateResult};
use crate::rest::{Qdrant, Retry, collection_path, update_result};
use crate::transport::{Method, Transport};
use crate::{Error, ids};

use super::{JsonObject, selector_json};

impl<T: Transport> Qdrant<T> {
    /// Merges `payload` into the selected points (at `key` when given).
    pub fn set_payload(
        &self,
        collection: &str,
        selector: &PointsSelector,
        payload: &str,
        key: Option<&str>,
        wait: bool,
    ) -> Result<UpdateResult, Error> {
        let path = self.write_path(collection_path(collection, "/points/payload")?, wait);
        let mut body = self.selector_body(selector)?;
        body.insert(
            "payload".into(),
            Value::Object(user_payload(payload, "payload")?),
        );
        if let Some(key) = key {
            if key.trim().is_empty() {
                return Err(Error::InvalidInput("payload key must not be empty".into()));
            }
            body.insert("key".into(), json!(key));
        }
        update_result(&self.result(
            Method::Post,
            &path,
            Some(Value::Object(body)),
            Retry::Idempotent,
        )?)
    }

    /// Replaces the selected points' payloads. Points whose string ids were mapped keep
    /// their original id (one extra request per such point); with a filter selector the
    /// server cannot do that, so those points then report their UUID.
    pub fn overwrite_payload(
        &self,
        collection: &str,
        selector: &PointsSelector,
        payload: &str,
        wait: bool,
    ) -> Result<UpdateResult, Error> {
        let payload = user_payload(payload, "payload")?;
        let path = self.write_path(collection_path(collection, "/points/payload")?, wait);
        let mut last = None;
        for (selected, payload) in keep_string_ids(selector, payload)? {
            let mut body = selected;
            body.insert("payload".into(), Value::Object(payload));
            self.select_shards(&mut body);
            let result = self.result(
                Method::Put,
                &path,
                Some(Value::Object(body)),
                Retry::Idempotent,
            )?;
            last = Some(update_result(&result)?);
        }
        last.ok_or_else(|| Error::InvalidInput("no points selected".into()))
    }

    pub fn delete_payload_keys(
        &self,
        collection: &str,
        selector: &PointsSelector,
        keys: &[String],
        wait: bool,
    ) -> Result<UpdateResult, Error> {
        if keys.is_empty() {
            return Err(Error::InvalidInput("no payload keys to delete".into()));
        }
        if keys.iter().any(|k| k == ids::STRING_ID_KEY) {
            return Err(reserved_key("payload keys"));
        }
        let path = self.write_path(collection_path(collection, "/points/payload/delete")?, wait);
        let mut body = self.selector_body(selector)?;
        body.insert("keys".into(), json!(keys));
        update_result(&self.result(
            Method::Post,
            &path,
            Some(Value::Object(body)),
            Retry::Idempotent,
        )?)
    }

    /// Removes all payload keys; like [`Self::overwrite_payload`] with `{}`, so mapped
    /// string ids survive a clear by ids.
    pub fn clear_payload(
        &self,
        collection: &str,
        selector: &PointsSelector,
        wait: bool,
    ) -> Result<UpdateResult, Error> {
        match selector {
            PointsSelector::Ids(_) => self.overwrite_payload(collection, selector, "{}", wait),
            PointsSelector::Filter(_) => {
                let path =
                    self.write_path(collection_path(collection, "/points/payload/clear")?, wait);
                let body = Value::Object(self.selector_body(selector)?);
                update_result(&self.result(Method::Post, &path, Some(body), Retry::Idempotent)?)
            }
        }
    }
}

pub(super) fn reserved_key(what: &str) -> Error {
    Error::InvalidInput(format!(
        "{what}: key `{}` is reserved for string point ids",
        ids::STRING_ID_KEY
    ))
}

/// A caller's payload: a JSON object without the reserved string-id key.
fn user_payload(text: &str, what: &str) -> Result<Map<String, Value>, Error> {
    let payload = parse_payload(text, what)?;
    if payload.contains_key(ids::STRING_ID_KEY) {
        return Err(reserved_key(what));
    }
    Ok(payload)
}

/// Splits an overwrite so points with mapped string ids get their `_string_id` back.
fn keep_string_ids(
    selector: &PointsSelector,
    payload: Map<String, Value>,
) -> Result<Vec<(JsonObject, JsonObject)>, Error> {
    let PointsSelector::Ids(list) = selector else {
        return Ok(vec![(selector_json(selector)?, payload)]);
    };
    if list.is_empty() {
        return Err(Error::InvalidInput("no point ids selected".into()));
    }
    let mut plain = Vec::new();
    let mut requests = Vec::new();
    for id in list {
        let mapped = ids::to_qdrant(id)?;
        match mapped.original {
            None => plain.push(mapped.json),
            Some(original) => {
                let mut own = payload.clone();
                own.insert(ids::STRING_ID_KEY.into(), Value::String(original));
                let mut selected = Map::new();
                selected.insert("points".into(), json!([mapped.json]));
                requests.push((selected, own));
            }
        }
    }
    if !plain.is_empty() {
        let mut selected = Map::new();
        selected.insert("points".into(), Value::Array(plain));
        requests.insert(0, (selected, payload));
    }
    Ok(requests)
}

pub(super) fn parse_payload(text: &str, what: &str) -> Result<Map<String, Value>, Error> {
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::InvalidInput(format!("{what} is not a JSON object"))),
        Err(e) => Err(Error::InvalidInput(format!(
            "{what} is not valid JSON: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{OK_UPDATE, Recorder, client};

    #[test]
    fn payload_writes_keep_string_ids() {
        let rec = Recorder::default()
            .reply(200, OK_UPDATE)
            .reply(200, OK_UPDATE);
        let c = client(&rec, None);
        let selector = PointsSelector::Ids(vec!["1".into(), "doc".into()]);
        c.overwrite_payload("c", &selector, r#"{"x":1}"#, true)
            .unwrap();
        let mapped = ids::to_qdrant("doc").unwrap().json;
        assert_eq!(
            rec.bodies(),
            [
                json!({"points": [1], "payload": {"x": 1}}),
                json!({"points": [mapped], "payload": {"x": 1, "_string_id": "doc"}})
            ]
        );
        for bad in [r#"{"_string_id":"x"}"#, "[1]", "nope"] {
            assert!(matches!(
                c.set_payload("c", &selector, bad, None, true),
                Err(Error::InvalidInput(_))
            ));
        }
        assert!(matches!(
            c.delete_payload_keys("c", &selector, &["_string_id".into()], true),
            Err(Error::InvalidInput(_))
        ));
    }
}
