//! Filters. WIT has no recursive types, so the full Qdrant filter language crosses the
//! boundary as JSON; it is parsed and checked here so a malformed filter is an
//! `invalid-input` error before any request, not a 400 from the server.

use serde_json::{Map, Value, json};

use crate::model::{Condition, Filter};
use crate::{Error, ids};

const CLAUSES: [&str; 4] = ["must", "should", "must_not", "min_should"];

/// The filter as the JSON object Qdrant expects, with point ids in `has_id` mapped as
/// `point-batch` maps them.
pub fn to_json(filter: &Filter) -> Result<Value, Error> {
    match filter {
        Filter::MustMatch(pairs) => {
            let conditions = pairs
                .iter()
                .map(|(key, value)| {
                    check_key(key)?;
                    Ok(json!({"key": key, "match": {"value": value}}))
                })
                .collect::<Result<Vec<_>, Error>>()?;
            Ok(json!({ "must": conditions }))
        }
        Filter::Conditions(c) => {
            let clause = |list: &[Condition]| -> Result<Value, Error> {
                list.iter().map(condition_json).collect::<Result<_, _>>()
            };
            let mut out = Map::new();
            for (name, list) in [
                ("must", &c.must),
                ("should", &c.should),
                ("must_not", &c.must_not),
            ] {
                if !list.is_empty() {
                    out.insert(name.into(), clause(list)?);
                }
            }
            Ok(Value::Object(out))
        }
        Filter::Json(text) => {
            let mut value: Value = serde_json::from_str(text)
                .map_err(|e| Error::InvalidInput(format!("filter is not valid JSON: {e}")))?;
            check_filter(&value, "filter")?;
            map_has_ids(&mut value)?;
            Ok(value)
        }
    }
}

fn condition_json(condition: &Condition) -> Result<Value, Error> {
    let field = |key: &str, test: &str, body: Value| -> Result<Value, Error> {
        check_key(key)?;
        Ok(json!({"key": key, test: body}))
    };
    match condition {
        Condition::Keyword((k, v)) => field(k, "match", json!({"value": v})),
        Condition::Integer((k, v)) => field(k, "match", json!({"value": v})),
        Condition::Boolean((k, v)) => field(k, "match", json!({"value": v})),
        Condition::AnyKeyword((k, v)) => field(k, "match", json!({"any": v})),
        Condition::ExceptKeyword((k, v)) => field(k, "match", json!({"except": v})),
        Condition::Text((k, v)) => field(k, "match", json!({"text": v})),
        Condition::Range((k, r)) => {
            let mut range = Map::new();
            for (name, bound) in [("gt", r.gt), ("gte", r.gte), ("lt", r.lt), ("lte", r.lte)] {
                match bound {
                    Some(b) if !b.is_finite() => {
                        return Err(Error::InvalidInput(format!(
                            "range `{k}`: {name} is not finite"
                        )));
                    }
                    Some(b) => {
                        range.insert(name.into(), json!(b));
                    }
                    None => {}
                }
            }
            if range.is_empty() {
                return Err(Error::InvalidInput(format!("range `{k}` has no bound")));
            }
            field(k, "range", Value::Object(range))
        }
        Condition::IsEmpty(k) => {
            check_key(k)?;
            Ok(json!({"is_empty": {"key": k}}))
        }
        Condition::IsNull(k) => {
            check_key(k)?;
            Ok(json!({"is_null": {"key": k}}))
        }
        Condition::HasId(list) => Ok(json!({"has_id": ids::to_qdrant_list(list)?})),
    }
}

/// Rewrites the ids of every `has_id` condition (at any depth) to Qdrant's id forms.
fn map_has_ids(value: &mut Value) -> Result<(), Error> {
    match value {
        Value::Object(object) => {
            for (key, inner) in object.iter_mut() {
                if key == "has_id" {
                    let Value::Array(list) = inner else {
                        return Err(Error::InvalidInput("`has_id` must be a list of ids".into()));
                    };
                    for id in list.iter_mut() {
                        *id = match id {
                            Value::String(s) => ids::to_qdrant(s)?.json,
                            Value::Number(n) if n.is_u64() => continue,
                            other => {
                                return Err(Error::InvalidInput(format!(
                                    "`has_id` entry {other} is not an id"
                                )));
                            }
                        };
                    }
                } else {
                    map_has_ids(inner)?;
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                map_has_ids(item)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn invalid(path: &str, what: &str) -> Error {
    Error::InvalidInput(format!("{path}: {what}"))
}

fn check_key(key: &str) -> Result<(), Error> {
    if key.trim().is_empty() {
        return Err(Error::InvalidInput("filter key must not be empty".into()));
    }
    Ok(())
}

/// Checks the structure of a filter object: known clauses, each a condition or a list of them.
fn check_filter(value: &Value, path: &str) -> Result<(), Error> {
    let object = value
        .as_object()
        .ok_or_else(|| invalid(path, "must be a JSON object"))?;
    for (clause, body) in object {
        let here = format!("{path}.{clause}");
        match clause.as_str() {
            "min_should" => check_min_should(body, &here)?,
            c if CLAUSES.contains(&c) => match body {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        check_condition(item, &format!("{here}[{i}]"))?;
                    }
                }
                Value::Null => {}
                single => check_condition(single, &here)?,
            },
            other => {
                return Err(invalid(
                    path,
                    &format!(
                        "unknown clause `{other}` (expected must, should, must_not or min_should)"
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn check_min_should(body: &Value, path: &str) -> Result<(), Error> {
    let object = body
        .as_object()
        .ok_or_else(|| invalid(path, "must be an object"))?;
    match object.get("conditions") {
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                check_condition(item, &format!("{path}.conditions[{i}]"))?;
            }
        }
        _ => return Err(invalid(path, "needs a `conditions` list")),
    }
    if !object.get("min_count").is_some_and(Value::is_u64) {
        return Err(invalid(path, "needs a non-negative integer `min_count`"));
    }
    Ok(())
}

/// A condition is a field condition (`key` + one test), a special condition
/// (`has_id`, `is_empty`, `is_null`, `nested`, `has_vector`) or a nested filter.
fn check_condition(value: &Value, path: &str) -> Result<(), Error> {
    let object = value
        .as_object()
        .ok_or_else(|| invalid(path, "condition must be an object"))?;
    if let Some(key) = object.get("key") {
        let key = key
            .as_str()
            .ok_or_else(|| invalid(path, "`key` must be a string"))?;
        check_key(key).map_err(|_| invalid(path, "`key` must not be empty"))?;
        return check_field_condition(object, path);
    }
    if let Some(nested) = object.get("nested") {
        let nested = nested
            .as_object()
            .ok_or_else(|| invalid(path, "`nested` must be an object"))?;
        if !nested.get("key").is_some_and(Value::is_string) {
            return Err(invalid(path, "`nested` needs a string `key`"));
        }
        let inner = nested
            .get("filter")
            .ok_or_else(|| invalid(path, "`nested` needs a `filter`"))?;
        return check_filter(inner, &format!("{path}.nested.filter"));
    }
    for special in ["has_id", "is_empty", "is_null", "has_vector"] {
        if object.contains_key(special) {
            return Ok(());
        }
    }
    if object.keys().any(|k| CLAUSES.contains(&k.as_str())) {
        return check_filter(value, path);
    }
    Err(invalid(
        path,
        "not a condition: expected `key`, `has_id`, `is_empty`, `is_null`, `nested`, `has_vector` or a nested filter",
    ))
}

fn check_field_condition(object: &Map<String, Value>, path: &str) -> Result<(), Error> {
    // Datetime ranges are `range` with RFC 3339 string bounds; there is no separate key.
    const TESTS: [&str; 6] = [
        "match",
        "range",
        "geo_bounding_box",
        "geo_radius",
        "geo_polygon",
        "values_count",
    ];
    let tests = object
        .keys()
        .filter(|k| TESTS.contains(&k.as_str()))
        .count();
    if tests == 0 && !object.contains_key("is_empty") && !object.contains_key("is_null") {
        return Err(invalid(
            path,
            "field condition needs one of match, range, geo_*, values_count",
        ));
    }
    if let Some(unknown) = object.keys().find(|k| {
        !TESTS.contains(&k.as_str()) && !["key", "is_empty", "is_null"].contains(&k.as_str())
    }) {
        return Err(invalid(
            path,
            &format!("unknown field condition `{unknown}`"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Conditions, Range};

    #[test]
    fn must_match_builds_keyword_conditions() {
        let f = Filter::MustMatch(vec![("category".into(), "docs".into())]);
        assert_eq!(
            to_json(&f).unwrap(),
            json!({"must": [{"key": "category", "match": {"value": "docs"}}]})
        );
        assert!(to_json(&Filter::MustMatch(vec![(" ".into(), "x".into())])).is_err());
    }

    #[test]
    fn full_language_passes() {
        let text = r#"{
            "must": [{"key": "price", "range": {"gte": 1, "lt": 9.5}}],
            "should": {"key": "tag", "match": {"any": ["a", "b"]}},
            "must_not": [{"has_id": [1, 2]}, {"is_empty": {"key": "t"}},
                         {"must": [{"key": "x", "match": {"value": true}}]}],
            "min_should": {"conditions": [{"key": "c", "match": {"text": "hi"}}], "min_count": 1}
        }"#;
        assert!(to_json(&Filter::Json(text.into())).is_ok());
        let nested = r#"{"must":[{"nested":{"key":"d","filter":{"must":[{"key":"a","match":{"value":1}}]}}}]}"#;
        assert!(to_json(&Filter::Json(nested.into())).is_ok());
    }

    #[test]
    fn has_id_strings_are_mapped_like_point_ids() {
        let mapped = ids::to_qdrant("doc1").unwrap().json;
        let f = Filter::Json(r#"{"must_not":[{"has_id":[7,"doc1"]}]}"#.into());
        assert_eq!(
            to_json(&f).unwrap(),
            json!({"must_not": [{"has_id": [7, mapped]}]})
        );
        let typed = Filter::Conditions(Conditions {
            must: vec![Condition::HasId(vec!["doc1".into(), "3".into()])],
            should: vec![],
            must_not: vec![],
        });
        assert_eq!(
            to_json(&typed).unwrap(),
            json!({"must": [{"has_id": [mapped, 3]}]})
        );
    }

    #[test]
    fn typed_conditions_build_the_filter_language() {
        let f = Filter::Conditions(Conditions {
            must: vec![
                Condition::Keyword(("lang".into(), "en".into())),
                Condition::Range((
                    "year".into(),
                    Range {
                        gt: None,
                        gte: Some(2000.0),
                        lt: Some(2010.0),
                        lte: None,
                    },
                )),
            ],
            should: vec![Condition::AnyKeyword((
                "tag".into(),
                vec!["a".into(), "b".into()],
            ))],
            must_not: vec![
                Condition::IsNull("x".into()),
                Condition::Boolean(("draft".into(), true)),
            ],
        });
        assert_eq!(
            to_json(&f).unwrap(),
            json!({
                "must": [{"key": "lang", "match": {"value": "en"}},
                         {"key": "year", "range": {"gte": 2000.0, "lt": 2010.0}}],
                "should": [{"key": "tag", "match": {"any": ["a", "b"]}}],
                "must_not": [{"is_null": {"key": "x"}}, {"key": "draft", "match": {"value": true}}]
            })
        );
        let empty_range = Filter::Conditions(Conditions {
            must: vec![Condition::Range((
                "y".into(),
                Range {
                    gt: None,
                    gte: None,
                    lt: None,
                    lte: None,
                },
            ))],
            should: vec![],
            must_not: vec![],
        });
        assert!(matches!(to_json(&empty_range), Err(Error::InvalidInput(_))));
    }

    #[test]
    fn malformed_filters_are_invalid_input() {
        for bad in [
            "not json",
            "[]",
            r#"{"muts": []}"#,
            r#"{"must": [{"key": "a"}]}"#,
            r#"{"must": [{"key": "a", "matc": {"value": 1}}]}"#,
            r#"{"must": [42]}"#,
            r#"{"must": [{"nested": {"key": "d"}}]}"#,
            r#"{"min_should": {"conditions": []}}"#,
            r#"{"must": [{"key": "t", "datetime_range": {"gte": "2026-01-01T00:00:00Z"}}]}"#,
        ] {
            let got = to_json(&Filter::Json(bad.into()));
            assert!(
                matches!(got, Err(Error::InvalidInput(_))),
                "{bad} gave {got:?}"
            );
        }
    }
}
