//! How a failure reaches an edge caller: a status that says whose fault it is, and
//! `{"error":{"kind":..,"message":..}}` whose `kind` is the WIT `error` case.

use crate::Error;

/// A failure and the status it is answered with.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub status: u16,
    pub error: Error,
    /// The methods a route serves, for a 405's `Allow` header.
    pub allow: Option<&'static str>,
}

impl Failure {
    /// A failure of the call the service made: the caller's input (400, 404, 409), or
    /// Qdrant failing or being slow (502, 504).
    pub fn of(error: Error) -> Self {
        Failure {
            status: upstream_status(&error),
            error,
            allow: None,
        }
    }

    /// A failure the service decides itself, with its own status.
    pub fn with_status(status: u16, error: Error) -> Self {
        Failure {
            status,
            error,
            allow: None,
        }
    }

    pub fn method_not_allowed(method: &str, allow: &'static str) -> Self {
        Failure {
            status: 405,
            error: Error::InvalidInput(format!("method {method} is not served here; use {allow}")),
            allow: Some(allow),
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::of(error)
    }
}

/// The status for an error of a call to Qdrant. Qdrant refusing the service's own
/// credentials is not the caller's doing: like any other upstream failure it is a 502.
fn upstream_status(error: &Error) -> u16 {
    match error {
        Error::InvalidInput(_) | Error::BadRequest(_) => 400,
        Error::NotFound(_) => 404,
        Error::Conflict(_) => 409,
        Error::RateLimited(_) => 429,
        Error::Timeout(_) => 504,
        Error::Unauthorized(_)
        | Error::Forbidden(_)
        | Error::Connection(_)
        | Error::Server { .. }
        | Error::Decode(_) => 502,
    }
}

/// The JSON body of `failure`, with `secret` (the api-key) removed from its message.
pub fn body(failure: &Failure, secret: Option<&str>) -> Vec<u8> {
    let error = crate::error::redact(failure.error.clone(), secret);
    let mut detail = serde_json::Map::new();
    detail.insert("kind".into(), error.case().into());
    detail.insert("message".into(), error.detail().into());
    match &error {
        Error::RateLimited(Some(seconds)) => {
            detail.insert("retry_after".into(), (*seconds).into());
        }
        Error::Server { status, .. } => {
            detail.insert("upstream_status".into(), (*status).into());
        }
        _ => {}
    }
    serde_json::to_vec(&serde_json::json!({ "error": detail })).expect("a JSON value")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_say_whose_fault_it_is() {
        let cases = [
            (Error::InvalidInput("x".into()), 400),
            (Error::BadRequest("x".into()), 400),
            (Error::NotFound("x".into()), 404),
            (Error::Conflict("x".into()), 409),
            (Error::RateLimited(Some(3)), 429),
            (Error::Timeout("x".into()), 504),
            (Error::Connection("x".into()), 502),
            (Error::Unauthorized("x".into()), 502),
            (Error::Forbidden("x".into()), 502),
            (Error::Decode("x".into()), 502),
            (
                Error::Server {
                    status: 503,
                    message: "x".into(),
                },
                502,
            ),
        ];
        for (error, status) in cases {
            assert_eq!(Failure::of(error.clone()).status, status, "{error:?}");
        }
    }

    #[test]
    fn body_names_the_wit_case_and_hides_the_secret() {
        let failure = Failure::of(Error::Connection("dial k3y-secret failed".into()));
        let body: serde_json::Value =
            serde_json::from_slice(&body(&failure, Some("k3y-secret"))).unwrap();
        assert_eq!(body["error"]["kind"], "connection");
        assert_eq!(body["error"]["message"], "dial [redacted] failed");
        let limited: serde_json::Value = serde_json::from_slice(&super::body(
            &Failure::of(Error::RateLimited(Some(4))),
            None,
        ))
        .unwrap();
        assert_eq!(limited["error"]["kind"], "rate-limited");
        assert_eq!(limited["error"]["retry_after"], 4);
    }
}
