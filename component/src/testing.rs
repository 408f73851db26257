//! Test support: a transport that records requests and replays canned responses.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::time::Duration;

use serde_json::Value;

use crate::Error;
use crate::model::{Config, RetryPolicy};
use crate::rest::Qdrant;
use crate::transport::{HttpRequest, HttpResponse, InFlight, Transport};

pub const OK_TRUE: &str = r#"{"result":true,"status":"ok","time":0.1}"#;
pub const OK_UPDATE: &str =
    r#"{"result":{"operation_id":1,"status":"completed"},"status":"ok","time":0.1}"#;

#[derive(Default)]
pub struct Recorder {
    pub sent: RefCell<Vec<HttpRequest>>,
    replies: RefCell<VecDeque<Result<HttpResponse, Error>>>,
    pub slept: RefCell<Vec<Duration>>,
    /// `send`, `start` and `finish` calls, in order.
    pub events: RefCell<Vec<&'static str>>,
}

impl Recorder {
    pub fn fail(self, error: Error) -> Self {
        self.replies.borrow_mut().push_back(Err(error));
        self
    }

    pub fn reply(self, status: u16, body: &str) -> Self {
        self.push(status, None, body)
    }

    pub fn reply_with_retry_after(self, status: u16, seconds: &str) -> Self {
        self.push(status, Some(seconds), "")
    }

    fn push(self, status: u16, retry_after: Option<&str>, body: &str) -> Self {
        self.replies.borrow_mut().push_back(Ok(HttpResponse {
            status,
            retry_after: retry_after.map(Into::into),
            body: body.as_bytes().to_vec(),
        }));
        self
    }

    /// The JSON bodies sent so far.
    pub fn bodies(&self) -> Vec<Value> {
        self.sent.borrow().iter().map(body_json).collect()
    }

    pub fn urls(&self) -> Vec<String> {
        self.sent.borrow().iter().map(|r| r.url.clone()).collect()
    }
}

impl Recorder {
    fn answer(&self, request: &HttpRequest) -> Result<HttpResponse, Error> {
        self.sent.borrow_mut().push(request.clone());
        self.replies
            .borrow_mut()
            .pop_front()
            .expect("a reply for every request")
    }
}

impl Transport for &Recorder {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, Error> {
        self.events.borrow_mut().push("send");
        self.answer(request)
    }

    fn start(&self, request: HttpRequest) -> InFlight {
        self.events.borrow_mut().push("start");
        InFlight {
            request,
            ticket: Some(self.events.borrow().len() as u64),
        }
    }

    fn finish(&self, in_flight: &InFlight) -> Result<HttpResponse, Error> {
        self.events.borrow_mut().push("finish");
        self.answer(&in_flight.request)
    }

    fn sleep(&self, duration: Duration) {
        self.slept.borrow_mut().push(duration);
    }

    /// Time advances only by sleeping, plus a little per request (for jitter).
    fn now(&self) -> Duration {
        self.slept.borrow().iter().sum::<Duration>()
            + Duration::from_nanos(7_919 * self.sent.borrow().len() as u64)
    }
}

/// A transport that only holds begun requests (the trait's default `start`), as the
/// wasi:http build does: a begun request goes out when its answer is asked for.
pub struct Holding<'a>(pub &'a Recorder);

impl Transport for Holding<'_> {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, Error> {
        self.0.send(request)
    }

    fn sleep(&self, duration: Duration) {
        self.0.sleep(duration)
    }

    fn now(&self) -> Duration {
        self.0.now()
    }
}

pub fn client<'a>(rec: &'a Recorder, api_key: Option<&str>) -> Qdrant<&'a Recorder> {
    let config = Config {
        url: "http://qdrant:6333/".into(),
        api_key: api_key.map(Into::into),
        timeout_ms: Some(1234),
        ..Config::default()
    };
    Qdrant::new(config, rec).unwrap()
}

pub fn client_with(rec: &Recorder, retry: Option<RetryPolicy>) -> Qdrant<&Recorder> {
    let config = Config {
        url: "http://qdrant:6333".into(),
        retry,
        ..Config::default()
    };
    Qdrant::new(config, rec).unwrap()
}

pub fn body_json(request: &HttpRequest) -> Value {
    request
        .body
        .as_ref()
        .map(|b| serde_json::from_slice(b).unwrap())
        .unwrap_or(Value::Null)
}

/// `{"result": result, "status": "ok", "time": 0}`.
pub fn ok(result: Value) -> String {
    serde_json::json!({"result": result, "status": "ok", "time": 0.0}).to_string()
}
