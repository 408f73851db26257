//! The test server: an embedded engine on a free port, driven over real HTTP.
#![allow(dead_code)] // each test file uses its own part

use std::path::PathBuf;

use qdrant_embedded::{EmbeddedServer, Options};
use serde_json::{Value, json};

pub struct Server {
    pub rt: tokio::runtime::Runtime,
    pub server: Option<EmbeddedServer>,
    pub url: String,
    pub agent: ureq::Agent,
    pub api_key: Option<String>,
}

impl Server {
    pub fn start() -> Self {
        Self::start_with(None, None)
    }

    pub fn start_with(data_dir: Option<PathBuf>, api_key: Option<&str>) -> Self {
        Self::start_options(Options {
            data_dir,
            api_key: api_key.map(str::to_owned),
            ..Options::default()
        })
        .unwrap()
    }

    pub fn start_options(options: Options) -> anyhow::Result<Self> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let server = rt.block_on(EmbeddedServer::start(options))?;
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Ok(Self {
            url: server.url(),
            rt,
            server: Some(server),
            agent,
            api_key: None,
        })
    }

    pub fn stop(mut self) {
        if let Some(server) = self.server.take() {
            self.rt.block_on(server.shutdown());
        }
    }

    /// Any request; the body is sent as given. Returns status and body (JSON if it parses).
    pub fn raw(&self, method: &str, path: &str, body: Option<String>) -> (u16, Value) {
        let mut builder = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{}", self.url, path));
        if let Some(key) = &self.api_key {
            builder = builder.header("api-key", key);
        }
        let response = match body {
            Some(body) => self.agent.run(
                builder
                    .header("content-type", "application/json")
                    .body(body)
                    .unwrap(),
            ),
            None => self.agent.run(builder.body(()).unwrap()),
        };
        let mut response = response.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status().as_u16();
        let bytes = read_all(&mut response);
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, value)
    }

    pub fn req(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.raw(method, path, body.map(|b| b.to_string()))
    }

    /// Asserts a 200 with Qdrant's envelope; returns `result`.
    pub fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, value) = self.req(method, path, body);
        assert_eq!(status, 200, "{method} {path}: {value}");
        assert_eq!(value["status"], "ok", "{value}");
        assert!(value["time"].is_f64(), "{value}");
        value["result"].clone()
    }

    /// Asserts an error status with Qdrant's error body; returns the message.
    pub fn err(&self, method: &str, path: &str, body: Option<Value>, expected: u16) -> String {
        let (status, value) = self.req(method, path, body);
        assert_eq!(status, expected, "{method} {path}: {value}");
        assert!(value["time"].is_f64(), "{value}");
        value["status"]["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error message: {value}"))
            .to_owned()
    }

    pub fn bytes(&self, path: &str) -> (u16, Vec<u8>) {
        let mut response = self
            .agent
            .get(format!("{}{}", self.url, path))
            .call()
            .unwrap();
        (response.status().as_u16(), read_all(&mut response))
    }
}

/// The whole body, however large (snapshots, big answers).
fn read_all(response: &mut ureq::http::Response<ureq::Body>) -> Vec<u8> {
    response
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_vec()
        .unwrap()
}

pub fn ids(points: &Value) -> Vec<u64> {
    points
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_u64().unwrap())
        .collect()
}

/// Points 1..=n with 4-dim vectors pointing in different directions and a small payload.
pub fn seed(server: &Server, name: &str, n: u64) {
    let points: Vec<Value> = (1..=n)
        .map(|i| {
            let a = i as f32 * 0.3;
            json!({
                "id": i,
                "vector": [a.cos(), a.sin(), 0.5, (i % 3) as f32],
                "payload": {"n": i, "parity": if i % 2 == 0 {"even"} else {"odd"}, "tags": ["t", format!("t{}", i % 4)], "nested": {"x": i * 10}}
            })
        })
        .collect();
    let r = server.ok(
        "PUT",
        &format!("/collections/{name}/points?wait=true"),
        Some(json!({"points": points})),
    );
    assert_eq!(r["status"], "completed");
}

pub fn create_dense(server: &Server, name: &str, distance: &str) {
    assert_eq!(
        server.ok(
            "PUT",
            &format!("/collections/{name}"),
            Some(json!({"vectors": {"size": 4, "distance": distance}}))
        ),
        json!(true)
    );
}
