//! The operations, as Qdrant REST calls over any [`Transport`].

use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::error::{from_status, redact};
use crate::model::{Config, Distance, PointBatch, QueryRequest, ScoredPoint, ServerInfo};
use crate::transport::{HttpRequest, HttpResponse, Method, Transport};
use crate::{Error, filter, ids, vector};

/// Points per upsert request unless the byte cap splits earlier.
pub const UPSERT_BATCH_POINTS: usize = 256;
/// Qdrant rejects request bodies over 32 MiB by default; stay below with headroom.
pub const MAX_BODY_BYTES: usize = 30 * 1024 * 1024;

/// Attempts for an idempotent request whose connection failed (refused, reset, dropped).
pub const MAX_ATTEMPTS: u32 = 3;
/// First retry delay; doubles per attempt.
const FIRST_BACKOFF: Duration = Duration::from_millis(50);

/// Whether a request may be resent after its connection dropped: reads, upserts of fixed
/// ids and deletes are idempotent; creating a collection is not (a resent create could turn
/// a success into a 409).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    Idempotent,
    Never,
}

/// A Qdrant REST client bound to one configuration and transport.
pub struct Qdrant<T> {
    base_url: String,
    config: Config,
    transport: T,
}

impl<T: Transport> Qdrant<T> {
    pub fn new(config: Config, transport: T) -> Result<Self, Error> {
        let base_url = config.url.trim().trim_end_matches('/').to_owned();
        let rest = base_url
            .strip_prefix("http://")
            .or_else(|| base_url.strip_prefix("https://"))
            .ok_or_else(|| {
                Error::InvalidInput(format!(
                    "url `{base_url}` must start with http:// or https://"
                ))
            })?;
        if rest.is_empty() || rest.starts_with('/') {
            return Err(Error::InvalidInput(format!("url `{base_url}` has no host")));
        }
        Ok(Self {
            base_url,
            config,
            transport,
        })
    }

    pub fn health_check(&self) -> Result<ServerInfo, Error> {
        let body = self.call(Method::Get, "/", None, Retry::Idempotent)?;
        let title = body.get("title").and_then(Value::as_str);
        let version = body.get("version").and_then(Value::as_str);
        match (title, version) {
            (Some(title), Some(version)) => Ok(ServerInfo {
                title: title.into(),
                version: version.into(),
            }),
            _ => Err(Error::Decode(
                "`GET /` lacks title or version: not a Qdrant server?".into(),
            )),
        }
    }

    pub fn create_collection(
        &self,
        name: &str,
        size: u64,
        distance: Distance,
    ) -> Result<(), Error> {
        if size == 0 {
            return Err(Error::InvalidInput("vector size must be at least 1".into()));
        }
        let body = json!({"vectors": {"size": size, "distance": distance.as_qdrant()}});
        let result = self.call(
            Method::Put,
            &collection_path(name, "")?,
            Some(body),
            Retry::Never,
        )?;
        expect_result(&result).map(|_| ())
    }

    pub fn delete_collection(&self, name: &str) -> Result<bool, Error> {
        let result = self.call(
            Method::Delete,
            &collection_path(name, "")?,
            None,
            Retry::Idempotent,
        )?;
        expect_result(&result)?
            .as_bool()
            .ok_or_else(|| Error::Decode("delete collection: result is not a boolean".into()))
    }

    pub fn collection_exists(&self, name: &str) -> Result<bool, Error> {
        let result = self.call(
            Method::Get,
            &collection_path(name, "/exists")?,
            None,
            Retry::Idempotent,
        )?;
        expect_result(&result)?
            .get("exists")
            .and_then(Value::as_bool)
            .ok_or_else(|| Error::Decode("collection exists: no `exists` boolean".into()))
    }

    /// Validates every point first (nothing is sent if any is bad), then upserts in
    /// requests of at most [`UPSERT_BATCH_POINTS`] points and [`MAX_BODY_BYTES`] bytes.
    pub fn upsert_points(&self, collection: &str, batch: &PointBatch) -> Result<u32, Error> {
        let path = collection_path(collection, "/points?wait=true")?;
        let points = encode_points(batch)?;
        let count = points.len();
        let mut body = Vec::new();
        let mut in_body = 0;
        for point in points {
            if point.len() + 16 > MAX_BODY_BYTES {
                return Err(Error::InvalidInput(format!(
                    "one point encodes to {} bytes, over the {MAX_BODY_BYTES}-byte request cap",
                    point.len()
                )));
            }
            if in_body == UPSERT_BATCH_POINTS || body.len() + point.len() + 2 > MAX_BODY_BYTES {
                self.send_points(&path, &mut body)?;
                in_body = 0;
            }
            body.extend_from_slice(if in_body == 0 { b"{\"points\":[" } else { b"," });
            body.extend_from_slice(&point);
            in_body += 1;
        }
        if in_body > 0 {
            self.send_points(&path, &mut body)?;
        }
        u32::try_from(count).map_err(|_| Error::InvalidInput("too many points in one call".into()))
    }

    fn send_points(&self, path: &str, body: &mut Vec<u8>) -> Result<(), Error> {
        body.extend_from_slice(b"]}");
        let result = self.call_raw(
            Method::Put,
            path,
            Some(std::mem::take(body)),
            Retry::Idempotent,
        )?;
        expect_result(&result).map(|_| ())
    }

    pub fn query(&self, request: &QueryRequest) -> Result<Vec<ScoredPoint>, Error> {
        let path = collection_path(&request.collection, "/points/query")?;
        if request.limit == 0 {
            return Err(Error::InvalidInput("limit must be at least 1".into()));
        }
        let mut body = json!({
            "query": vector::unpack_one(&request.vector)?,
            "limit": request.limit,
            "with_payload": request.with_payload,
        });
        if let Some(f) = &request.filter {
            body["filter"] = filter::to_json(f)?;
        }
        if let Some(threshold) = request.score_threshold {
            if !threshold.is_finite() {
                return Err(Error::InvalidInput("score threshold must be finite".into()));
            }
            body["score_threshold"] = json!(threshold);
        }
        let response = self.call(Method::Post, &path, Some(body), Retry::Idempotent)?;
        let points = expect_result(&response)?
            .get("points")
            .and_then(Value::as_array)
            .ok_or_else(|| Error::Decode("query: result has no `points` list".into()))?;
        points.iter().map(decode_scored_point).collect()
    }

    fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        retry: Retry,
    ) -> Result<Value, Error> {
        let body = body.map(|b| serde_json::to_vec(&b).expect("JSON values always serialize"));
        self.call_raw(method, path, body, retry)
    }

    fn call_raw(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        retry: Retry,
    ) -> Result<Value, Error> {
        let mut headers = vec![("accept".to_owned(), "application/json".to_owned())];
        if body.is_some() {
            headers.push(("content-type".to_owned(), "application/json".to_owned()));
        }
        if let Some(key) = self.config.api_key.as_deref().filter(|k| !k.is_empty()) {
            headers.push(("api-key".to_owned(), key.to_owned()));
        }
        let request = HttpRequest {
            method,
            url: format!("{}{path}", self.base_url),
            headers,
            body,
            timeout_ms: self.config.timeout_ms(),
        };
        let secret = self.config.api_key.as_deref();
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 1;
        let response = loop {
            match self.transport.send(&request) {
                Err(Error::Connection(_))
                    if retry == Retry::Idempotent && attempt < MAX_ATTEMPTS =>
                {
                    self.transport.sleep(backoff);
                    backoff *= 2;
                    attempt += 1;
                }
                other => break other.map_err(|e| redact(e, secret))?,
            }
        };
        decode_response(response).map_err(|e| redact(e, secret))
    }
}

fn decode_response(response: HttpResponse) -> Result<Value, Error> {
    if !(200..300).contains(&response.status) {
        return Err(from_status(
            response.status,
            response.retry_after.as_deref(),
            &response.body,
        ));
    }
    serde_json::from_slice(&response.body)
        .map_err(|e| Error::Decode(format!("response is not JSON ({e})")))
}

/// The `result` member of Qdrant's `{"result":..,"status":"ok","time":..}` envelope.
fn expect_result(envelope: &Value) -> Result<&Value, Error> {
    envelope
        .get("result")
        .ok_or_else(|| Error::Decode("response has no `result`".into()))
}

/// Checks a collection name as Qdrant does and builds its path, percent-encoded.
fn collection_path(name: &str, suffix: &str) -> Result<String, Error> {
    const FORBIDDEN: &[char] = &['/', '\\', '*', '<', '>', ':', '|', '?', '"'];
    if name.is_empty() || name.len() > 255 {
        return Err(Error::InvalidInput(
            "collection name must be 1 to 255 bytes".into(),
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| FORBIDDEN.contains(c) || c.is_control())
    {
        return Err(Error::InvalidInput(format!(
            "collection name `{name}` must not contain {c:?}"
        )));
    }
    Ok(format!("/collections/{}{suffix}", percent_encode(name)))
}

fn percent_encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Each point as its JSON bytes, after checking ids, vectors and payloads.
fn encode_points(batch: &PointBatch) -> Result<Vec<Vec<u8>>, Error> {
    let count = batch.ids.len();
    if count == 0 {
        return Err(Error::InvalidInput("no points to upsert".into()));
    }
    if !batch.payloads.is_empty() && batch.payloads.len() != count {
        return Err(Error::InvalidInput(format!(
            "{count} ids but {} payloads (give one per id, or none)",
            batch.payloads.len()
        )));
    }
    let vectors = vector::unpack(&batch.vectors, batch.dimension, count)?;
    batch
        .ids
        .iter()
        .zip(vectors)
        .enumerate()
        .map(|(i, (id, vector))| {
            let id = ids::to_qdrant(id)?;
            let mut payload = match batch.payloads.get(i) {
                Some(text) => parse_payload(text, i)?,
                None => Map::new(),
            };
            if let Some(original) = id.original {
                payload.insert(ids::STRING_ID_KEY.to_owned(), Value::String(original));
            }
            let point = json!({"id": id.json, "vector": vector, "payload": payload});
            Ok(serde_json::to_vec(&point).expect("JSON values always serialize"))
        })
        .collect()
}

fn parse_payload(text: &str, index: usize) -> Result<Map<String, Value>, Error> {
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::InvalidInput(format!(
            "payload {index} is not a JSON object"
        ))),
        Err(e) => Err(Error::InvalidInput(format!(
            "payload {index} is not valid JSON: {e}"
        ))),
    }
}

fn decode_scored_point(point: &Value) -> Result<ScoredPoint, Error> {
    let id = point
        .get("id")
        .ok_or_else(|| Error::Decode("scored point has no id".into()))?;
    let score = point
        .get("score")
        .and_then(Value::as_f64)
        .ok_or_else(|| Error::Decode("scored point has no numeric score".into()))?;
    let mut payload = match point.get("payload") {
        Some(Value::Object(map)) => map.clone(),
        Some(Value::Null) | None => Map::new(),
        Some(_) => return Err(Error::Decode("payload is not an object".into())),
    };
    let id = ids::from_qdrant(id, &mut payload)?;
    Ok(ScoredPoint {
        id,
        score: score as f32,
        payload: Value::Object(payload).to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Filter;
    use std::cell::RefCell;
    use std::collections::VecDeque;

    /// Records requests and replays canned responses.
    #[derive(Default)]
    struct Recorder {
        sent: RefCell<Vec<HttpRequest>>,
        replies: RefCell<VecDeque<Result<HttpResponse, Error>>>,
        slept: RefCell<Vec<Duration>>,
    }

    impl Recorder {
        fn fail(self, error: Error) -> Self {
            self.replies.borrow_mut().push_back(Err(error));
            self
        }

        fn reply(self, status: u16, body: &str) -> Self {
            self.replies.borrow_mut().push_back(Ok(HttpResponse {
                status,
                retry_after: None,
                body: body.as_bytes().to_vec(),
            }));
            self
        }
    }

    impl Transport for &Recorder {
        fn send(&self, request: &HttpRequest) -> Result<HttpResponse, Error> {
            self.sent.borrow_mut().push(request.clone());
            self.replies
                .borrow_mut()
                .pop_front()
                .expect("a reply for every request")
        }

        fn sleep(&self, duration: Duration) {
            self.slept.borrow_mut().push(duration);
        }
    }

    fn client<'a>(rec: &'a Recorder, api_key: Option<&str>) -> Qdrant<&'a Recorder> {
        let config = Config {
            url: "http://qdrant:6333/".into(),
            api_key: api_key.map(Into::into),
            timeout_ms: Some(1234),
        };
        Qdrant::new(config, rec).unwrap()
    }

    fn body_json(request: &HttpRequest) -> Value {
        serde_json::from_slice(request.body.as_ref().unwrap()).unwrap()
    }

    const OK_TRUE: &str = r#"{"result":true,"status":"ok","time":0.1}"#;
    const OK_UPSERT: &str =
        r#"{"result":{"operation_id":1,"status":"completed"},"status":"ok","time":0.1}"#;

    #[test]
    fn create_collection_sends_vector_params_and_api_key() {
        let rec = Recorder::default().reply(200, OK_TRUE);
        client(&rec, Some("k3y"))
            .create_collection("docs", 384, Distance::Cosine)
            .unwrap();
        let sent = &rec.sent.borrow()[0];
        assert_eq!(sent.method, Method::Put);
        assert_eq!(sent.url, "http://qdrant:6333/collections/docs");
        assert_eq!(sent.timeout_ms, 1234);
        assert!(sent.headers.contains(&("api-key".into(), "k3y".into())));
        assert_eq!(
            body_json(sent),
            json!({"vectors": {"size": 384, "distance": "Cosine"}})
        );
    }

    #[test]
    fn bad_names_and_urls_send_nothing() {
        let rec = Recorder::default();
        let c = client(&rec, None);
        for name in ["", "a/b", "a?b", "a\nb"] {
            assert!(
                matches!(c.collection_exists(name), Err(Error::InvalidInput(_))),
                "{name:?}"
            );
        }
        assert!(rec.sent.borrow().is_empty());
        for url in ["localhost:6333", "ftp://x", "http://", "http:///x"] {
            let config = Config {
                url: url.into(),
                ..Config::default()
            };
            assert!(
                matches!(Qdrant::new(config, &rec), Err(Error::InvalidInput(_))),
                "{url}"
            );
        }
    }

    #[test]
    fn names_are_percent_encoded() {
        assert_eq!(
            collection_path("my docs", "").unwrap(),
            "/collections/my%20docs"
        );
    }

    #[test]
    fn upsert_maps_ids_and_splits_batches() {
        let n = UPSERT_BATCH_POINTS + 1;
        let rec = Recorder::default()
            .reply(200, OK_UPSERT)
            .reply(200, OK_UPSERT);
        let batch = PointBatch {
            ids: (0..n)
                .map(|i| {
                    if i == 0 {
                        "doc-zero".into()
                    } else {
                        i.to_string()
                    }
                })
                .collect(),
            vectors: vector::pack(&vec![0.5; n * 2]),
            dimension: 2,
            payloads: (0..n).map(|i| format!(r#"{{"n":{i}}}"#)).collect(),
        };
        assert_eq!(
            client(&rec, None).upsert_points("c", &batch).unwrap(),
            n as u32
        );
        let sent = rec.sent.borrow();
        assert_eq!(sent.len(), 2);
        assert_eq!(
            sent[0].url,
            "http://qdrant:6333/collections/c/points?wait=true"
        );
        let first = body_json(&sent[0]);
        assert_eq!(
            first["points"].as_array().unwrap().len(),
            UPSERT_BATCH_POINTS
        );
        assert_eq!(
            first["points"][0]["payload"],
            json!({"n": 0, "_string_id": "doc-zero"})
        );
        assert_eq!(
            first["points"][1],
            json!({"id": 1, "vector": [0.5, 0.5], "payload": {"n": 1}})
        );
        assert_eq!(
            body_json(&sent[1])["points"][0]["id"],
            json!(UPSERT_BATCH_POINTS)
        );
    }

    #[test]
    fn upsert_rejects_bad_points_before_sending() {
        let rec = Recorder::default();
        let c = client(&rec, None);
        let good = PointBatch {
            ids: vec!["1".into(), "2".into()],
            vectors: vector::pack(&[1.0, 2.0, 3.0, 4.0]),
            dimension: 2,
            payloads: vec![],
        };
        let cases = [
            PointBatch {
                payloads: vec!["{}".into()],
                ..good.clone()
            },
            PointBatch {
                payloads: vec!["{}".into(), "[1]".into()],
                ..good.clone()
            },
            PointBatch {
                ids: vec!["1".into(), "".into()],
                ..good.clone()
            },
            PointBatch {
                vectors: vector::pack(&[1.0, f32::NAN, 3.0, 4.0]),
                ..good.clone()
            },
            PointBatch {
                dimension: 3,
                ..good.clone()
            },
            PointBatch {
                ids: vec![],
                vectors: String::new(),
                ..good.clone()
            },
        ];
        for batch in cases {
            let got = c.upsert_points("c", &batch);
            assert!(
                matches!(got, Err(Error::InvalidInput(_))),
                "{batch:?} gave {got:?}"
            );
        }
        assert!(rec.sent.borrow().is_empty());
    }

    #[test]
    fn query_builds_body_and_reports_original_ids() {
        let reply = r#"{"result":{"points":[
            {"id":"0b6c5c2e-0000-5000-8000-000000000000","version":3,"score":0.9,
             "payload":{"_string_id":"doc1","category":"a"}},
            {"id":7,"version":1,"score":0.5}]},"status":"ok","time":0.01}"#;
        let rec = Recorder::default().reply(200, reply);
        let request = QueryRequest {
            collection: "c".into(),
            vector: vector::pack(&[0.25, 1.0]),
            limit: 5,
            filter: Some(Filter::MustMatch(vec![("category".into(), "a".into())])),
            score_threshold: Some(0.5),
            with_payload: true,
        };
        let points = client(&rec, None).query(&request).unwrap();
        assert_eq!(
            body_json(&rec.sent.borrow()[0]),
            json!({"query": [0.25, 1.0], "limit": 5, "with_payload": true, "score_threshold": 0.5,
                   "filter": {"must": [{"key": "category", "match": {"value": "a"}}]}})
        );
        assert_eq!(
            points[0],
            ScoredPoint {
                id: "doc1".into(),
                score: 0.9,
                payload: r#"{"category":"a"}"#.into()
            }
        );
        assert_eq!(
            points[1],
            ScoredPoint {
                id: "7".into(),
                score: 0.5,
                payload: "{}".into()
            }
        );
    }

    #[test]
    fn server_errors_are_typed_and_redacted() {
        let rec = Recorder::default()
            .reply(
                404,
                r#"{"status":{"error":"Not found: Collection `c` doesn't exist!"},"time":0}"#,
            )
            .reply(403, "key s3cret is not allowed");
        let c = client(&rec, Some("s3cret"));
        assert_eq!(
            c.delete_collection("c"),
            Err(Error::NotFound(
                "Not found: Collection `c` doesn't exist!".into()
            ))
        );
        assert_eq!(
            c.collection_exists("c"),
            Err(Error::Forbidden("key [redacted] is not allowed".into()))
        );
    }

    #[test]
    fn non_qdrant_answers_are_decode_errors() {
        let rec = Recorder::default()
            .reply(200, "<html>")
            .reply(200, r#"{"hello":1}"#);
        let c = client(&rec, None);
        assert!(matches!(c.health_check(), Err(Error::Decode(_))));
        assert!(matches!(c.health_check(), Err(Error::Decode(_))));
    }

    #[test]
    fn dropped_connections_are_retried() {
        let reset = || Error::Connection("connection reset".into());
        let rec = Recorder::default()
            .fail(reset())
            .fail(reset())
            .reply(200, r#"{"result":{"exists":true},"status":"ok","time":0}"#);
        assert_eq!(client(&rec, None).collection_exists("c"), Ok(true));
        assert_eq!(rec.sent.borrow().len(), 3);
        assert_eq!(
            *rec.slept.borrow(),
            [Duration::from_millis(50), Duration::from_millis(100)]
        );

        let rec = Recorder::default()
            .fail(reset())
            .fail(reset())
            .fail(reset());
        assert_eq!(client(&rec, None).collection_exists("c"), Err(reset()));
        assert_eq!(rec.sent.borrow().len(), MAX_ATTEMPTS as usize);

        // Creating is not idempotent: a dropped create is reported, not resent.
        let rec = Recorder::default().fail(reset());
        assert_eq!(
            client(&rec, None).create_collection("c", 4, Distance::Dot),
            Err(reset())
        );
        assert_eq!(rec.sent.borrow().len(), 1);
        // HTTP errors (here 400) are answers, not drops: never resent.
        let rec = Recorder::default().reply(400, r#"{"status":{"error":"bad"},"time":0}"#);
        assert_eq!(
            client(&rec, None).collection_exists("c"),
            Err(Error::BadRequest("bad".into()))
        );
        assert_eq!(rec.sent.borrow().len(), 1);
    }
}
