//! Collections, through the Rust host, against the embedded engine (or the Qdrant at
//! `QDRANT_URL`): configuration, listing, aliases and quantization, payload indexes, and
//! snapshots that restore a collection.

mod common;
#[path = "common/seeded.rs"]
mod seeded;

use common::{client, collection_name, target};
use qdrant_integration::Error;
use qdrant_integration::types::{
    CollectionConfig, CollectionStatus, CollectionUpdate, Distance, Filter, PayloadSchemaType,
    PayloadSelector, PointBatch, PointsSelector, Quantization, QuantizationChange,
    ScalarQuantization, VectorParams, VectorSelector,
};
use seeded::{id, payload, seeded};
use serde_json::Value;

#[tokio::test]
async fn collections_are_configured_listed_and_aliased() {
    let target = target().await;
    let client = client(&target).await;
    let name = collection_name("admin");
    let alias = collection_name("admin_alias");
    let _ = client.delete_alias(&alias).await;
    let _ = client.delete_collection(&name).await;

    client
        .create_collection_multi_vector(&name, vec![("text", 4, "Cosine"), ("image", 6, "Euclid")])
        .await
        .unwrap();
    let info = client.collection_info(&name).await.unwrap();
    assert_eq!(info.status, CollectionStatus::Green);
    assert_eq!(info.points_count, Some(0));
    let mut layout: Vec<(String, u64, Distance)> = info
        .vectors
        .iter()
        .map(|v| (v.name.clone(), v.size, v.distance))
        .collect();
    layout.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        layout,
        [
            ("image".to_string(), 6, Distance::Euclid),
            ("text".to_string(), 4, Distance::Cosine)
        ]
    );
    assert!(client.list_collections().await.unwrap().contains(&name));

    client.enable_quantization(&name, "scalar").await.unwrap();
    let config: Value =
        serde_json::from_str(&client.collection_info(&name).await.unwrap().config_json).unwrap();
    assert_eq!(config["quantization_config"]["scalar"]["type"], "int8");
    client
        .update_collection(
            &name,
            CollectionUpdate {
                hnsw: None,
                quantization: Some(QuantizationChange::Disable),
            },
        )
        .await
        .unwrap();
    let config: Value =
        serde_json::from_str(&client.collection_info(&name).await.unwrap().config_json).unwrap();
    assert!(config["quantization_config"].is_null(), "{config}");
    let unknown = client.enable_quantization(&name, "fancy").await;
    assert!(matches!(unknown, Err(Error::InvalidInput(_))));

    // An alias reaches the same collection.
    client.create_alias(&alias, &name).await.unwrap();
    let aliases = client.list_aliases(Some(&name)).await.unwrap();
    assert_eq!(aliases.len(), 1);
    assert_eq!(
        (aliases[0].alias.as_str(), aliases[0].collection.as_str()),
        (alias.as_str(), name.as_str())
    );
    assert!(
        client
            .list_aliases(None)
            .await
            .unwrap()
            .iter()
            .any(|a| a.alias == alias)
    );
    let batch = PointBatch::new(vec!["1".into()])
        .with_dense("text", 4, &[1.0, 0.0, 0.0, 0.0])
        .with_dense("image", 6, &[0.0; 6]);
    client.upsert_points(&alias, &batch, true).await.unwrap();
    assert_eq!(client.count(&name, None, true).await.unwrap(), 1);
    client.delete_alias(&alias).await.unwrap();
    assert!(client.list_aliases(Some(&name)).await.unwrap().is_empty());

    // A second create conflicts; deleting twice reports the second as a no-op.
    let again = client.create_collection(&name, 4, "Dot").await;
    assert!(
        matches!(again, Err(Error::Conflict(_) | Error::BadRequest(_))),
        "{again:?}"
    );
    client.delete_collection(&name).await.unwrap();
    assert!(!client.list_collections().await.unwrap().contains(&name));

    // Cluster settings and quantization at creation are accepted and reported.
    let mut config = CollectionConfig::new(vec![VectorParams::new("", 4, Distance::Manhattan)]);
    config.shard_number = Some(1);
    config.replication_factor = Some(1);
    config.write_consistency_factor = Some(1);
    config.quantization = Some(Quantization::Scalar(ScalarQuantization {
        quantile: Some(0.99),
        always_ram: None,
    }));
    client.create_collection_with(&name, &config).await.unwrap();
    let info = client.collection_info(&name).await.unwrap();
    assert_eq!(info.vectors[0].name, "");
    assert_eq!(info.vectors[0].distance, Distance::Manhattan);
    assert_eq!(info.shard_number, Some(1));
    let config: Value = serde_json::from_str(&info.config_json).unwrap();
    assert_eq!(
        config["quantization_config"]["scalar"]["quantile"]
            .as_f64()
            .map(|q| (q * 100.0).round()),
        Some(99.0)
    );
    client.delete_collection(&name).await.unwrap();
}

#[tokio::test]
async fn payload_indexes_are_created_and_dropped() {
    let target = target().await;
    let (client, name) = seeded(&target, "indexes", 10).await;
    for (field, schema) in [
        ("group", PayloadSchemaType::Keyword),
        ("n", PayloadSchemaType::Integer),
        ("when", PayloadSchemaType::Datetime),
        ("loc", PayloadSchemaType::Geo),
    ] {
        let done = client
            .create_payload_index(&name, field, schema, true)
            .await
            .unwrap();
        assert!(done.completed);
    }
    let info = client.collection_info(&name).await.unwrap();
    assert_eq!(
        info.payload_schema,
        [
            ("group".to_string(), PayloadSchemaType::Keyword),
            ("loc".to_string(), PayloadSchemaType::Geo),
            ("n".to_string(), PayloadSchemaType::Integer),
            ("when".to_string(), PayloadSchemaType::Datetime),
        ]
    );
    // Indexed or not, filters answer the same.
    let group_a = Filter::MustMatch(vec![("group".into(), "a".into())]);
    assert_eq!(client.count(&name, Some(&group_a), true).await.unwrap(), 4);
    client.delete_payload_index(&name, "n", true).await.unwrap();
    let info = client.collection_info(&name).await.unwrap();
    assert!(info.payload_schema.iter().all(|(f, _)| f != "n"));
    client.delete_collection(&name).await.unwrap();
}

#[tokio::test]
async fn snapshots_restore_a_collection() {
    const N: usize = 30;
    let target = target().await;
    let (client, name) = seeded(&target, "snapshots", N).await;
    let snapshot = client.create_snapshot(&name).await.unwrap();
    assert!(snapshot.size > 0);
    let listed = client.list_snapshots(&name).await.unwrap();
    assert!(listed.iter().any(|s| s.name == snapshot.name));

    // Lose some points, then restore: they are back, with their original ids.
    client
        .delete_points(
            &name,
            &PointsSelector::Filter(Filter::MustMatch(vec![("group".into(), "a".into())])),
            true,
        )
        .await
        .unwrap();
    assert_eq!(
        client.count(&name, None, true).await.unwrap(),
        (N - 10) as u64
    );
    client.restore_snapshot(&name, &snapshot).await.unwrap();
    assert_eq!(client.count(&name, None, true).await.unwrap(), N as u64);
    let got = client
        .get_points(
            &name,
            &[id(3)],
            &PayloadSelector::All,
            &VectorSelector::None,
        )
        .await
        .unwrap();
    assert_eq!(got[0].id, id(3));
    assert_eq!(
        serde_json::from_str::<Value>(&got[0].payload).unwrap(),
        payload(3)
    );

    assert!(client.delete_snapshot(&name, &snapshot.name).await.unwrap());
    assert!(!client.delete_snapshot(&name, &snapshot.name).await.unwrap());
    let bad = client
        .restore_snapshot(&name, "ftp://elsewhere/x.snapshot")
        .await;
    assert!(matches!(bad, Err(Error::InvalidInput(_))), "{bad:?}");
    client.delete_collection(&name).await.unwrap();
}
