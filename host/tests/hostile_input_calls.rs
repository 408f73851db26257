//! Hostile call arguments against the engine, one table: collection names (refused, or
//! kept exactly), filters, distances, query and scroll limits.
//! What a case declares and how the table runs: `common/hostile.rs`.

mod common;
#[path = "common/hostile.rs"]
mod hostile;
#[path = "common/raw_http.rs"]
mod raw_http;

use common::vector;
use hostile::{Case, Ctx, Got, Kind, On, case, err, got, ok, points, run_table, unique};
use qdrant_integration::Error;
use qdrant_integration::types::{Filter, QueryRequest, ScrollRequest};

/// `{"must":[{"must":[ ... ]}]}`, `levels` filters deep.
fn nested_filter(levels: usize) -> String {
    let mut text = String::new();
    for _ in 0..levels {
        text.push_str(r#"{"must":["#);
    }
    text.push_str(r#"{"key":"k","match":{"value":1}}"#);
    for _ in 0..levels {
        text.push_str("]}");
    }
    text
}

async fn count_with(c: &Ctx, filter: &str) -> Got {
    got(c
        .client
        .count(&c.collection, Some(&Filter::Json(filter.into())), true)
        .await)
}

/// Creates a collection named `name`, checks it exists and is listed under exactly that
/// name, then deletes it.
async fn accepted_name(c: &Ctx, name: &str) -> Got {
    let outcome = async {
        c.client.create_collection(name, 4, "Dot").await?;
        let exists = c.client.collection_exists(name).await?;
        let listed = c.client.list_collections().await?;
        let as_is = listed.iter().any(|n| n == name);
        let info = c.client.collection_info(name).await?;
        Ok::<_, Error>(format!(
            "exists={exists} listed-as-is={as_is} size={}",
            info.vectors[0].size
        ))
    }
    .await;
    let _ = c.client.delete_collection(name).await;
    match outcome {
        Ok(summary) => Got::Value(summary),
        Err(e) => Got::Error(e),
    }
}

/// Three points, then a query / scroll with the largest limit.
async fn three_points(c: &Ctx) -> Result<(), Error> {
    c.client.upsert_vectors(&c.collection, points(3)).await
}

// A case's body may be a block; `case!` puts it in an `async` block of its own.
#[allow(unused_braces)]
fn cases() -> Vec<Case> {
    use Kind::*;
    use On::*;
    vec![
        // ---- collection names -----------------------------------------------------------
        case!(
            "empty collection name",
            Engine,
            err(InvalidInput, "collection name must be 1 to 255 bytes"),
            0,
            |c| { got(c.client.collection_exists("").await) }
        ),
        case!(
            "256-byte collection name",
            Engine,
            err(InvalidInput, "collection name must be 1 to 255 bytes"),
            0,
            |c| { got(c.client.create_collection(&"n".repeat(256), 4, "Dot").await) }
        ),
        case!(
            "255-byte collection name is accepted",
            Engine,
            ok("exists=true listed-as-is=true size=4"),
            0,
            |c| {
                let tail = unique("");
                accepted_name(&c, &format!("{}{tail}", "n".repeat(255 - tail.len()))).await
            }
        ),
        case!(
            "name with `/`",
            Engine,
            err(InvalidInput, "must not contain '/'"),
            0,
            |c| { got(c.client.create_collection("a/b", 4, "Dot").await) }
        ),
        case!(
            "name `..`",
            Engine,
            err(InvalidInput, "must not be `..`"),
            0,
            |c| { got(c.client.delete_collection("..").await) }
        ),
        case!(
            "name `.`",
            Engine,
            err(InvalidInput, "must not be `.`"),
            0,
            |c| { got(c.client.collection_info(".").await) }
        ),
        case!(
            "name with `?`",
            Engine,
            err(InvalidInput, "must not contain '?'"),
            0,
            |c| { got(c.client.create_collection("a?b=c", 4, "Dot").await) }
        ),
        case!(
            "name with `\\`",
            Engine,
            err(InvalidInput, r"must not contain '\\'"),
            0,
            |c| { got(c.client.create_collection(r"a\..\b", 4, "Dot").await) }
        ),
        case!(
            "name with a newline",
            Engine,
            err(InvalidInput, r"must not contain '\n'"),
            0,
            |c| { got(c.client.create_collection("a\nb", 4, "Dot").await) }
        ),
        case!(
            "name with NUL",
            Engine,
            err(InvalidInput, r"must not contain '\0'"),
            0,
            |c| { got(c.client.collection_exists("a\0b").await) }
        ),
        case!(
            "name with DEL",
            Engine,
            err(InvalidInput, r"must not contain '\u{7f}'"),
            0,
            |c| { got(c.client.collection_exists("a\u{7f}b").await) }
        ),
        case!(
            "name with `%2F` is a literal name",
            Engine,
            ok("exists=true listed-as-is=true size=4"),
            0,
            |c| { accepted_name(&c, &unique("a%2Fb")).await }
        ),
        case!(
            "name with `%2E%2E` is a literal name",
            Engine,
            ok("exists=true listed-as-is=true size=4"),
            0,
            |c| { accepted_name(&c, &unique("%2E%2E")).await }
        ),
        case!(
            "name with `#` is accepted",
            Engine,
            ok("exists=true listed-as-is=true size=4"),
            0,
            |c| { accepted_name(&c, &unique("#frag")).await }
        ),
        case!(
            "name with spaces is accepted",
            Engine,
            ok("exists=true listed-as-is=true size=4"),
            0,
            |c| { accepted_name(&c, &unique(" my docs ")).await }
        ),
        case!(
            "name in Unicode is accepted",
            Engine,
            ok("exists=true listed-as-is=true size=4"),
            0,
            |c| { accepted_name(&c, &unique("文档-ü")).await }
        ),
        // ---- filters --------------------------------------------------------------------
        case!(
            "filter: malformed JSON",
            Engine,
            err(InvalidInput, "filter is not valid JSON"),
            0,
            |c| { count_with(&c, r#"{"must": [{"key": "a", "#).await }
        ),
        case!(
            "filter: an array, not an object",
            Engine,
            err(InvalidInput, "filter: must be a JSON object"),
            0,
            |c| { count_with(&c, "[1, 2]").await }
        ),
        case!(
            "filter: unknown clause",
            Engine,
            err(InvalidInput, "unknown clause `mustt`"),
            0,
            |c| { count_with(&c, r#"{"mustt": []}"#).await }
        ),
        case!(
            "filter: key of the wrong type",
            Engine,
            err(InvalidInput, "filter.must[0]: `key` must be a string"),
            0,
            |c| { count_with(&c, r#"{"must": [{"key": 5, "match": {"value": 1}}]}"#).await }
        ),
        case!(
            "filter: has_id with a non-id",
            Engine,
            err(InvalidInput, "is not an id"),
            0,
            |c| { count_with(&c, r#"{"must": [{"has_id": [true]}]}"#).await }
        ),
        case!(
            "filter: 1,000 levels deep",
            Engine,
            err(InvalidInput, "recursion limit"),
            0,
            |c| { count_with(&c, &nested_filter(1_000)).await }
        ),
        // ---- distance and limits --------------------------------------------------------
        case!(
            "unknown distance",
            Engine,
            err(InvalidInput, "unknown distance `Hamming`"),
            0,
            |c| {
                got(c
                    .client
                    .create_collection(&unique("hamming"), 4, "Hamming")
                    .await)
            }
        ),
        case!(
            "distance spelled ` EUCLIDEAN ` is accepted",
            Engine,
            ok("Euclid"),
            0,
            |c| {
                let name = unique("euclid");
                let outcome = async {
                    c.client.create_collection(&name, 4, " EUCLIDEAN ").await?;
                    c.client.collection_info(&name).await
                }
                .await;
                let _ = c.client.delete_collection(&name).await;
                match outcome {
                    Ok(info) => Got::Value(info.vectors[0].distance.name().to_owned()),
                    Err(e) => Got::Error(e),
                }
            }
        ),
        case!(
            "query limit 0",
            Engine,
            err(InvalidInput, "limit must be at least 1"),
            0,
            |c| { got(c.client.search(&c.collection, vector(0), 0, None).await) }
        ),
        case!(
            "query limit 2^32-1 returns every point",
            Engine,
            ok("3 hits"),
            3,
            |c| {
                if let Err(e) = three_points(&c).await {
                    return Got::Error(e);
                }
                match c
                    .client
                    .query(&c.collection, &QueryRequest::nearest(&vector(0), u32::MAX))
                    .await
                {
                    Ok(hits) => Got::Value(format!("{} hits", hits.len())),
                    Err(e) => Got::Error(e),
                }
            }
        ),
        case!(
            "query limit beyond u32",
            Engine,
            err(InvalidInput, "limit too large"),
            0,
            |c| {
                got(c
                    .client
                    .search(&c.collection, vector(0), u32::MAX as usize + 1, None)
                    .await)
            }
        ),
        case!(
            "scroll limit 0",
            Engine,
            err(InvalidInput, "limit must be at least 1"),
            0,
            |c| { got(c.client.scroll(&c.collection, &ScrollRequest::new(0)).await) }
        ),
        case!(
            "scroll limit 2^32-1 returns every point",
            Engine,
            ok("3 points, next None"),
            3,
            |c| {
                if let Err(e) = three_points(&c).await {
                    return Got::Error(e);
                }
                match c
                    .client
                    .scroll(&c.collection, &ScrollRequest::new(u32::MAX))
                    .await
                {
                    Ok(page) => Got::Value(format!(
                        "{} points, next {:?}",
                        page.points.len(),
                        page.next_offset
                    )),
                    Err(e) => Got::Error(e),
                }
            }
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_call_arguments_give_typed_errors() {
    run_table(cases(), None, 15).await;
}
