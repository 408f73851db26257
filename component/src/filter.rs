//! Filters. WIT has no recursive types, so the full Qdrant filter language crosses the
//! boundary as JSON; it is parsed and checked here so a malformed filter is an
//! `invalid-input` error before any request, not a 400 from the server.

use serde_json::{Map, Value, json};

use crate::Error;
use crate::model::Filter;

const CLAUSES: [&str; 4] = ["must", "should", "must_not", "min_should"];

/// The filter as the JSON object Qdrant expects.
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
        Filter::Json(text) => {
            let value: Value = serde_json::from_str(text)
                .map_err(|e| Error::InvalidInput(format!("filter is not valid JSON: {e}")))?;
            check_filter(&value, "filter")?;
            Ok(value)
        }
    }
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
    const TESTS: [&str; 7] = [
        "match",
        "range",
        "geo_bounding_box",
        "geo_radius",
        "geo_polygon",
        "values_count",
        "datetime_range",
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
        ] {
            let got = to_json(&Filter::Json(bad.into()));
            assert!(
                matches!(got, Err(Error::InvalidInput(_))),
                "{bad} gave {got:?}"
            );
        }
    }
}
