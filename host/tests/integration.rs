//! Drives the Rust host against a freshly started embedded engine (or the Qdrant at
//! `QDRANT_URL`): every call goes host -> component -> wasi-http -> REST -> engine.

use qdrant_embedded::{EmbeddedServer, Options};
use qdrant_integration::{Error, Outbound, QdrantClient, SearchFilter, VectorPoint};
use serde_json::json;

mod common;

use common::{DIM, client, collection_name, cosine, fresh_collection, target, vector};

fn group(i: usize) -> &'static str {
    if i.is_multiple_of(3) { "a" } else { "b" }
}

#[tokio::test]
async fn create_upsert_filtered_query_delete() {
    let target = target().await;
    let client = client(&target).await;
    let name = collection_name("scenario");
    let _ = client.delete_collection(&name).await;

    assert!(client.health_check().await.unwrap());
    assert!(!client.collection_exists(&name).await.unwrap());
    client
        .create_collection(&name, DIM as u64, "Cosine")
        .await
        .unwrap();
    assert!(client.collection_exists(&name).await.unwrap());

    let points: Vec<VectorPoint> = (0..100)
        .map(|i| VectorPoint {
            // Mix integer ids and free-form string ids (mapped by the component).
            id: if i % 2 == 0 {
                i.to_string()
            } else {
                format!("doc-{i}")
            },
            vector: vector(i),
            payload: json!({"group": group(i), "n": i}),
        })
        .collect();
    client.upsert_vectors(&name, points.clone()).await.unwrap();

    let query = vector(1000);
    let mut expected: Vec<(String, f32)> = points
        .iter()
        .filter(|p| p.payload["group"] == "a")
        .map(|p| (p.id.clone(), cosine(&p.vector, &query)))
        .collect();
    expected.sort_by(|a, b| b.1.total_cmp(&a.1));
    expected.truncate(10);

    let results = client
        .search(
            &name,
            query.clone(),
            10,
            Some(SearchFilter::must_match("group", "a")),
        )
        .await
        .unwrap();
    let got: Vec<&str> = results.iter().map(|r| r.id.as_str()).collect();
    let want: Vec<&str> = expected.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(got, want);
    for (result, (_, score)) in results.iter().zip(&expected) {
        assert!(
            (result.score - score).abs() < 1e-4,
            "{} vs {score}",
            result.score
        );
        assert_eq!(result.payload["group"], "a");
        // The original string id comes back as the id, not as a payload key.
        assert!(result.payload.get("_string_id").is_none());
        let n = result.payload["n"].as_u64().unwrap() as usize;
        assert_eq!(points[n].id, result.id);
    }

    // The threshold drops everything below it, and only that.
    let threshold = expected[4].1 - 1e-3;
    let above = client
        .search(
            &name,
            query,
            10,
            Some(SearchFilter {
                must: vec![("group".into(), "a".into())],
                score_threshold: Some(threshold),
            }),
        )
        .await
        .unwrap();
    assert_eq!(
        above.len(),
        expected.iter().filter(|(_, s)| *s > threshold).count()
    );

    client.delete_collection(&name).await.unwrap();
    assert!(!client.collection_exists(&name).await.unwrap());
}

#[tokio::test]
async fn errors_are_typed_and_lose_nothing() {
    let target = target().await;
    let client = client(&target).await;
    let name = collection_name("errors");
    let _ = client.delete_collection(&name).await;

    let missing = client
        .search(&collection_name("missing"), vec![0.0; DIM], 3, None)
        .await;
    assert!(matches!(missing, Err(Error::NotFound(_))), "{missing:?}");

    client
        .create_collection(&name, DIM as u64, "Dot")
        .await
        .unwrap();
    let again = client.create_collection(&name, DIM as u64, "Dot").await;
    assert!(
        matches!(again, Err(Error::Conflict(_) | Error::BadRequest(_))),
        "{again:?}"
    );

    let point = |id: &str, vector: Vec<f32>| VectorPoint {
        id: id.into(),
        vector,
        payload: json!({}),
    };
    // Wrong dimension: Qdrant rejects it, nothing is written.
    let wrong = client
        .upsert_vectors(&name, vec![point("1", vec![1.0; DIM + 1])])
        .await;
    assert!(matches!(wrong, Err(Error::BadRequest(_))), "{wrong:?}");
    // NaN: the component rejects the whole batch before sending anything.
    let nan = client
        .upsert_vectors(
            &name,
            vec![point("2", vec![1.0; DIM]), point("3", vec![f32::NAN; DIM])],
        )
        .await;
    assert!(matches!(nan, Err(Error::InvalidInput(_))), "{nan:?}");
    let bad_payload = client
        .upsert_vectors(
            &name,
            vec![VectorPoint {
                id: "4".into(),
                vector: vec![1.0; DIM],
                payload: json!([1]),
            }],
        )
        .await;
    assert!(
        matches!(bad_payload, Err(Error::InvalidInput(_))),
        "{bad_payload:?}"
    );
    assert!(
        client
            .search(&name, vec![1.0; DIM], 10, None)
            .await
            .unwrap()
            .is_empty()
    );

    let bad_distance = client
        .create_collection(&collection_name("x"), 4, "Hamming")
        .await;
    assert!(matches!(bad_distance, Err(Error::InvalidInput(_))));
    let bad_name = client.collection_exists("a/b").await;
    assert!(matches!(bad_name, Err(Error::InvalidInput(_))));

    client.delete_collection(&name).await.unwrap();
}

#[tokio::test]
async fn unreachable_server_is_unhealthy_not_a_panic() {
    // Bind and drop a listener to get a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = QdrantClient::new(&format!("http://127.0.0.1:{port}"), None)
        .await
        .unwrap();
    assert!(!client.health_check().await.unwrap());
    assert!(matches!(
        client.collection_exists("c").await,
        Err(Error::Connection(_))
    ));
    assert!(matches!(
        QdrantClient::new("localhost:6333", None).await,
        Err(Error::InvalidInput(_))
    ));
}

#[tokio::test]
async fn api_key_is_sent_and_required() {
    let server = EmbeddedServer::start(Options {
        api_key: Some("s3cret".into()),
        ..Options::default()
    })
    .await
    .unwrap();
    let without = QdrantClient::new(&server.url(), None).await.unwrap();
    let denied = without.collection_exists("c").await;
    assert!(matches!(denied, Err(Error::Unauthorized(_))), "{denied:?}");
    let with = QdrantClient::new(&server.url(), Some("s3cret"))
        .await
        .unwrap();
    assert!(!with.collection_exists("c").await.unwrap());
    let wrong = QdrantClient::new(&server.url(), Some("wrong"))
        .await
        .unwrap();
    let Err(e) = wrong.collection_exists("c").await else {
        panic!("wrong key accepted")
    };
    assert!(!e.to_string().contains("wrong"), "the key leaked into {e}");
}

/// The `retriever` build (the guest's own wasi:http, policed in the `send_request` hook)
/// serves the same calls as the default `http-transport` build.
#[tokio::test]
async fn the_wasi_http_build_serves_the_same_calls() {
    let target = target().await;
    let client = client(&target).await.with_outbound(Outbound::WasiHttp);
    assert!(client.health_check().await.unwrap());
    let name = fresh_collection(&client, "wasi_http").await;
    let points: Vec<VectorPoint> = (0..20)
        .map(|i| VectorPoint {
            id: format!("doc-{i}"),
            vector: vector(i),
            payload: json!({"group": group(i)}),
        })
        .collect();
    client.upsert_vectors(&name, points).await.unwrap();
    let hits = client
        .search(
            &name,
            vector(7),
            3,
            Some(SearchFilter::must_match("group", group(7))),
        )
        .await
        .unwrap();
    assert_eq!(hits[0].id, "doc-7");
    assert!(hits.iter().all(|h| h.payload["group"] == group(7)));
    let missing = client.collection_info("no_such_collection_here").await;
    assert!(matches!(missing, Err(Error::NotFound(_))), "{missing:?}");
    client.delete_collection(&name).await.unwrap();
}
