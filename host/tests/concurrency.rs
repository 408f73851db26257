//! Many tasks sharing one client (and its clones) against one server, writes and reads
//! interleaved: nothing is lost, nothing fails, every read sees a consistent collection.

mod common;

use common::{client, collection_name, target};
use qdrant_integration::types::{
    Filter, PayloadSelector, PointBatch, QueryRequest, VectorSelector,
};
use serde_json::{Value, json};

const WRITERS: usize = 8;
const BATCHES: usize = 5;
const PER_BATCH: usize = 10;
const READERS: usize = 8;
const DIM: usize = 16;

fn vector(i: usize) -> Vec<f32> {
    (0..DIM)
        .map(|j| ((i * 31 + j * 7) as f32 * 0.37).cos())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writers_and_readers_interleave_safely() {
    let target = target().await;
    let client = client(&target).await;
    let name = collection_name("concurrency");
    let _ = client.delete_collection(&name).await;
    client
        .create_collection(&name, DIM as u64, "Cosine")
        .await
        .unwrap();

    let mut tasks = Vec::new();
    for writer in 0..WRITERS {
        let (client, name) = (client.clone(), name.clone());
        tasks.push(tokio::spawn(async move {
            for batch in 0..BATCHES {
                let ids: Vec<usize> = (0..PER_BATCH)
                    .map(|k| (writer * BATCHES + batch) * PER_BATCH + k)
                    .collect();
                let flat: Vec<f32> = ids.iter().flat_map(|&i| vector(i)).collect();
                let payloads: Vec<Value> = ids
                    .iter()
                    .map(|&i| json!({"writer": writer, "n": i}))
                    .collect();
                let points = PointBatch::new(ids.iter().map(|i| format!("p-{i}")).collect())
                    .with_dense("", DIM as u32, &flat)
                    .with_payloads(&payloads);
                client.upsert_points(&name, &points, true).await.unwrap();
            }
        }));
    }
    for reader in 0..READERS {
        let (client, name) = (client.clone(), name.clone());
        tasks.push(tokio::spawn(async move {
            let mut last_count = 0;
            for round in 0..15 {
                let count = client.count(&name, None, true).await.unwrap();
                assert!(
                    count >= last_count,
                    "the count went down: {last_count} -> {count}"
                );
                assert_eq!(count % PER_BATCH as u64, 0, "a batch was seen half-written");
                last_count = count;
                let hits = client
                    .query(
                        &name,
                        &QueryRequest::nearest(&vector(reader * 100 + round), 5),
                    )
                    .await
                    .unwrap();
                for hit in hits {
                    let payload: Value = serde_json::from_str(&hit.payload).unwrap();
                    assert_eq!(hit.id, format!("p-{}", payload["n"]));
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }

    let total = WRITERS * BATCHES * PER_BATCH;
    assert_eq!(client.count(&name, None, true).await.unwrap(), total as u64);
    for writer in 0..WRITERS {
        let mine = Filter::Json(
            json!({"must": [{"key": "writer", "match": {"value": writer}}]}).to_string(),
        );
        assert_eq!(
            client.count(&name, Some(&mine), true).await.unwrap(),
            (BATCHES * PER_BATCH) as u64
        );
    }
    let sample: Vec<String> = (0..total).step_by(37).map(|i| format!("p-{i}")).collect();
    let got = client
        .get_points(&name, &sample, &PayloadSelector::All, &VectorSelector::None)
        .await
        .unwrap();
    assert_eq!(got.iter().map(|p| p.id.clone()).collect::<Vec<_>>(), sample);
    client.delete_collection(&name).await.unwrap();
}
