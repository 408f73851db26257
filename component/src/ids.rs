//! Point ids. Qdrant accepts unsigned integers and UUIDs; any other string id is mapped
//! to a UUID v5 (deterministic, so re-upserting the same id overwrites the same point) and
//! the original is kept in the payload under [`STRING_ID_KEY`], from where results report it.

use std::borrow::Cow;

use serde_json::{Map, Value};
use uuid::Uuid;

/// Payload key that holds a string id which is neither an integer nor a UUID.
pub const STRING_ID_KEY: &str = "_string_id";

/// Namespace of the v5 UUIDs derived from string ids.
const STRING_ID_NAMESPACE: Uuid = Uuid::from_u128(0x8f5b_55a2_4b0c_4f0e_9d43_6a1e_2f7c_0b19);

/// A point id as Qdrant's JSON wants it, plus the original string when it had to be mapped.
#[derive(Debug, Clone, PartialEq)]
pub struct QdrantId {
    pub json: Value,
    pub original: Option<String>,
}

pub fn to_qdrant(id: &str) -> Result<QdrantId, crate::Error> {
    Ok(match Kind::of(id)? {
        Kind::Integer(n) => QdrantId {
            json: Value::from(n),
            original: None,
        },
        Kind::Uuid(uuid) => QdrantId {
            json: Value::from(uuid.hyphenated().to_string()),
            original: None,
        },
        Kind::Mapped(uuid) => QdrantId {
            json: Value::from(uuid.hyphenated().to_string()),
            original: Some(id.to_owned()),
        },
    })
}

/// A point id as the JSON text [`to_qdrant`] makes of it, plus the original string when it
/// had to be mapped.
#[derive(Debug, Clone, PartialEq)]
pub struct IdText<'a> {
    pub json: Cow<'a, str>,
    pub original: Option<String>,
}

/// The JSON text of [`to_qdrant`]'s id. An integer written without leading zeros is
/// already that text and is borrowed, so a bulk upsert builds nothing for such ids.
pub fn to_json_text(id: &str) -> Result<IdText<'_>, crate::Error> {
    let quoted = |uuid: Uuid| {
        let mut text = String::with_capacity(38);
        text.push('"');
        text.push_str(uuid.hyphenated().encode_lower(&mut Uuid::encode_buffer()));
        text.push('"');
        Cow::Owned(text)
    };
    Ok(match Kind::of(id)? {
        Kind::Integer(_) if id == "0" || !id.starts_with('0') => IdText {
            json: Cow::Borrowed(id),
            original: None,
        },
        Kind::Integer(n) => IdText {
            json: Cow::Owned(itoa::Buffer::new().format(n).to_owned()),
            original: None,
        },
        Kind::Uuid(uuid) => IdText {
            json: quoted(uuid),
            original: None,
        },
        Kind::Mapped(uuid) => IdText {
            json: quoted(uuid),
            original: Some(id.to_owned()),
        },
    })
}

/// What Qdrant makes of an id string: one rule for both of its JSON forms.
enum Kind {
    Integer(u64),
    Uuid(Uuid),
    /// Neither: the v5 UUID derived from it.
    Mapped(Uuid),
}

impl Kind {
    fn of(id: &str) -> Result<Self, crate::Error> {
        if id.is_empty() {
            return Err(crate::Error::InvalidInput(
                "point id must not be empty".into(),
            ));
        }
        if id.bytes().all(|b| b.is_ascii_digit())
            && let Ok(n) = id.parse::<u64>()
        {
            return Ok(Kind::Integer(n));
        }
        if let Ok(uuid) = Uuid::try_parse(id) {
            return Ok(Kind::Uuid(uuid));
        }
        Ok(Kind::Mapped(Uuid::new_v5(
            &STRING_ID_NAMESPACE,
            id.as_bytes(),
        )))
    }
}

/// Maps a list of ids (see [`to_qdrant`]) to their JSON forms.
pub fn to_qdrant_list(list: &[String]) -> Result<Vec<Value>, crate::Error> {
    list.iter()
        .map(|id| to_qdrant(id).map(|q| q.json))
        .collect()
}

/// A point id as an answer carries it: an unsigned integer or a string (a UUID).
#[derive(Debug, Clone, PartialEq)]
pub enum ReturnedId<'a> {
    Integer(u64),
    Text(Cow<'a, str>),
}

impl<'a> ReturnedId<'a> {
    pub fn of_json(id: &'a Value) -> Result<Self, crate::Error> {
        match id {
            Value::Number(n) if let Some(n) = n.as_u64() => Ok(ReturnedId::Integer(n)),
            Value::String(s) => Ok(ReturnedId::Text(Cow::Borrowed(s))),
            other => Err(crate::Error::Decode(format!(
                "point id {other} is neither integer nor UUID"
            ))),
        }
    }

    /// The id as text: the integer's digits, or the string.
    pub fn into_string(self) -> String {
        match self {
            // itoa rather than `to_string`: every point of every answer takes this path,
            // and the formatting machinery costs several times the digits in wasm.
            ReturnedId::Integer(n) => itoa::Buffer::new().format(n).to_owned(),
            ReturnedId::Text(text) => text.into_owned(),
        }
    }
}

/// The id to report for a point Qdrant returned: the original string id when the payload
/// carries one (removing the key from the payload), else Qdrant's integer or UUID.
pub fn from_qdrant(id: ReturnedId<'_>, payload: &mut Map<String, Value>) -> String {
    match payload.remove(STRING_ID_KEY) {
        Some(Value::String(original)) => original,
        _ => id.into_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integers_and_uuids_pass_through() {
        assert_eq!(
            to_qdrant("42").unwrap(),
            QdrantId {
                json: json!(42),
                original: None
            }
        );
        let u = "5C56C793-69F3-4FBF-87E6-C4BF54C28C26";
        assert_eq!(to_qdrant(u).unwrap().json, json!(u.to_lowercase()));
    }

    #[test]
    fn other_strings_map_deterministically() {
        let a = to_qdrant("doc1").unwrap();
        assert_eq!(a, to_qdrant("doc1").unwrap());
        assert_ne!(a.json, to_qdrant("doc2").unwrap().json);
        assert_eq!(a.original.as_deref(), Some("doc1"));
        // "-1" and an integer beyond u64 are not Qdrant integers.
        assert!(to_qdrant("-1").unwrap().original.is_some());
        assert!(
            to_qdrant("18446744073709551616")
                .unwrap()
                .original
                .is_some()
        );
    }

    #[test]
    fn json_text_is_to_qdrants_json_and_borrowed_only_when_the_id_is_that_text() {
        for id in [
            "0",
            "7",
            "42",
            "18446744073709551615",
            "18446744073709551616",
            "007",
            "00",
            "+1",
            "-1",
            "1.0",
            "4 2",
            "doc1",
            "5c56c793-69f3-4fbf-87e6-c4bf54c28c26",
            "5C56C793-69F3-4FBF-87E6-C4BF54C28C26",
            "{5c56c793-69f3-4fbf-87e6-c4bf54c28c26}",
            // 32 digits: a UUID without hyphens, not an integer.
            "12345678901234567890123456789012",
        ] {
            let text = to_json_text(id).unwrap();
            let value = to_qdrant(id).unwrap();
            let read: Value = serde_json::from_str(&text.json).unwrap();
            assert_eq!(read, value.json, "{id:?}");
            assert_eq!(text.original, value.original, "{id:?}");
            let borrowed = matches!(text.json, Cow::Borrowed(_));
            let written = value.json.to_string();
            assert_eq!(borrowed, written == id, "{id:?}");
        }
        assert!(matches!(
            to_json_text("18446744073709551615").unwrap().json,
            Cow::Borrowed("18446744073709551615")
        ));
        assert!(matches!(
            to_json_text(""),
            Err(crate::Error::InvalidInput(_))
        ));
    }

    #[test]
    fn empty_id_is_invalid() {
        assert!(matches!(to_qdrant(""), Err(crate::Error::InvalidInput(_))));
    }

    #[test]
    fn original_id_round_trips_and_leaves_payload_clean() {
        let mut payload = json!({"_string_id": "doc1", "a": 1})
            .as_object()
            .unwrap()
            .clone();
        let uuid = json!("some-uuid");
        assert_eq!(
            from_qdrant(ReturnedId::of_json(&uuid).unwrap(), &mut payload),
            "doc1"
        );
        assert_eq!(Value::Object(payload), json!({"a": 1}));
        assert_eq!(from_qdrant(ReturnedId::Integer(7), &mut Map::new()), "7");
        assert!(ReturnedId::of_json(&json!(-1)).is_err());
        assert!(ReturnedId::of_json(&json!(1.5)).is_err());
    }
}
