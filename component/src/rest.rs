//! The REST client core: requests, headers, timeouts, retries and the response envelope
//! (paths and names are built in [`crate::paths`]).
//! The operations themselves live in [`crate::collections`], [`crate::points`],
//! [`crate::query`] and [`crate::snapshots`], each an `impl` block on [`Qdrant`].

use std::time::Duration;

use serde_json::Value;

use crate::error::{from_status, redact};
use crate::json_reader::JsonReader;
use crate::model::{
    Config, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_RETRY, DEFAULT_TIMEOUT_MS, DEFAULT_UPSERT_RETRY,
    ReadConsistency, RetryPolicy, ServerInfo, UpdateResult,
};
use crate::transport::{HttpRequest, HttpResponse, InFlight, Method, Transport};
use crate::{Error, cluster};

// The operations import the path helpers from here, with the rest of the core.
pub use crate::paths::{base_url, percent_encode};
pub(crate) use crate::paths::{check_name, collection_path, with_param};

/// Whether a request may be sent again after a failure without changing its outcome:
/// reads, upserts of fixed ids and deletes may; creating a collection may not (a resent
/// create could turn a success into a 409).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    Idempotent,
    /// Idempotent, under the bulk budget (`config.upsert-retry`).
    Bulk,
    Never,
}

/// A Qdrant REST client bound to one configuration and transport.
pub struct Qdrant<T> {
    base_url: String,
    pub(crate) config: Config,
    /// `config.shard-key` as the `shard_key` member of request bodies.
    shard_key: Option<Value>,
    transport: T,
}

impl<T: Transport> Qdrant<T> {
    pub fn new(config: Config, transport: T) -> Result<Self, Error> {
        let base_url = base_url(&config.url).map_err(|problem| {
            Error::InvalidInput(format!("url `{}` {problem}", config.url.trim()))
        })?;
        for (name, policy) in [
            ("retry", &config.retry),
            ("upsert-retry", &config.upsert_retry),
        ] {
            if policy.is_some_and(|p| p.max_attempts == 0) {
                return Err(Error::InvalidInput(format!(
                    "{name}.max-attempts must be at least 1 (1 disables retries)"
                )));
            }
        }
        if let Some(key) = &config.api_key
            && !key.bytes().all(|b| b.is_ascii_graphic())
        {
            // Never quoted: it is a secret, and a line break in it would forge headers.
            return Err(Error::InvalidInput(
                "api-key may hold only visible ASCII characters (no spaces, line breaks or \
                 non-ASCII letters)"
                    .into(),
            ));
        }
        if config.read_consistency == Some(ReadConsistency::Factor(0)) {
            return Err(Error::InvalidInput(
                "read-consistency factor must be at least 1".into(),
            ));
        }
        if config.upsert_batch_size == Some(0) {
            return Err(Error::InvalidInput(
                "upsert-batch-size must be at least 1".into(),
            ));
        }
        let shard_key = config
            .shard_key
            .as_ref()
            .map(cluster::shard_selector_json)
            .transpose()?;
        Ok(Self {
            base_url,
            config,
            shard_key,
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

    /// `GET /readyz`: 200 means ready, 503 means not (yet); anything else is an error.
    pub fn ready(&self) -> Result<bool, Error> {
        match self.send(Method::Get, "/readyz", None, Retry::Never) {
            Ok(_) => Ok(true),
            Err(Error::Server { status: 503, .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Sends a JSON body and returns the parsed JSON answer.
    pub(crate) fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        retry: Retry,
    ) -> Result<Value, Error> {
        let body = body.map(|b| serde_json::to_vec(&b).expect("JSON values always serialize"));
        self.call_raw(method, path, body, retry)
    }

    /// Sends pre-serialised JSON and returns the parsed JSON answer.
    pub(crate) fn call_raw(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        retry: Retry,
    ) -> Result<Value, Error> {
        json_of(&self.send(method, path, body, retry)?)
    }

    /// The `result` of a JSON call.
    pub(crate) fn result(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        retry: Retry,
    ) -> Result<Value, Error> {
        let mut envelope = self.call(method, path, body, retry)?;
        take_result(&mut envelope)
    }

    /// The `result` of the JSON answer to a begun (or held) request.
    pub(crate) fn result_of(&self, asked: &InFlight, retry: Retry) -> Result<Value, Error> {
        let mut envelope = json_of(&self.complete(asked, retry)?)?;
        take_result(&mut envelope)
    }

    /// Sends with retries and returns a 2xx response; any other status is a typed error.
    pub(crate) fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        retry: Retry,
    ) -> Result<HttpResponse, Error> {
        self.complete(&self.held(method, path, body), retry)
    }

    /// A request not handed to the transport yet: [`Qdrant::complete`] sends it.
    pub(crate) fn held(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> InFlight {
        InFlight {
            request: self.request(method, path, body),
            ticket: None,
        }
    }

    /// Hands the request to the transport, which may begin sending it while the caller
    /// works; [`Qdrant::complete`] collects the answer.
    pub(crate) fn begin(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> InFlight {
        self.transport.start(self.request(method, path, body))
    }

    fn request(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> HttpRequest {
        let mut headers = vec![("accept".to_owned(), "application/json".to_owned())];
        if body.is_some() {
            headers.push(("content-type".to_owned(), "application/json".to_owned()));
        }
        if let Some(key) = self.config.api_key.as_deref().filter(|k| !k.is_empty()) {
            headers.push(("api-key".to_owned(), key.to_owned()));
        }
        HttpRequest {
            method,
            url: self.url_of(path),
            headers,
            body,
            connect_timeout_ms: self
                .config
                .connect_timeout_ms
                .unwrap_or(DEFAULT_CONNECT_TIMEOUT_MS),
            read_timeout_ms: self.config.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS),
        }
    }

    /// Waits for a begun request, retrying as `retry` allows; a 2xx response or a typed
    /// error.
    pub(crate) fn complete(
        &self,
        in_flight: &InFlight,
        retry: Retry,
    ) -> Result<HttpResponse, Error> {
        let policy = match retry {
            Retry::Bulk => self.config.upsert_retry.unwrap_or(DEFAULT_UPSERT_RETRY),
            _ => self.config.retry.unwrap_or(DEFAULT_RETRY),
        };
        let started = self.transport.now();
        let mut backoff = Duration::from_millis(policy.initial_backoff_ms.into());
        let mut attempt = 1;
        let mut outcome = match in_flight.ticket {
            Some(_) => self.transport.finish(in_flight),
            None => self.transport.send(&in_flight.request),
        };
        loop {
            let error = match outcome.and_then(check_status) {
                Ok(response) => return Ok(response),
                Err(e) => redact(e, self.config.api_key.as_deref()),
            };
            if retry == Retry::Never || attempt >= policy.max_attempts || !is_transient(&error) {
                return Err(error);
            }
            let Some(delay) = retry_delay(&error, backoff, &policy, self.transport.now()) else {
                return Err(error);
            };
            let elapsed = self.transport.now().saturating_sub(started);
            if elapsed + delay > Duration::from_millis(policy.max_elapsed_ms.into()) {
                return Err(error);
            }
            self.transport.sleep(delay);
            backoff = (backoff * 2).min(Duration::from_millis(policy.max_backoff_ms.into()));
            attempt += 1;
            outcome = self.transport.send(&in_flight.request);
        }
    }

    /// The absolute URL of `path` on the configured server.
    pub(crate) fn url_of(&self, path: &str) -> String {
        // Concatenated, not `format!`: every call builds one, and the formatting machinery
        // costs more than the copy in wasm.
        [self.base_url.as_str(), path].concat()
    }

    /// `path` plus Qdrant's `wait` parameter, the write ordering and the server timeout,
    /// which every write takes.
    pub(crate) fn write_path(&self, path: String, wait: bool) -> String {
        let mut path = with_param(path, "wait", if wait { "true" } else { "false" });
        if let Some(ordering) = self.config.write_ordering {
            path = with_param(path, "ordering", cluster::ordering_param(ordering));
        }
        self.timed_path(path)
    }

    /// `path` plus the read consistency and the server timeout, which every read of points
    /// takes.
    pub(crate) fn read_path(&self, path: String) -> String {
        let path = match &self.config.read_consistency {
            Some(consistency) => with_param(
                path,
                "consistency",
                &cluster::consistency_param(consistency),
            ),
            None => path,
        };
        self.timed_path(path)
    }

    /// `path` plus the server-side `timeout` parameter when the config sets one.
    pub(crate) fn timed_path(&self, path: String) -> String {
        match self.config.server_timeout_s {
            Some(seconds) => with_param(path, "timeout", itoa::Buffer::new().format(seconds)),
            None => path,
        }
    }

    /// Adds the configured shard-key selector to a request body of points.
    pub(crate) fn select_shards(&self, body: &mut serde_json::Map<String, Value>) {
        if let Some(key) = &self.shard_key {
            body.insert("shard_key".into(), key.clone());
        }
    }

    /// As [`Self::select_shards`], for a body already written as JSON text: the member
    /// goes before the object's closing brace.
    pub(crate) fn select_shards_in_text(&self, body: &mut Vec<u8>) {
        if let Some(key) = &self.shard_key {
            debug_assert_eq!(body.last(), Some(&b'}'));
            body.pop();
            body.extend_from_slice(b",\"shard_key\":");
            serde_json::to_writer(&mut *body, key).expect("JSON values always serialize");
            body.push(b'}');
        }
    }
}

/// Reads the `result` of the answer's envelope with `read`, straight from the answer's bytes
/// (no `Value` tree); the envelope's other members are checked and passed over.
pub(crate) fn read_result<'a, R>(
    response: &'a HttpResponse,
    mut read: impl FnMut(&mut JsonReader<'a>) -> Result<R, Error>,
) -> Result<R, Error> {
    let mut reader = JsonReader::new(&response.body);
    let result = reader.member("result", &mut read)?;
    reader.end()?;
    Ok(result)
}

/// The answer's body as JSON.
pub(crate) fn json_of(response: &HttpResponse) -> Result<Value, Error> {
    serde_json::from_slice(&response.body)
        .map_err(|e| Error::Decode(format!("response is not JSON ({e})")))
}

/// Failures worth another attempt: no answer, or an answer that says "later".
fn is_transient(error: &Error) -> bool {
    matches!(
        error,
        Error::Connection(_)
            | Error::Timeout(_)
            | Error::RateLimited(_)
            | Error::Server {
                status: 502..=504,
                ..
            }
    )
}

/// The wait before the next attempt: the server's `Retry-After` when it sent one (no retry
/// if that exceeds the policy's cap), else `backoff` plus up to 50 % jitter.
fn retry_delay(
    error: &Error,
    backoff: Duration,
    policy: &RetryPolicy,
    now: Duration,
) -> Option<Duration> {
    if let Error::RateLimited(Some(seconds)) = error {
        let asked = Duration::from_secs((*seconds).into());
        return (asked <= Duration::from_millis(policy.max_backoff_ms.into())).then_some(asked);
    }
    // Jitter from the clock's low bits: enough to spread clients apart, no RNG import needed.
    let spread = (now.subsec_nanos().wrapping_mul(2_654_435_761) >> 16) % 500;
    Some(backoff + backoff * spread / 1000)
}

fn check_status(response: HttpResponse) -> Result<HttpResponse, Error> {
    if (200..300).contains(&response.status) {
        Ok(response)
    } else {
        Err(from_status(
            response.status,
            response.retry_after.as_deref(),
            &response.body,
        ))
    }
}

/// The `result` member of Qdrant's `{"result":..,"status":"ok","time":..}` envelope.
pub(crate) fn take_result(envelope: &mut Value) -> Result<Value, Error> {
    envelope
        .get_mut("result")
        .map(Value::take)
        .ok_or_else(|| Error::Decode("response has no `result`".into()))
}

/// A write's `{"operation_id":..,"status":"completed"|"acknowledged"}`.
pub(crate) fn update_result(result: &Value) -> Result<UpdateResult, Error> {
    let completed = match result.get("status").and_then(Value::as_str) {
        Some("completed") => true,
        Some("acknowledged" | "wait_timeout") => false,
        _ => {
            return Err(Error::Decode(format!(
                "update result without a known status: {result}"
            )));
        }
    };
    Ok(UpdateResult {
        operation_id: result.get("operation_id").and_then(Value::as_u64),
        completed,
    })
}

/// A decoding error naming what was expected where.
pub(crate) fn decode(what: &str) -> Error {
    Error::Decode(format!("unexpected response: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Distance;
    use crate::testing::{Recorder, body_json, client, client_with};

    #[test]
    fn create_collection_sends_vector_params_api_key_and_timeouts() {
        let rec = Recorder::default().reply(200, crate::testing::OK_TRUE);
        client(&rec, Some("k3y"))
            .create_collection("docs", 384, Distance::Cosine)
            .unwrap();
        let sent = &rec.sent.borrow()[0];
        assert_eq!(sent.method, Method::Put);
        assert_eq!(sent.url, "http://qdrant:6333/collections/docs");
        assert_eq!(sent.read_timeout_ms, 1234);
        assert_eq!(sent.connect_timeout_ms, DEFAULT_CONNECT_TIMEOUT_MS);
        assert!(sent.headers.contains(&("api-key".into(), "k3y".into())));
        assert_eq!(
            body_json(sent),
            serde_json::json!({"vectors": {"size": 384, "distance": "Cosine"}})
        );
    }

    #[test]
    fn bad_names_urls_and_configs_send_nothing() {
        let rec = Recorder::default();
        let c = client(&rec, None);
        for name in ["", "a/b", "a?b", "a\nb"] {
            assert!(
                matches!(c.collection_exists(name), Err(Error::InvalidInput(_))),
                "{name:?}"
            );
        }
        assert!(rec.sent.borrow().is_empty());
        assert_eq!(base_url("HTTP://Q:6333/").unwrap(), "http://Q:6333");
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
        let zero_attempts = Config {
            url: "http://q".into(),
            retry: Some(RetryPolicy {
                max_attempts: 0,
                ..DEFAULT_RETRY
            }),
            ..Config::default()
        };
        assert!(Qdrant::new(zero_attempts, &rec).is_err());
        for key in ["s3cret\r\nx-forged: 1", "clé-s3cret", "two words"] {
            let config = Config {
                url: "http://q".into(),
                api_key: Some(key.into()),
                ..Config::default()
            };
            let Err(Error::InvalidInput(message)) = Qdrant::new(config, &rec) else {
                panic!("{key:?} accepted");
            };
            assert!(message.contains("api-key") && !message.contains("s3cret"));
        }
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
            c.get_collection("c"),
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
    fn server_timeout_is_added_where_qdrant_takes_it() {
        let rec = Recorder::default()
            .reply(200, &crate::testing::ok(serde_json::json!({"count": 1})))
            .reply(200, crate::testing::OK_UPDATE);
        let config = Config {
            url: "http://q".into(),
            server_timeout_s: Some(9),
            ..Config::default()
        };
        let c = Qdrant::new(config, &rec).unwrap();
        c.count("c", None, true).unwrap();
        c.delete_points(
            "c",
            &crate::model::PointsSelector::Ids(vec!["1".into()]),
            false,
        )
        .unwrap();
        assert_eq!(
            rec.urls(),
            [
                "http://q/collections/c/points/count?timeout=9",
                "http://q/collections/c/points/delete?wait=false&timeout=9",
            ]
        );
    }

    #[test]
    fn readiness_maps_503_to_false() {
        let rec = Recorder::default()
            .reply(200, "all shards are ready")
            .reply(503, "some shards are not ready");
        let c = client(&rec, None);
        assert_eq!(c.ready(), Ok(true));
        assert_eq!(c.ready(), Ok(false));
        assert_eq!(rec.sent.borrow()[0].url, "http://qdrant:6333/readyz");
    }

    const EXISTS: &str = r#"{"result":{"exists":true},"status":"ok","time":0}"#;

    #[test]
    fn transient_failures_are_retried_with_growing_jittered_backoff() {
        let reset = || Error::Connection("connection reset".into());
        let rec = Recorder::default()
            .fail(reset())
            .reply(503, "busy")
            .fail(Error::Timeout("first byte".into()))
            .reply(200, EXISTS);
        let policy = RetryPolicy {
            max_attempts: 4,
            ..DEFAULT_RETRY
        };
        assert_eq!(
            client_with(&rec, Some(policy)).collection_exists("c"),
            Ok(true)
        );
        assert_eq!(rec.sent.borrow().len(), 4);
        let slept = rec.slept.borrow();
        for (delay, base) in slept.iter().zip([50u64, 100, 200]) {
            let base = Duration::from_millis(base);
            assert!(
                *delay >= base && *delay < base * 3 / 2,
                "{delay:?} for {base:?}"
            );
        }
        assert_eq!(slept.len(), 3);
    }

    #[test]
    fn retries_stop_at_the_attempt_limit() {
        let reset = || Error::Connection("connection reset".into());
        let rec = Recorder::default()
            .fail(reset())
            .fail(reset())
            .fail(reset());
        assert_eq!(client(&rec, None).collection_exists("c"), Err(reset()));
        assert_eq!(rec.sent.borrow().len(), DEFAULT_RETRY.max_attempts as usize);
    }

    #[test]
    fn retries_stop_at_the_time_budget() {
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_backoff_ms: 400,
            max_backoff_ms: 400,
            max_elapsed_ms: 1000,
        };
        let rec = Recorder::default()
            .reply(503, "a")
            .reply(503, "b")
            .reply(503, "c");
        let got = client_with(&rec, Some(policy)).collection_exists("c");
        assert!(matches!(got, Err(Error::Server { status: 503, .. })));
        // 400-600 ms per wait: two waits fit in 1 s at most, the third never starts.
        assert!(rec.sent.borrow().len() <= 3);
        assert!(rec.slept.borrow().iter().sum::<Duration>() <= Duration::from_secs(1));
    }

    #[test]
    fn rate_limits_honour_retry_after_within_the_cap() {
        let rec = Recorder::default()
            .reply_with_retry_after(429, "1")
            .reply(200, EXISTS);
        assert_eq!(client(&rec, None).collection_exists("c"), Ok(true));
        assert_eq!(*rec.slept.borrow(), [Duration::from_secs(1)]);
        // Longer than max-backoff: reported, not waited for.
        let rec = Recorder::default().reply_with_retry_after(429, "60");
        assert_eq!(
            client(&rec, None).collection_exists("c"),
            Err(Error::RateLimited(Some(60)))
        );
        assert!(rec.slept.borrow().is_empty());
    }

    #[test]
    fn answers_and_non_idempotent_calls_are_not_retried() {
        let reset = || Error::Connection("connection reset".into());
        // Creating is not idempotent: a dropped create is reported, not resent.
        let rec = Recorder::default().fail(reset());
        assert_eq!(
            client(&rec, None).create_collection("c", 4, Distance::Dot),
            Err(reset())
        );
        assert_eq!(rec.sent.borrow().len(), 1);
        // Validation errors are answers: never resent.
        for status in [400, 404, 422] {
            let rec = Recorder::default().reply(status, r#"{"status":{"error":"bad"},"time":0}"#);
            assert!(client(&rec, None).collection_exists("c").is_err());
            assert_eq!(rec.sent.borrow().len(), 1, "{status}");
        }
    }
}
