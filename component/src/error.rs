//! The error type, one variant per case of the WIT `error` variant.

use std::fmt;

/// Mirrors `qdrant:retriever/types.error`.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    Connection(String),
    Timeout(String),
    Unauthorized(String),
    Forbidden(String),
    NotFound(String),
    BadRequest(String),
    Conflict(String),
    RateLimited(Option<u32>),
    Server { status: u16, message: String },
    InvalidInput(String),
    Decode(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Connection(m) => write!(f, "connection failed: {m}"),
            Error::Timeout(m) => write!(f, "timed out: {m}"),
            Error::Unauthorized(m) => write!(f, "unauthorized: {m}"),
            Error::Forbidden(m) => write!(f, "forbidden: {m}"),
            Error::NotFound(m) => write!(f, "not found: {m}"),
            Error::BadRequest(m) => write!(f, "bad request: {m}"),
            Error::Conflict(m) => write!(f, "conflict: {m}"),
            Error::RateLimited(Some(s)) => write!(f, "rate limited: retry after {s} s"),
            Error::RateLimited(None) => write!(f, "rate limited"),
            Error::Server { status, message } => write!(f, "server error {status}: {message}"),
            Error::InvalidInput(m) => write!(f, "invalid input: {m}"),
            Error::Decode(m) => write!(f, "unexpected response: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// The case's own text, without the case name that [`fmt::Display`] puts before it.
    pub fn detail(&self) -> String {
        match self {
            Error::Connection(m)
            | Error::Timeout(m)
            | Error::Unauthorized(m)
            | Error::Forbidden(m)
            | Error::NotFound(m)
            | Error::BadRequest(m)
            | Error::Conflict(m)
            | Error::InvalidInput(m)
            | Error::Decode(m) => m.clone(),
            Error::Server { status, message } => format!("status {status}: {message}"),
            Error::RateLimited(Some(s)) => format!("rate limited: retry after {s} s"),
            Error::RateLimited(None) => "rate limited".into(),
        }
    }

    /// The name of the WIT `error` case, as JSON answers name it.
    pub fn case(&self) -> &'static str {
        match self {
            Error::Connection(_) => "connection",
            Error::Timeout(_) => "timeout",
            Error::Unauthorized(_) => "unauthorized",
            Error::Forbidden(_) => "forbidden",
            Error::NotFound(_) => "not-found",
            Error::BadRequest(_) => "bad-request",
            Error::Conflict(_) => "conflict",
            Error::RateLimited(_) => "rate-limited",
            Error::Server { .. } => "server",
            Error::InvalidInput(_) => "invalid-input",
            Error::Decode(_) => "decode",
        }
    }
}

/// Longest server message kept in an error, so a huge HTML error page stays readable.
const MAX_MESSAGE_CHARS: usize = 1024;

/// Classifies a non-2xx response. Qdrant sends JSON `{"status":{"error":..}}` for most
/// errors and plain text for 401/403; both are understood.
pub fn from_status(status: u16, retry_after: Option<&str>, body: &[u8]) -> Error {
    let message = server_message(body);
    match status {
        400 | 422 => Error::BadRequest(message),
        401 => Error::Unauthorized(message),
        403 => Error::Forbidden(message),
        404 => Error::NotFound(message),
        409 => Error::Conflict(message),
        429 => Error::RateLimited(retry_after.and_then(|v| v.trim().parse().ok())),
        // Qdrant never redirects; a proxy in front of it may, to another origin the
        // egress policy would refuse anyway.
        300..=399 => Error::Server {
            status,
            message: match message.is_empty() {
                true => REDIRECT.into(),
                false => format!("{REDIRECT}: {message}"),
            },
        },
        _ => Error::Server { status, message },
    }
}

const REDIRECT: &str = "redirects are not followed; set the url to the server's own address";

fn server_message(body: &[u8]) -> String {
    let from_json = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.pointer("/status/error")?.as_str().map(str::to_owned));
    let text = from_json.unwrap_or_else(|| String::from_utf8_lossy(body).trim().to_owned());
    let text = html_title(&text).unwrap_or(text);
    if text.chars().count() > MAX_MESSAGE_CHARS {
        let mut cut: String = text.chars().take(MAX_MESSAGE_CHARS).collect();
        cut.push('…');
        cut
    } else {
        text
    }
}

/// An HTML page (a proxy's or a login portal's error page) as its title: the markup says
/// nothing to a caller.
fn html_title(text: &str) -> Option<String> {
    let start = text.as_bytes();
    let opens =
        |tag: &[u8]| start.len() >= tag.len() && start[..tag.len()].eq_ignore_ascii_case(tag);
    if !(opens(b"<!doctype html") || opens(b"<html")) {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    let title = lower
        .find("<title>")
        .and_then(|start| {
            let start = start + "<title>".len();
            let end = start + lower[start..].find("</title>")?;
            text.get(start..end)
        })
        .map(str::trim)
        .filter(|t| !t.is_empty());
    Some(match title {
        Some(title) => format!("an HTML page titled \"{title}\""),
        None => "an HTML page".into(),
    })
}

/// Removes a secret from a message, so an api-key echoed by a proxy never reaches a caller.
pub fn redact(error: Error, secret: Option<&str>) -> Error {
    let Some(secret) = secret.filter(|s| !s.is_empty()) else {
        return error;
    };
    let clean = |m: String| {
        let mut m = m.replace(secret, "[redacted]");
        // A message cut at MAX_MESSAGE_CHARS may end in the start of the secret.
        if let Some(cut) = m.strip_suffix('…') {
            // At least four characters: a shorter match is as likely chance as the key.
            let start = (4..secret.len())
                .rev()
                .filter(|&n| secret.is_char_boundary(n))
                .find(|&n| cut.ends_with(&secret[..n]));
            if let Some(n) = start {
                m.truncate(cut.len() - n);
                m.push_str("[redacted]…");
            }
        }
        m
    };
    match error {
        Error::Connection(m) => Error::Connection(clean(m)),
        Error::Timeout(m) => Error::Timeout(clean(m)),
        Error::Unauthorized(m) => Error::Unauthorized(clean(m)),
        Error::Forbidden(m) => Error::Forbidden(clean(m)),
        Error::NotFound(m) => Error::NotFound(clean(m)),
        Error::BadRequest(m) => Error::BadRequest(clean(m)),
        Error::Conflict(m) => Error::Conflict(clean(m)),
        Error::Server { status, message } => Error::Server {
            status,
            message: clean(message),
        },
        Error::InvalidInput(m) => Error::InvalidInput(clean(m)),
        Error::Decode(m) => Error::Decode(clean(m)),
        e @ Error::RateLimited(_) => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_error_body_yields_qdrant_message() {
        let body = br#"{"status":{"error":"Not found: Collection `x` doesn't exist!"},"time":0.1}"#;
        assert_eq!(
            from_status(404, None, body),
            Error::NotFound("Not found: Collection `x` doesn't exist!".into())
        );
    }

    #[test]
    fn plain_text_401_is_unauthorized() {
        assert_eq!(
            from_status(
                401,
                None,
                b"Must provide an API key or an Authorization bearer token\n"
            ),
            Error::Unauthorized("Must provide an API key or an Authorization bearer token".into())
        );
    }

    #[test]
    fn status_codes_map_to_variants() {
        assert!(matches!(
            from_status(422, None, b"{}"),
            Error::BadRequest(_)
        ));
        assert!(matches!(from_status(409, None, b""), Error::Conflict(_)));
        assert_eq!(
            from_status(429, Some(" 7 "), b""),
            Error::RateLimited(Some(7))
        );
        assert_eq!(
            from_status(503, None, b"busy"),
            Error::Server {
                status: 503,
                message: "busy".into()
            }
        );
    }

    #[test]
    fn long_messages_are_truncated() {
        let body = "x".repeat(5000);
        let Error::Server { message, .. } = from_status(500, None, body.as_bytes()) else {
            panic!("expected a server error");
        };
        assert_eq!(message.chars().count(), MAX_MESSAGE_CHARS + 1);
    }

    #[test]
    fn redirects_and_html_pages_are_explained() {
        let moved = from_status(302, None, b"");
        assert!(
            matches!(&moved, Error::Server { status: 302, message } if message.contains("not followed"))
        );
        let page =
            b"<!DOCTYPE html><html><head><title> Sign in </title></head><body>x</body></html>";
        assert_eq!(
            from_status(401, None, page),
            Error::Unauthorized("an HTML page titled \"Sign in\"".into())
        );
        assert_eq!(
            from_status(502, None, b"<html><body>bad gateway</body></html>"),
            Error::Server {
                status: 502,
                message: "an HTML page".into()
            }
        );
        assert_eq!(
            from_status(401, None, b"Invalid api-key"),
            Error::Unauthorized("Invalid api-key".into())
        );
    }

    #[test]
    fn a_secret_cut_by_the_message_limit_is_redacted_too() {
        let secret = "sk-0123456789abcdef";
        let body = format!("{}{secret}", "x".repeat(MAX_MESSAGE_CHARS - 7));
        let e = redact(from_status(401, None, body.as_bytes()), Some(secret));
        let Error::Unauthorized(message) = e else {
            panic!("{e:?}");
        };
        assert!(
            message.ends_with("[redacted]…") && !message.contains("sk-0123"),
            "{message}"
        );
    }

    #[test]
    fn redact_removes_the_secret() {
        let e = redact(Error::Forbidden("key s3cret denied".into()), Some("s3cret"));
        assert_eq!(e, Error::Forbidden("key [redacted] denied".into()));
    }
}
