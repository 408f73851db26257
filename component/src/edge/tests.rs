use serde_json::{Value, json};

use super::*;
use crate::testing::{OK_TRUE, Recorder, ok};

fn settings(extra: &[(&str, &str)]) -> Result<Settings, Error> {
    let mut vars = vec![("QDRANT_URL", "http://qdrant:6333"), ("PATH", "/bin")];
    vars.extend_from_slice(extra);
    Settings::from_env(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

/// The whole answer to one request.
fn respond(
    rec: &Recorder,
    settings: &Result<Settings, Error>,
    method: &str,
    path: &str,
    authorization: Option<&str>,
) -> Response {
    let request = Request {
        method,
        path,
        authorization,
        body: b"",
    };
    handle(settings, &request, rec)
}

/// Status and JSON answer to a request with `body`.
fn call(
    rec: &Recorder,
    settings: &Result<Settings, Error>,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, Value) {
    let request = Request {
        method,
        path,
        authorization: None,
        body: body.as_bytes(),
    };
    let response = handle(settings, &request, rec);
    let json = serde_json::from_slice(&response.body).expect("every answer is JSON");
    (response.status, json)
}

/// [`call`] with the settings of a plain service (no token, no allow-list).
fn ask(rec: &Recorder, method: &str, path: &str, body: &str) -> (u16, Value) {
    call(rec, &settings(&[]), method, path, body)
}

fn error_kind(answer: &Value) -> &str {
    answer["error"]["kind"].as_str().expect("an error body")
}

#[test]
fn settings_come_from_the_environment() {
    let s = settings(&[
        ("QDRANT_API_KEY", "k"),
        ("RETRIEVER_COLLECTIONS", "docs, news,"),
        ("RETRIEVER_TOKEN", "t0k"),
        ("QDRANT_TIMEOUT_MS", "2500"),
    ])
    .unwrap();
    assert_eq!(s.config.url, "http://qdrant:6333");
    assert_eq!(s.config.api_key.as_deref(), Some("k"));
    assert_eq!(s.config.timeout_ms, Some(2500));
    assert_eq!(s.collections, Some(vec!["docs".into(), "news".into()]));
    assert_eq!(s.token.as_deref(), Some("t0k"));
    assert_eq!(settings(&[]).unwrap().collections, None);
}

#[test]
fn without_a_url_every_request_is_a_500_that_says_so() {
    let unset = Settings::from_env(Vec::new());
    let rec = Recorder::default();
    let (status, answer) = call(&rec, &unset, "GET", "/health", "");
    assert_eq!(status, 500);
    assert_eq!(error_kind(&answer), "invalid-input");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("QDRANT_URL")
    );
    assert!(rec.sent.borrow().is_empty());
}

#[test]
fn health_reports_qdrant_version() {
    let rec = Recorder::default().reply(200, r#"{"title":"qdrant","version":"1.18.0"}"#);
    let (status, answer) = ask(&rec, "GET", "/health", "");
    assert_eq!(status, 200);
    assert_eq!(
        answer,
        json!({"status": "ok", "qdrant": {"title": "qdrant", "version": "1.18.0"}})
    );
}

#[test]
fn query_sends_one_qdrant_query_and_answers_ids_scores_payloads() {
    let hits = json!({"points": [
        {"id": 7, "version": 1, "score": 0.91, "payload": {"group": "a"}},
        {"id": "0b8a3e68-2f53-4e0b-9a8b-8a3b1e2f7c10", "version": 1, "score": 0.5,
         "payload": {"_string_id": "doc-1", "group": "a"}},
    ]});
    let rec = Recorder::default().reply(200, &ok(hits));
    let body = r#"{"vector": [0.5, 0.25], "limit": 2, "score_threshold": 0.1,
                   "filter": {"must": [{"key": "group", "match": {"value": "a"}}]}}"#;
    let (status, answer) = ask(&rec, "POST", "/v1/collections/docs/query", body);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer,
        json!({"points": [
            {"id": 7, "score": 0.91, "payload": {"group": "a"}},
            {"id": "doc-1", "score": 0.5, "payload": {"group": "a"}},
        ]})
    );
    let sent = &rec.bodies()[0];
    assert!(rec.urls()[0].starts_with("http://qdrant:6333/collections/docs/points/query"));
    assert_eq!(sent["query"], json!([0.5, 0.25]));
    assert_eq!(sent["limit"], 2);
    assert_eq!(sent["score_threshold"], 0.1);
    assert_eq!(sent["filter"]["must"][0]["key"], "group");
}

#[test]
fn batch_answers_one_list_per_query() {
    let rec = Recorder::default().reply(
        200,
        &ok(json!([{"points": [{"id": 1, "score": 1.0}]}, {"points": []}])),
    );
    let body = r#"{"queries": [{"vector": [1, 0]}, {"point_id": 3, "limit": 1}]}"#;
    let (status, answer) = ask(&rec, "POST", "/v1/collections/docs/query/batch", body);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["results"][0]["points"][0]["id"], 1);
    assert_eq!(answer["results"][1]["points"], json!([]));
    assert_eq!(rec.bodies()[0]["searches"][1]["query"], 3);
}

#[test]
fn upsert_sends_every_point_with_its_payload() {
    let rec = Recorder::default().reply(200, crate::testing::OK_UPDATE);
    let body = r#"{"points": [
        {"id": 1, "vector": [0.5, 1], "payload": {"n": 1}},
        {"id": "doc-2", "vector": [0.25, 2]}
    ]}"#;
    let (status, answer) = ask(&rec, "PUT", "/v1/collections/docs/points", body);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer, json!({"upserted": 2}));
    let points = &rec.bodies()[0]["points"];
    assert_eq!(
        points[0],
        json!({"id": 1, "vector": [0.5, 1.0], "payload": {"n": 1}})
    );
    assert_eq!(points[1]["vector"], json!([0.25, 2.0]));
    assert_eq!(points[1]["payload"], json!({"_string_id": "doc-2"}));
    assert!(rec.urls()[0].contains("wait=true"));
}

#[test]
fn upsert_with_named_and_sparse_vectors() {
    let rec = Recorder::default().reply(200, crate::testing::OK_UPDATE);
    let body = r#"{"wait": false, "points": [
        {"id": 1, "vector": {"text": [1, 2], "bm25": {"indices": [3], "values": [0.5]}}}
    ]}"#;
    let (status, answer) = ask(&rec, "PUT", "/v1/collections/docs/points", body);
    assert_eq!(status, 200, "{answer}");
    let point = &rec.bodies()[0]["points"][0];
    assert_eq!(point["vector"]["text"], json!([1.0, 2.0]));
    assert_eq!(
        point["vector"]["bm25"],
        json!({"indices": [3], "values": [0.5]})
    );
    assert!(rec.urls()[0].contains("wait=false"));
}

#[test]
fn bad_input_is_a_400_naming_the_problem_and_sends_nothing() {
    let cases = [
        (
            "POST",
            "/v1/collections/docs/query",
            "{\"vector\": [1, 2",
            "not valid JSON",
        ),
        (
            "POST",
            "/v1/collections/docs/query",
            "",
            "needs a JSON body",
        ),
        (
            "POST",
            "/v1/collections/docs/query",
            r#"{"vector": [1], "limt": 3}"#,
            "unknown field `limt`",
        ),
        (
            "POST",
            "/v1/collections/docs/query",
            r#"{"limit": 3}"#,
            "exactly one of `vector`",
        ),
        (
            "POST",
            "/v1/collections/docs/query",
            r#"{"vector": ["a"]}"#,
            "only numbers",
        ),
        (
            "POST",
            "/v1/collections/docs/query",
            r#"{"vector": [1e39]}"#,
            "only numbers",
        ),
        (
            "POST",
            "/v1/collections/docs/query",
            r#"{"vector": [1], "limit": 0}"#,
            "limit must be at least 1",
        ),
        (
            "POST",
            "/v1/collections/docs/query",
            r#"{"vector": [1], "limit": -1}"#,
            "`limit` must be an integer",
        ),
        (
            "POST",
            "/v1/collections/docs/query",
            r#"{"vector": [1], "filter": {"must": 3}}"#,
            "filter",
        ),
        (
            "POST",
            "/v1/collections/docs/query",
            r#"[1, 2]"#,
            "must be a JSON object",
        ),
        (
            "PUT",
            "/v1/collections/docs/points",
            r#"{"points": []}"#,
            "non-empty array",
        ),
        (
            "PUT",
            "/v1/collections/docs/points",
            r#"{"points": [{"vector": [1]}]}"#,
            "point 0 has no `id`",
        ),
        (
            "PUT",
            "/v1/collections/docs/points",
            r#"{"points": [{"id": -1, "vector": [1]}]}"#,
            "unsigned integer or a string",
        ),
        (
            "PUT",
            "/v1/collections/docs/points",
            r#"{"points": [{"id": 1, "vector": [1, 2]}, {"id": 2, "vector": [1]}]}"#,
            "point 1's vector  has 1 values",
        ),
        (
            "PUT",
            "/v1/collections/docs/points",
            r#"{"points": [{"id": 1, "vector": [1]}, {"id": 2, "vector": {"a": [1]}}]}"#,
            "other vectors than point 0",
        ),
        (
            "PUT",
            "/v1/collections/docs/points",
            r#"{"points": [{"id": 1, "vector": [1], "payload": 3}]}"#,
            "payload",
        ),
        (
            "PUT",
            "/v1/collections/docs",
            r#"{"size": 0}"#,
            "`size` must be a positive integer",
        ),
        (
            "PUT",
            "/v1/collections/docs",
            r#"{"size": 4, "distance": "cos"}"#,
            "`distance` must be one of",
        ),
        (
            "POST",
            "/v1/collections/docs/points/delete",
            r#"{}"#,
            "exactly one of `ids` and `filter`",
        ),
        ("GET", "/v1/collections/a%2/query", "", "percent-encoded"),
        ("GET", "/v1/collections/a%3Fb", "", "must not contain '?'"),
        ("GET", "/v1/collections/%2E%2E", "", "must not be `..`"),
        (
            "POST",
            "/v1/collections/docs/points/delete",
            r#"{"filter": null}"#,
            "exactly one of",
        ),
        (
            "POST",
            "/v1/collections/docs/points/delete",
            r#"{"filter": [1]}"#,
            "filter object",
        ),
    ];
    for (method, path, body, fragment) in cases {
        let rec = Recorder::default();
        let (status, answer) = ask(&rec, method, path, body);
        assert_eq!(status, 400, "{method} {path} {body}: {answer}");
        assert_eq!(error_kind(&answer), "invalid-input", "{body}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(fragment), "{body}: {message}");
        assert!(rec.sent.borrow().is_empty(), "{body} sent a request");
    }
}

#[test]
fn qdrant_refusals_keep_their_case_and_status() {
    let rec = Recorder::default().reply(
        404,
        r#"{"status":{"error":"Not found: Collection `nope` doesn't exist!"},"time":0}"#,
    );
    let (status, answer) = ask(&rec, "GET", "/v1/collections/nope", "");
    assert_eq!((status, error_kind(&answer)), (404, "not-found"));
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("doesn't exist")
    );

    let rec = Recorder::default().reply(
        400,
        r#"{"status":{"error":"Wrong input: Vector dimension error: expected dim: 8, got 3"},"time":0}"#,
    );
    let (status, answer) = ask(
        &rec,
        "POST",
        "/v1/collections/docs/query",
        r#"{"vector": [1, 2, 3]}"#,
    );
    assert_eq!((status, error_kind(&answer)), (400, "bad-request"));

    let rec = Recorder::default().reply(409, r#"{"status":{"error":"exists"},"time":0}"#);
    let (status, answer) = ask(&rec, "PUT", "/v1/collections/docs", r#"{"size": 4}"#);
    assert_eq!((status, error_kind(&answer)), (409, "conflict"));
}

#[test]
fn qdrant_down_or_slow_is_502_or_504() {
    let down = Recorder::default()
        .fail(Error::Connection("refused".into()))
        .fail(Error::Connection("refused".into()))
        .fail(Error::Connection("refused".into()));
    let (status, answer) = ask(&down, "GET", "/health", "");
    assert_eq!((status, error_kind(&answer)), (502, "connection"));

    let slow = Recorder::default()
        .fail(Error::Timeout("first byte".into()))
        .fail(Error::Timeout("first byte".into()))
        .fail(Error::Timeout("first byte".into()));
    let (status, answer) = ask(&slow, "GET", "/health", "");
    assert_eq!((status, error_kind(&answer)), (504, "timeout"));

    let limited = Recorder::default().reply_with_retry_after(429, "60");
    let response = respond(&limited, &settings(&[]), "GET", "/health", None);
    assert_eq!(response.status, 429);
    assert!(response.headers.contains(&("retry-after", "60".into())));
}

#[test]
fn the_api_key_never_reaches_an_answer() {
    let rec = Recorder::default().reply(401, "wrong api-key s3cret-key");
    let (status, answer) = call(
        &rec,
        &settings(&[("QDRANT_API_KEY", "s3cret-key")]),
        "GET",
        "/v1/collections/docs",
        "",
    );
    assert_eq!((status, error_kind(&answer)), (502, "unauthorized"));
    assert!(!answer.to_string().contains("s3cret-key"), "{answer}");
    let sent = &rec.sent.borrow()[0].headers;
    assert!(
        sent.contains(&("api-key".into(), "s3cret-key".into())),
        "{sent:?}"
    );
}

#[test]
fn the_allow_list_is_checked_before_any_request() {
    let rec = Recorder::default();
    let s = settings(&[("RETRIEVER_COLLECTIONS", "docs")]);
    for (method, path) in [
        ("GET", "/v1/collections/secret"),
        ("POST", "/v1/collections/secret/query"),
    ] {
        let (status, answer) = call(&rec, &s, method, path, r#"{"vector": [1]}"#);
        assert_eq!((status, error_kind(&answer)), (403, "forbidden"), "{path}");
    }
    assert!(rec.sent.borrow().is_empty());
}

#[test]
fn the_bearer_token_is_required_when_set() {
    let s = settings(&[("RETRIEVER_TOKEN", "t0ken")]);
    for authorization in [
        None,
        Some("Bearer wrong"),
        Some("Bearer t0ke"),
        Some("Basic t0ken"),
        Some("Bearer"),
    ] {
        let rec = Recorder::default();
        let response = respond(&rec, &s, "GET", "/health", authorization);
        assert_eq!(response.status, 401, "{authorization:?}");
        assert!(
            response
                .headers
                .contains(&("www-authenticate", "Bearer".into()))
        );
        let answer: Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(error_kind(&answer), "unauthorized");
        assert!(!answer.to_string().contains("t0ken"));
        assert!(rec.sent.borrow().is_empty());
    }
    let rec = Recorder::default().reply(200, r#"{"title":"qdrant","version":"1.18.0"}"#);
    let response = respond(&rec, &s, "GET", "/health", Some("bearer t0ken"));
    assert_eq!(response.status, 200);
}

#[test]
fn unknown_routes_and_methods() {
    let rec = Recorder::default();
    let (status, answer) = ask(&rec, "GET", "/v2/anything", "");
    assert_eq!((status, error_kind(&answer)), (404, "not-found"));
    let response = respond(
        &rec,
        &settings(&[]),
        "GET",
        "/v1/collections/docs/query",
        None,
    );
    assert_eq!(response.status, 405);
    assert!(response.headers.contains(&("allow", "POST".into())));
    let (status, _) = ask(&rec, "POST", "/health", "");
    assert_eq!(status, 405);
    assert!(rec.sent.borrow().is_empty());
}

#[test]
fn collection_lifecycle_and_count() {
    let rec = Recorder::default()
        .reply(200, OK_TRUE)
        .reply(200, &ok(json!({"count": 50})))
        .reply(200, OK_TRUE);
    let s = settings(&[]);
    let (status, answer) = call(
        &rec,
        &s,
        "PUT",
        "/v1/collections/my%20docs",
        r#"{"size": 8, "distance": "Dot"}"#,
    );
    assert_eq!((status, answer), (200, json!({"created": true})));
    assert_eq!(
        rec.bodies()[0]["vectors"],
        json!({"size": 8, "distance": "Dot"})
    );
    assert!(rec.urls()[0].contains("/collections/my%20docs"));
    let (status, answer) = call(&rec, &s, "POST", "/v1/collections/docs/count", "");
    assert_eq!((status, answer), (200, json!({"count": 50})));
    let (status, answer) = call(&rec, &s, "DELETE", "/v1/collections/docs", "");
    assert_eq!((status, answer), (200, json!({"deleted": true})));
}

#[test]
fn null_members_count_as_left_out() {
    let rec = Recorder::default().reply(200, crate::testing::OK_UPDATE);
    let body = r#"{"ids": [1, "doc-2"], "filter": null, "wait": null}"#;
    let (status, answer) = ask(&rec, "POST", "/v1/collections/docs/points/delete", body);
    assert_eq!((status, answer), (200, json!({"completed": true})));
    assert_eq!(rec.bodies()[0]["points"][0], 1);
}

#[test]
fn a_bad_url_or_an_empty_token_is_the_services_500_and_echoes_nothing() {
    for (name, value, fragment) in [
        (
            "QDRANT_URL",
            "user:pw@qdrant:6333",
            "QDRANT_URL must start with http",
        ),
        (
            "QDRANT_URL",
            "http:///collections",
            "QDRANT_URL has no host",
        ),
        ("RETRIEVER_TOKEN", "  ", "RETRIEVER_TOKEN is set but empty"),
    ] {
        let mut vars = vec![("QDRANT_URL".to_string(), "http://qdrant:6333".to_string())];
        vars.retain(|(n, _)| n != name);
        vars.push((name.to_string(), value.to_string()));
        let rec = Recorder::default();
        let (status, answer) = call(&rec, &Settings::from_env(vars), "GET", "/health", "");
        assert_eq!(
            (status, error_kind(&answer)),
            (500, "invalid-input"),
            "{value}"
        );
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(fragment), "{message}");
        assert!(!message.contains("pw@"), "{message}");
        assert!(rec.sent.borrow().is_empty());
    }
}

#[test]
fn refuse_early_answers_only_refusals() {
    let s = settings(&[("RETRIEVER_TOKEN", "t0ken")]);
    assert!(refuse_early(&s, Some("Bearer t0ken")).is_none());
    assert_eq!(refuse_early(&s, None).map(|r| r.status), Some(401));
    assert_eq!(
        refuse_early(&Settings::from_env(Vec::new()), None).map(|r| r.status),
        Some(500)
    );
    assert!(refuse_early(&settings(&[]), None).is_none());
}
