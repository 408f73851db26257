//! `POST /collections/{name}/facet`: value counts of an indexed payload key, checked against
//! counts made here from the same payloads.

mod common;

use std::collections::BTreeMap;

use common::{Server, seed};
use serde_json::{Value, json};

const N: u64 = 30;

/// `seed`'s payload values at `key` for point `i` (arrays count once per distinct element).
fn values(i: u64, key: &str) -> Vec<Value> {
    match key {
        "parity" => vec![json!(if i.is_multiple_of(2) { "even" } else { "odd" })],
        "tags" => vec![json!("t"), json!(format!("t{}", i % 4))],
        "n" => vec![json!(i)],
        _ => unreachable!(),
    }
}

/// Hits as Qdrant orders them: by descending count, then ascending value.
fn expected(key: &str, keep: impl Fn(u64) -> bool, limit: usize) -> Vec<Value> {
    let mut counts: BTreeMap<String, (Value, u64)> = BTreeMap::new();
    for i in (1..=N).filter(|&i| keep(i)) {
        for v in values(i, key) {
            let sort_key = match &v {
                Value::Number(n) => format!("{:020}", n.as_u64().unwrap()),
                other => other.as_str().unwrap().to_owned(),
            };
            counts.entry(sort_key).or_insert((v, 0)).1 += 1;
        }
    }
    let mut hits: Vec<(Value, u64)> = counts.into_values().collect();
    hits.sort_by_key(|h| std::cmp::Reverse(h.1)); // stable: equal counts keep ascending values
    hits.into_iter()
        .take(limit)
        .map(|(value, count)| json!({"value": value, "count": count}))
        .collect()
}

#[test]
fn facet_counts_values_of_indexed_keys() {
    let server = Server::start();
    server.ok(
        "PUT",
        "/collections/f",
        Some(json!({"vectors": {"size": 4, "distance": "Dot"}})),
    );
    seed(&server, "f", N);
    let message = server.err(
        "POST",
        "/collections/f/facet",
        Some(json!({"key": "parity"})),
        400,
    );
    assert!(
        message.starts_with("Wrong input: No appropriate index for faceting"),
        "{message}"
    );
    for (field, schema) in [("parity", "keyword"), ("tags", "keyword"), ("n", "integer")] {
        server.ok(
            "PUT",
            "/collections/f/index?wait=true",
            Some(json!({"field_name": field, "field_schema": schema})),
        );
    }

    let got = server.ok(
        "POST",
        "/collections/f/facet",
        Some(json!({"key": "parity"})),
    );
    assert_eq!(
        got["hits"].as_array().unwrap(),
        &expected("parity", |_| true, 10)
    );
    let got = server.ok(
        "POST",
        "/collections/f/facet",
        Some(json!({"key": "tags", "limit": 3, "exact": true})),
    );
    assert_eq!(
        got["hits"].as_array().unwrap(),
        &expected("tags", |_| true, 3)
    );
    let odd = json!({"must": [{"key": "parity", "match": {"value": "odd"}}]});
    let got = server.ok(
        "POST",
        "/collections/f/facet",
        Some(json!({"key": "tags", "filter": odd})),
    );
    assert_eq!(
        got["hits"].as_array().unwrap(),
        &expected("tags", |i| !i.is_multiple_of(2), 10)
    );
    let got = server.ok(
        "POST",
        "/collections/f/facet",
        Some(json!({"key": "n", "limit": 4})),
    );
    assert_eq!(got["hits"].as_array().unwrap(), &expected("n", |_| true, 4));

    let cases = [
        (
            json!({}),
            400,
            "Json deserialize error: missing field `key`",
        ),
        (
            json!({"key": "parity", "limit": 0}),
            422,
            "Validation error in JSON body: ",
        ),
    ];
    for (body, status, start) in cases {
        let message = server.err("POST", "/collections/f/facet", Some(body.clone()), status);
        assert!(message.starts_with(start), "{body}: {message}");
    }
    let message = server.err(
        "POST",
        "/collections/nope/facet",
        Some(json!({"key": "parity"})),
        404,
    );
    assert_eq!(message, "Not found: Collection `nope` doesn't exist!");
    server.stop();
}
