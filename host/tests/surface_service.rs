//! The service and the cluster parameters, through the Rust host, against the embedded
//! engine (or the Qdrant at `QDRANT_URL`): readiness and server info, the server-side
//! timeout, read consistency, write ordering and shard keys as a standalone server answers
//! them.

mod common;
#[path = "common/seeded.rs"]
mod seeded;

use common::{DIM, client, collection_name, target, vector};
use qdrant_integration::Error;
use qdrant_integration::types::{
    CollectionConfig, Distance, PayloadSelector, PointBatch, PointsSelector, QueryRequest,
    ReadConsistency, ShardKeySelector, ShardingMethod, VectorParams, VectorSelector, WriteOrdering,
};
use seeded::{brute_force, exact, id, ids_of, seeded};
use serde_json::{Value, json};

#[tokio::test]
async fn service_endpoints_and_server_timeouts_answer() {
    let target = target().await;
    let client = client(&target).await;
    assert!(client.ready().await.unwrap());
    let info = client.server_info().await.unwrap();
    assert!(!info.version.is_empty());

    // Operations that take Qdrant's `timeout` parameter accept it.
    let patient = client.with_server_timeout(std::time::Duration::from_secs(30));
    let name = collection_name("server_timeout");
    let _ = patient.delete_collection(&name).await;
    patient.create_collection(&name, 2, "Dot").await.unwrap();
    let batch = PointBatch::new(vec!["1".into()]).with_dense("", 2, &[1.0, 0.5]);
    patient.upsert_points(&name, &batch, true).await.unwrap();
    assert_eq!(patient.count(&name, None, true).await.unwrap(), 1);
    let hits = patient
        .query(&name, &QueryRequest::nearest(&[1.0, 0.0], 1))
        .await
        .unwrap();
    assert_eq!(ids_of(&hits), ["1"]);
    patient.delete_collection(&name).await.unwrap();
}

/// Read consistency, write ordering and shard keys reach the server; a standalone server
/// (the embedded engine, or a single Qdrant) takes the first two and has no shard keys.
#[tokio::test]
async fn cluster_parameters_are_sent_and_answered_as_a_standalone_qdrant_does() {
    let target = target().await;
    let (client, name) = seeded(&target, "cluster", 20).await;
    let query = exact(QueryRequest::nearest(&vector(3), 5));
    let expected = ids_of(&client.query(&name, &query).await.unwrap());
    assert_eq!(expected, brute_force(20, &vector(3), |_| true)[..5]);

    for consistency in [
        ReadConsistency::Factor(2),
        ReadConsistency::Majority,
        ReadConsistency::Quorum,
        ReadConsistency::All,
    ] {
        let careful = client
            .clone()
            .with_read_consistency(consistency)
            .with_write_ordering(WriteOrdering::Strong);
        assert_eq!(
            ids_of(&careful.query(&name, &query).await.unwrap()),
            expected
        );
        assert_eq!(careful.count(&name, None, true).await.unwrap(), 20);
        let got = careful
            .get_points(
                &name,
                &[id(4)],
                &PayloadSelector::All,
                &VectorSelector::None,
            )
            .await
            .unwrap();
        assert_eq!(got[0].id, id(4));
        let selector = PointsSelector::Ids(vec![id(4)]);
        let written = careful
            .set_payload(&name, &selector, &json!({"seen": true}), None, true)
            .await
            .unwrap();
        assert!(written.completed);
    }

    // A named shard key does not exist on a standalone server: reads and writes say so,
    // with Qdrant's messages, and nothing is written.
    let tenant = client.clone().with_shard_key("eu");
    let batch = PointBatch::new(vec!["999".into()]).with_dense("", DIM as u32, &vector(999));
    let refused = tenant.upsert_points(&name, &batch, true).await;
    assert!(
        matches!(&refused, Err(Error::BadRequest(m)) if m.contains("Shard key \"eu\" not found")),
        "{refused:?}"
    );
    let refused = tenant.query(&name, &query).await;
    assert!(
        matches!(&refused, Err(Error::BadRequest(m)) if m.contains("Shard key \"eu\" not found")),
        "{refused:?}"
    );
    let fallback = client
        .clone()
        .with_shard_key(ShardKeySelector::with_fallback("tenant-1", 7u64));
    let refused = fallback.upsert_points(&name, &batch, true).await;
    assert!(
        matches!(&refused, Err(Error::NotFound(m)) if m.contains("Neither target shard key \"tenant-1\" nor fallback shard key 7")),
        "{refused:?}"
    );
    let nothing = client
        .clone()
        .with_shard_key(ShardKeySelector::Keys(vec![]));
    assert!(matches!(
        nothing.count(&name, None, true).await,
        Err(Error::InvalidInput(_))
    ));
    assert_eq!(client.count(&name, None, true).await.unwrap(), 20);

    // Shard keys are a distributed-mode feature.
    let refused = client.create_shard_key(&name, "eu").await;
    assert!(
        matches!(&refused, Err(Error::BadRequest(m)) if m.contains("Distributed mode disabled")),
        "{refused:?}"
    );
    let refused = client.delete_shard_key(&name, 3u64).await;
    assert!(matches!(refused, Err(Error::BadRequest(_))), "{refused:?}");
    assert!(client.list_shard_keys(&name).await.unwrap().is_empty());

    // A custom-sharded collection has no shards there: empty reads, refused writes.
    let custom = collection_name("cluster_custom");
    let _ = client.delete_collection(&custom).await;
    let mut config =
        CollectionConfig::new(vec![VectorParams::new("", DIM as u64, Distance::Cosine)]);
    config.sharding_method = Some(ShardingMethod::Custom);
    client
        .create_collection_with(&custom, &config)
        .await
        .unwrap();
    let info: Value =
        serde_json::from_str(&client.collection_info(&custom).await.unwrap().config_json).unwrap();
    assert_eq!(info["params"]["sharding_method"], "custom");
    assert!(client.list_shard_keys(&custom).await.unwrap().is_empty());
    let refused = client.upsert_points(&custom, &batch, true).await;
    assert!(
        matches!(&refused, Err(Error::BadRequest(m)) if m.contains("Shard key not specified")),
        "{refused:?}"
    );
    assert_eq!(client.count(&custom, None, true).await.unwrap(), 0);
    assert!(client.query(&custom, &query).await.unwrap().is_empty());
    client.delete_collection(&custom).await.unwrap();
    client.delete_collection(&name).await.unwrap();
}
