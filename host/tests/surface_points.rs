//! Points, through the Rust host, against the embedded engine (or the Qdrant at
//! `QDRANT_URL`): get, payload changes, count and delete, scrolling the whole collection,
//! ordered bulk upserts, and validation that sends nothing. Expected answers are computed
//! from the seeded data (`common/seeded.rs`), never hard-coded.

mod common;
#[path = "common/seeded.rs"]
mod seeded;

use std::collections::BTreeSet;

use common::{DIM, fresh_collection, target, vector};
use qdrant_integration::Error;
use qdrant_integration::types::{
    Filter, PayloadSelector, PointBatch, PointsSelector, ScrollRequest, VectorSelector,
};
use seeded::{id, payload, seeded};
use serde_json::{Value, json};

#[tokio::test]
async fn points_can_be_read_changed_and_deleted() {
    const N: usize = 20;
    let target = target().await;
    let (client, name) = seeded(&target, "points", N).await;
    let ids = |list: &[usize]| list.iter().map(|&i| id(i)).collect::<Vec<_>>();

    // Get: asked order, missing ids skipped, payload and vectors on request.
    let got = client
        .get_points(
            &name,
            &[id(5), "999".into(), id(2)],
            &PayloadSelector::All,
            &VectorSelector::All,
        )
        .await
        .unwrap();
    assert_eq!(
        got.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
        ids(&[5, 2])
    );
    let p5: Value = serde_json::from_str(&got[0].payload).unwrap();
    assert_eq!(p5, payload(5));
    assert_eq!(got[0].vectors.len(), 1);

    // Set merges, at a nested key too; overwrite replaces but keeps string ids.
    let selector = PointsSelector::Ids(ids(&[1, 2]));
    client
        .set_payload(&name, &selector, &json!({"fresh": true}), None, true)
        .await
        .unwrap();
    client
        .set_payload(&name, &selector, &json!({"lat": 1.5}), Some("loc"), true)
        .await
        .unwrap();
    let got = client
        .get_points(
            &name,
            &ids(&[1]),
            &PayloadSelector::All,
            &VectorSelector::None,
        )
        .await
        .unwrap();
    let p1: Value = serde_json::from_str(&got[0].payload).unwrap();
    assert_eq!(p1["fresh"], true);
    assert_eq!(p1["loc"], json!({"lat": 1.5, "lon": 13.0}));
    assert_eq!(p1["n"], 1);

    client
        .overwrite_payload(&name, &selector, &json!({"only": 1}), true)
        .await
        .unwrap();
    client
        .delete_payload_keys(
            &name,
            &PointsSelector::Ids(ids(&[3])),
            &["group".into()],
            true,
        )
        .await
        .unwrap();
    client
        .clear_payload(&name, &PointsSelector::Ids(ids(&[4])), true)
        .await
        .unwrap();
    let got = client
        .get_points(
            &name,
            &ids(&[1, 2, 3, 4]),
            &PayloadSelector::All,
            &VectorSelector::None,
        )
        .await
        .unwrap();
    assert_eq!(
        got.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
        ids(&[1, 2, 3, 4])
    );
    assert_eq!(got[0].payload, r#"{"only":1}"#);
    assert_eq!(got[1].payload, r#"{"only":1}"#);
    let p3: Value = serde_json::from_str(&got[2].payload).unwrap();
    assert!(p3.get("group").is_none() && p3["n"] == 3);
    assert_eq!(got[3].payload, "{}");

    // Counting and deleting by ids and by filter.
    assert_eq!(client.count(&name, None, true).await.unwrap(), N as u64);
    let approx = client.count(&name, None, false).await.unwrap();
    assert!(approx > 0);
    let done = client
        .delete_points(&name, &PointsSelector::Ids(ids(&[0, 1])), true)
        .await
        .unwrap();
    assert!(done.completed);
    let group_c = Filter::MustMatch(vec![("group".into(), "c".into())]);
    client
        .delete_points(&name, &PointsSelector::Filter(group_c.clone()), true)
        .await
        .unwrap();
    assert_eq!(client.count(&name, Some(&group_c), true).await.unwrap(), 0);
    // Left: not 0 or 1, not group c (2 was overwritten and lost its group, so it stays).
    let left = (0..N).filter(|&i| i > 1 && (i % 3 != 2 || i == 2)).count();
    assert_eq!(client.count(&name, None, true).await.unwrap(), left as u64);

    // Bad input is rejected before sending and changes nothing.
    for bad in [json!([1]), json!({"_string_id": "x"})] {
        let got = client
            .set_payload(&name, &PointsSelector::Ids(ids(&[2])), &bad, None, true)
            .await;
        assert!(matches!(got, Err(Error::InvalidInput(_))), "{bad}");
    }
    client.delete_collection(&name).await.unwrap();
}

#[tokio::test]
async fn scroll_walks_the_whole_collection() {
    const N: usize = 250;
    let target = target().await;
    let (client, name) = seeded(&target, "scroll", N).await;
    for (filter, keep) in [
        (None, Box::new(|_| true) as Box<dyn Fn(usize) -> bool>),
        (
            Some(Filter::MustMatch(vec![("group".into(), "a".into())])),
            Box::new(|i| i.is_multiple_of(3)),
        ),
    ] {
        let mut request = ScrollRequest::new(64);
        request.filter = filter;
        request.with_payload = PayloadSelector::Include(vec!["n".into()]);
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let page = client.scroll(&name, &request).await.unwrap();
            pages += 1;
            seen.extend(page.points.into_iter().map(|p| p.id));
            match page.next_offset {
                Some(next) => request.offset = Some(next),
                None => break,
            }
        }
        let want: BTreeSet<String> = (0..N).filter(|&i| keep(i)).map(id).collect();
        assert_eq!(seen.len(), want.len(), "no point twice");
        assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), want);
        assert_eq!(pages, want.len().div_ceil(64).max(1));
    }
    client.delete_collection(&name).await.unwrap();
}

#[tokio::test]
async fn a_bulk_upsert_writes_its_requests_in_order() {
    // 50 writes to 30 ids in requests of 7: the host sends each body while the component
    // writes the next, yet every id keeps its last write, as if sent one by one.
    let target = target().await;
    let client = common::client(&target).await.with_upsert_batch_size(7);
    let name = fresh_collection(&client, "bulk_order").await;
    let flat: Vec<f32> = (0..50).flat_map(vector).collect();
    let payloads: Vec<Value> = (0..50).map(|i| json!({"write": i})).collect();
    let batch = PointBatch::new((0..50).map(|i| id(i % 30)).collect())
        .with_dense("", DIM as u32, &flat)
        .with_payloads(&payloads);
    assert_eq!(client.upsert_points(&name, &batch, true).await.unwrap(), 50);
    assert_eq!(client.count(&name, None, true).await.unwrap(), 30);
    let mut request = ScrollRequest::new(100);
    request.with_payload = PayloadSelector::All;
    let page = client.scroll(&name, &request).await.unwrap();
    let stored: BTreeSet<(String, i64)> = page
        .points
        .iter()
        .map(|p| {
            let payload: Value = serde_json::from_str(&p.payload).unwrap();
            (p.id.clone(), payload["write"].as_i64().unwrap())
        })
        .collect();
    let last: BTreeSet<(String, i64)> = (20..50).map(|i| (id(i % 30), i as i64)).collect();
    assert_eq!(stored, last);
    client.delete_collection(&name).await.unwrap();
}

#[tokio::test]
async fn validate_points_refuses_what_upsert_refuses_and_sends_nothing() {
    let target = target().await;
    let client = common::client(&target).await;
    let name = fresh_collection(&client, "validate").await;
    let mut flat: Vec<f32> = (0..20).flat_map(vector).collect();
    let payloads: Vec<Value> = (0..20).map(payload).collect();
    let good = PointBatch::new((0..20).map(id).collect())
        .with_dense("", DIM as u32, &flat)
        .with_payloads(&payloads);
    client.validate_points(&good).await.unwrap();
    flat[17 * DIM + 2] = f32::INFINITY;
    let bad = PointBatch::new((0..20).map(id).collect())
        .with_dense("", DIM as u32, &flat)
        .with_payloads(&payloads);
    let refused = client.validate_points(&bad).await.unwrap_err();
    assert!(
        matches!(&refused, Error::InvalidInput(m) if m.contains("vector 17")),
        "{refused}"
    );
    let upserted = client.upsert_points(&name, &bad, true).await.unwrap_err();
    assert_eq!(refused.to_string(), upserted.to_string());
    // Neither wrote anything; a valid batch was only checked, not sent.
    assert_eq!(client.count(&name, None, true).await.unwrap(), 0);
    client.delete_collection(&name).await.unwrap();
}
