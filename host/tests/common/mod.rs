//! What every integration test needs: a server to talk to and a client for it.

#![allow(dead_code)] // each test binary uses its own subset

use qdrant_embedded::{EmbeddedServer, Options};
use qdrant_integration::QdrantClient;

/// The target server: `QDRANT_URL` when set, else a fresh embedded engine.
pub struct Target {
    pub url: String,
    pub api_key: Option<String>,
    _embedded: Option<EmbeddedServer>,
}

pub async fn target() -> Target {
    match std::env::var("QDRANT_URL") {
        Ok(url) if !url.is_empty() => Target {
            url,
            api_key: std::env::var("QDRANT_API_KEY").ok(),
            _embedded: None,
        },
        _ => {
            let server = EmbeddedServer::start(Options::default())
                .await
                .expect("embedded engine starts");
            Target {
                url: server.url(),
                api_key: None,
                _embedded: Some(server),
            }
        }
    }
}

pub async fn client(target: &Target) -> QdrantClient {
    QdrantClient::new(&target.url, target.api_key.as_deref())
        .await
        .expect("client")
}

/// Unique per test and process, so runs against a shared real Qdrant do not collide.
pub fn collection_name(test: &str) -> String {
    format!("it_{test}_{}", std::process::id())
}

/// Drops any leftover of `test`'s collection and creates it empty (`DIM`, Cosine).
pub async fn fresh_collection(client: &QdrantClient, test: &str) -> String {
    let name = collection_name(test);
    let _ = client.delete_collection(&name).await;
    client
        .create_collection(&name, DIM as u64, "Cosine")
        .await
        .expect("create the test collection");
    name
}

/// Dimension of the test vectors below.
pub const DIM: usize = 8;

/// Deterministic, distinct test vectors.
pub fn vector(i: usize) -> Vec<f32> {
    (0..DIM)
        .map(|j| ((i * 37 + j * 11) as f32 * 0.173).sin() + 0.05 * j as f32)
        .collect()
}

pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b))
}
