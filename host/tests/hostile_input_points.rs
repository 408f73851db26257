//! Hostile points against the engine, one table: wrong dimensions, NaN and infinities in
//! vectors, bad and huge payloads, odd and duplicate ids, batches over the request cap.
//! What a case declares and how the table runs: `common/hostile.rs`.

mod common;
#[path = "common/hostile.rs"]
mod hostile;
#[path = "common/raw_http.rs"]
mod raw_http;

use common::{DIM, vector};
use hostile::{Case, Ctx, Got, Kind, On, case, err, got, ok, point, points, run_table, unique};
use qdrant_integration::VectorPoint;
use qdrant_integration::types::{
    PayloadSelector, PointBatch, PointsSelector, ScrollRequest, VectorSelector,
};
use serde_json::{Value, json};

/// Ids `0..n` with their vectors, row-major.
fn packed(n: usize) -> (Vec<String>, Vec<f32>) {
    let ids = (0..n).map(|i| i.to_string()).collect();
    let data = (0..n).flat_map(vector).collect();
    (ids, data)
}

fn nested_payload(depth: usize) -> Value {
    (0..depth).fold(json!(1), |inner, _| json!({ "a": inner }))
}

/// Upserts one point with `id`, then reads it back with a get and a scroll.
async fn round_trip(c: &Ctx, id: &str) -> Got {
    let written = c
        .client
        .upsert_vectors(&c.collection, vec![point(id, vector(1), json!({"tag": 1}))])
        .await;
    if let Err(e) = written {
        return Got::Error(e);
    }
    let by_get = c
        .client
        .get_points(
            &c.collection,
            &[id.to_owned()],
            &PayloadSelector::All,
            &VectorSelector::None,
        )
        .await;
    let by_scroll = c
        .client
        .scroll(&c.collection, &ScrollRequest::new(10))
        .await;
    match (by_get, by_scroll) {
        (Ok(got), Ok(page)) => {
            let get: Vec<&str> = got.iter().map(|p| p.id.as_str()).collect();
            let scroll: Vec<&str> = page.points.iter().map(|p| p.id.as_str()).collect();
            Got::Value(format!("get {get:?}, scroll {scroll:?}"))
        }
        (Err(e), _) | (_, Err(e)) => Got::Error(e),
    }
}

/// Count of the case's collection and the `v` of point `7`.
async fn duplicate_outcome(c: &Ctx) -> Got {
    let count = c.client.count(&c.collection, None, true).await;
    let seven = c
        .client
        .get_points(
            &c.collection,
            &["7".into()],
            &PayloadSelector::All,
            &VectorSelector::None,
        )
        .await;
    match (count, seven) {
        (Ok(n), Ok(found)) => {
            let payload: Value = serde_json::from_str(&found[0].payload).unwrap();
            let noun = if n == 1 { "point" } else { "points" };
            Got::Value(format!("{n} {noun}, `7` holds v={}", payload["v"]))
        }
        (Err(e), _) | (_, Err(e)) => Got::Error(e),
    }
}

// A case's body may be a block; `case!` puts it in an `async` block of its own.
#[allow(unused_braces)]
fn cases() -> Vec<Case> {
    use Kind::*;
    use On::*;
    let big = || "x".repeat(10_000_000);
    vec![
        // ---- vectors --------------------------------------------------------------------
        case!(
            "wrong dimension: the only point",
            Engine,
            err(BadRequest, "expected dim: 8, got 9"),
            0,
            |c| {
                got(c
                    .client
                    .upsert_vectors(
                        &c.collection,
                        vec![point("1", vec![0.5; DIM + 1], json!({}))],
                    )
                    .await)
            }
        ),
        case!(
            "wrong dimension: the first of 10,000 points",
            Engine,
            err(
                InvalidInput,
                "point `1` has 8 dimensions, the first point has 9"
            ),
            0,
            |c| {
                let mut all = points(10_000);
                all[0].vector.push(0.5);
                got(c.client.upsert_vectors(&c.collection, all).await)
            }
        ),
        case!(
            "wrong dimension: the 10,000th point",
            Engine,
            err(
                InvalidInput,
                "point `9999` has 9 dimensions, the first point has 8"
            ),
            0,
            |c| {
                let mut all = points(10_000);
                all[9_999].vector.push(0.5);
                got(c.client.upsert_vectors(&c.collection, all).await)
            }
        ),
        case!(
            "wrong dimension: the 10,000th packed point is one value short",
            Engine,
            err(
                InvalidInput,
                "expected 10000 vectors of dimension 8 (320000 bytes), got 319996 bytes"
            ),
            0,
            |c| {
                let (ids, mut data) = packed(10_000);
                data.pop();
                let batch = PointBatch::new(ids).with_dense("", DIM as u32, &data);
                got(c.client.upsert_points(&c.collection, &batch, true).await)
            }
        ),
        case!(
            "wrong dimension: all 10,000 points (a split upsert)",
            Engine,
            err(InvalidInput, "has dimension 8, the points have 9"),
            0,
            |c| {
                let ids: Vec<String> = (0..10_000).map(|i| i.to_string()).collect();
                let batch = PointBatch::new(ids).with_dense("", 9, &vec![0.5; 90_000]);
                got(c.client.upsert_points(&c.collection, &batch, true).await)
            }
        ),
        case!(
            "NaN in the 10,000th vector",
            Engine,
            err(
                InvalidInput,
                "vector 9999 has a NaN or infinite value at index 3"
            ),
            0,
            |c| {
                let (ids, mut data) = packed(10_000);
                data[9_999 * DIM + 3] = f32::NAN;
                let batch = PointBatch::new(ids).with_dense("", DIM as u32, &data);
                got(c.client.upsert_points(&c.collection, &batch, true).await)
            }
        ),
        case!(
            "+inf in a vector",
            Engine,
            err(
                InvalidInput,
                "vector 0 has a NaN or infinite value at index 0"
            ),
            0,
            |c| {
                let mut v = vector(0);
                v[0] = f32::INFINITY;
                got(c
                    .client
                    .upsert_vectors(&c.collection, vec![point("1", v, json!({}))])
                    .await)
            }
        ),
        case!(
            "-inf in a vector",
            Engine,
            err(
                InvalidInput,
                "vector 1 has a NaN or infinite value at index 7"
            ),
            0,
            |c| {
                let mut all = points(2);
                all[1].vector[7] = f32::NEG_INFINITY;
                got(c.client.upsert_vectors(&c.collection, all).await)
            }
        ),
        case!(
            "NaN in a query vector",
            Engine,
            err(
                InvalidInput,
                "vector 0 has a NaN or infinite value at index 5"
            ),
            0,
            |c| {
                let mut v = vector(0);
                v[5] = f32::NAN;
                got(c.client.search(&c.collection, v, 3, None).await)
            }
        ),
        case!(
            "empty vector",
            Engine,
            err(InvalidInput, "vector dimension must be at least 1"),
            0,
            |c| {
                got(c
                    .client
                    .upsert_vectors(&c.collection, vec![point("1", vec![], json!({}))])
                    .await)
            }
        ),
        case!(
            "empty query vector",
            Engine,
            err(InvalidInput, "non-zero multiple of 4 bytes"),
            0,
            |c| { got(c.client.search(&c.collection, vec![], 3, None).await) }
        ),
        case!(
            "no points at all",
            Engine,
            err(InvalidInput, "no points to upsert"),
            0,
            |c| { got(c.client.upsert_vectors(&c.collection, vec![]).await) }
        ),
        case!(
            "vector size 0 for a new collection",
            Engine,
            err(InvalidInput, "vector size must be at least 1"),
            0,
            |c| {
                got(c
                    .client
                    .create_collection(&unique("size0"), 0, "Cosine")
                    .await)
            }
        ),
        // ---- payloads -------------------------------------------------------------------
        case!(
            "payload that is an array",
            Engine,
            err(InvalidInput, "payload of point `1` is not a JSON object"),
            0,
            |c| {
                got(c
                    .client
                    .upsert_vectors(&c.collection, vec![point("1", vector(1), json!([1, 2]))])
                    .await)
            }
        ),
        case!(
            "payload that is a string (packed)",
            Engine,
            err(InvalidInput, "payload 0 is not a JSON object"),
            0,
            |c| {
                let (ids, data) = packed(1);
                let batch = PointBatch::new(ids)
                    .with_dense("", DIM as u32, &data)
                    .with_payloads(&[json!("text")]);
                got(c.client.upsert_points(&c.collection, &batch, true).await)
            }
        ),
        case!(
            "payload that is not JSON (packed)",
            Engine,
            err(InvalidInput, "payload 1 is not valid JSON"),
            0,
            |c| {
                let (ids, data) = packed(2);
                let mut batch = PointBatch::new(ids).with_dense("", DIM as u32, &data);
                batch.payloads = vec!["{}".into(), r#"{"a": "#.into()];
                got(c.client.upsert_points(&c.collection, &batch, true).await)
            }
        ),
        case!(
            "payload nested 200 deep",
            Engine,
            err(InvalidInput, "recursion limit"),
            0,
            |c| {
                got(c
                    .client
                    .upsert_vectors(
                        &c.collection,
                        vec![point("1", vector(1), nested_payload(200))],
                    )
                    .await)
            }
        ),
        case!(
            "payload nested 120 deep is accepted",
            Engine,
            ok("stored 1 point, depth 120 read back"),
            1,
            |c| {
                if let Err(e) = c
                    .client
                    .upsert_vectors(
                        &c.collection,
                        vec![point("1", vector(1), nested_payload(120))],
                    )
                    .await
                {
                    return Got::Error(e);
                }
                match c
                    .client
                    .get_points(
                        &c.collection,
                        &["1".into()],
                        &PayloadSelector::All,
                        &VectorSelector::None,
                    )
                    .await
                {
                    Ok(found) => {
                        let payload: Value = serde_json::from_str(&found[0].payload).unwrap();
                        let depth =
                            std::iter::successors(Some(&payload), |v| v.get("a")).count() - 1;
                        Got::Value(format!(
                            "stored {} point, depth {depth} read back",
                            found.len()
                        ))
                    }
                    Err(e) => Got::Error(e),
                }
            }
        ),
        case!(
            "payload with a 10 MB string is accepted",
            Engine,
            ok("10000000 bytes read back"),
            1,
            |c| {
                if let Err(e) = c
                    .client
                    .upsert_vectors(
                        &c.collection,
                        vec![point("1", vector(1), json!({"text": big()}))],
                    )
                    .await
                {
                    return Got::Error(e);
                }
                match c
                    .client
                    .get_points(
                        &c.collection,
                        &["1".into()],
                        &PayloadSelector::All,
                        &VectorSelector::None,
                    )
                    .await
                {
                    Ok(found) => {
                        let payload: Value = serde_json::from_str(&found[0].payload).unwrap();
                        Got::Value(format!(
                            "{} bytes read back",
                            payload["text"].as_str().map_or(0, str::len)
                        ))
                    }
                    Err(e) => Got::Error(e),
                }
            }
        ),
        case!(
            "payload with the reserved key `_string_id`",
            Engine,
            err(InvalidInput, "reserved"),
            0,
            |c| {
                got(c
                    .client
                    .upsert_vectors(
                        &c.collection,
                        vec![point("1", vector(1), json!({"_string_id": "x"}))],
                    )
                    .await)
            }
        ),
        case!(
            "set_payload with a number",
            Engine,
            err(InvalidInput, "payload is not a JSON object"),
            0,
            |c| {
                got(c
                    .client
                    .set_payload(
                        &c.collection,
                        &PointsSelector::Ids(vec!["1".into()]),
                        &json!(5),
                        None,
                        true,
                    )
                    .await)
            }
        ),
        // ---- point ids ------------------------------------------------------------------
        case!(
            "empty id",
            Engine,
            err(InvalidInput, "point 1: point id must not be empty"),
            0,
            |c| {
                let mut all = points(2);
                all[1].id = String::new();
                got(c.client.upsert_vectors(&c.collection, all).await)
            }
        ),
        case!(
            "negative id is a string id",
            Engine,
            ok(r#"get ["-1"], scroll ["-1"]"#),
            1,
            |c| { round_trip(&c, "-1").await }
        ),
        case!(
            "non-numeric id is a string id",
            Engine,
            ok(r#"get ["doc one"], scroll ["doc one"]"#),
            1,
            |c| { round_trip(&c, "doc one").await }
        ),
        case!(
            "id beyond u64 is a string id",
            Engine,
            ok(r#"get ["18446744073709551616"], scroll ["18446744073709551616"]"#),
            1,
            |c| { round_trip(&c, "18446744073709551616").await }
        ),
        case!(
            "integer id with leading zeros is that integer",
            Engine,
            ok(r#"get ["7"], scroll ["7"]"#),
            1,
            |c| { round_trip(&c, "007").await }
        ),
        case!(
            "almost a UUID (one digit short) is a string id",
            Engine,
            ok(
                r#"get ["550e8400-e29b-41d4-a716-44665544000"], scroll ["550e8400-e29b-41d4-a716-44665544000"]"#
            ),
            1,
            |c| { round_trip(&c, "550e8400-e29b-41d4-a716-44665544000").await }
        ),
        case!(
            "almost a UUID (a `g` in it) is a string id",
            Engine,
            ok(
                r#"get ["550e8400-e29b-41d4-a716-44665544000g"], scroll ["550e8400-e29b-41d4-a716-44665544000g"]"#
            ),
            1,
            |c| { round_trip(&c, "550e8400-e29b-41d4-a716-44665544000g").await }
        ),
        // Qdrant parses the simple (unhyphenated) form as a UUID and reports the canonical one.
        case!(
            "UUID without hyphens is that UUID",
            Engine,
            ok(
                r#"get ["550e8400-e29b-41d4-a716-446655440000"], scroll ["550e8400-e29b-41d4-a716-446655440000"]"#
            ),
            1,
            |c| { round_trip(&c, "550E8400E29B41D4A716446655440000").await }
        ),
        // Qdrant applies the points of one request in order: the last one of an id wins.
        case!(
            "duplicate ids in one request: the last wins",
            Engine,
            ok("1 point, `7` holds v=2"),
            1,
            |c| {
                let batch = vec![
                    point("7", vector(1), json!({"v": 1})),
                    point("7", vector(2), json!({"v": 2})),
                ];
                if let Err(e) = c.client.upsert_vectors(&c.collection, batch).await {
                    return Got::Error(e);
                }
                duplicate_outcome(&c).await
            }
        ),
        // Bodies go out one after another, in order: across requests the last wins too.
        case!(
            "duplicate ids across two requests: the last wins",
            Engine,
            ok("299 points, `7` holds v=299"),
            299,
            |c| {
                let batch: Vec<VectorPoint> = (0..300)
                    .map(|i| {
                        let id = if i == 0 || i == 299 {
                            "7".to_owned()
                        } else {
                            (1000 + i).to_string()
                        };
                        point(&id, vector(i), json!({"v": i}))
                    })
                    .collect();
                if let Err(e) = c.client.upsert_vectors(&c.collection, batch).await {
                    return Got::Error(e);
                }
                duplicate_outcome(&c).await
            }
        ),
        // ---- request size ---------------------------------------------------------------
        case!(
            "a 40 MB batch is split under the 32 MB request cap",
            Engine,
            ok("40 points"),
            40,
            |c| {
                let batch: Vec<VectorPoint> = (0..40)
                    .map(|i| {
                        point(
                            &i.to_string(),
                            vector(i),
                            json!({"text": "y".repeat(1 << 20)}),
                        )
                    })
                    .collect();
                if let Err(e) = c.client.upsert_vectors(&c.collection, batch).await {
                    return Got::Error(e);
                }
                match c.client.count(&c.collection, None, true).await {
                    Ok(n) => Got::Value(format!("{n} points")),
                    Err(e) => Got::Error(e),
                }
            }
        ),
        case!(
            "one point over the 32 MB request cap",
            Engine,
            err(InvalidInput, "over the 31457280-byte request cap"),
            0,
            |c| {
                let mut batch = points(3);
                batch[2].payload = json!({"text": "z".repeat(33 << 20)});
                got(c.client.upsert_vectors(&c.collection, batch).await)
            }
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_points_give_typed_errors() {
    run_table(cases(), None, 20).await;
}
