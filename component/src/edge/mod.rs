//! The edge service: a small JSON API over the client, for components that an edge runtime
//! runs as `wasi:http/incoming-handler` (the `edge` world). Target-independent, so it is
//! unit-tested natively against a recording transport; the wasm build (`incoming`) only
//! moves bytes between wasi:http and [`handle`].
//!
//! Routes (docs/edge.md has the bodies and answers):
//!
//! | route | client call |
//! |---|---|
//! | `GET /health` | `health-check` |
//! | `GET /v1/collections/{c}` | `get-collection` |
//! | `PUT /v1/collections/{c}` | `create-collection` |
//! | `DELETE /v1/collections/{c}` | `delete-collection` |
//! | `PUT /v1/collections/{c}/points` | `upsert-points` |
//! | `POST /v1/collections/{c}/points/delete` | `delete-points` |
//! | `POST /v1/collections/{c}/count` | `count` |
//! | `POST /v1/collections/{c}/query` | `query` |
//! | `POST /v1/collections/{c}/query/batch` | `query-batch` |

pub mod errors;
pub mod input;
pub mod output;

use serde_json::Value;

use crate::Error;
use crate::model::Config;
use crate::rest::Qdrant;
use crate::transport::Transport;
use errors::Failure;

/// Qdrant's own cap on a request body; larger bodies are refused unread.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// What the service is configured with, read from its environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub config: Config,
    /// The collections callers may use; `None` allows every collection.
    pub collections: Option<Vec<String>>,
    /// When set, callers must send `Authorization: Bearer <token>`.
    pub token: Option<String>,
}

impl Settings {
    /// Reads `QDRANT_URL` (required), `QDRANT_API_KEY`, `QDRANT_TIMEOUT_MS`,
    /// `RETRIEVER_COLLECTIONS` (comma-separated) and `RETRIEVER_TOKEN`. Empty values count
    /// as unset.
    pub fn from_env(vars: impl IntoIterator<Item = (String, String)>) -> Result<Self, Error> {
        let mut url = None;
        let mut settings = Settings {
            config: Config::default(),
            collections: None,
            token: None,
        };
        for (name, value) in vars {
            let value = value.trim().to_owned();
            if value.is_empty() {
                if name == "RETRIEVER_TOKEN" {
                    // Likely a secret that did not arrive: never read as "no token needed".
                    return Err(misconfigured(
                        "RETRIEVER_TOKEN is set but empty; unset it to serve without a token",
                    ));
                }
                continue;
            }
            match name.as_str() {
                "QDRANT_URL" => url = Some(value),
                "QDRANT_API_KEY" => settings.config.api_key = Some(value),
                "QDRANT_TIMEOUT_MS" => {
                    settings.config.timeout_ms = Some(value.parse().map_err(|_| {
                        misconfigured("QDRANT_TIMEOUT_MS must be a number of milliseconds")
                    })?)
                }
                "RETRIEVER_COLLECTIONS" => {
                    settings.collections = Some(
                        value
                            .split(',')
                            .map(str::trim)
                            .filter(|c| !c.is_empty())
                            .map(str::to_owned)
                            .collect(),
                    )
                }
                "RETRIEVER_TOKEN" => settings.token = Some(value),
                _ => {}
            }
        }
        let url = url.ok_or_else(|| {
            misconfigured("QDRANT_URL is not set (the Qdrant REST URL, e.g. http://qdrant:6333)")
        })?;
        // Checked here so a bad URL is the service's 500, and without its text, which may
        // carry credentials.
        settings.config.url = crate::rest::base_url(&url)
            .map_err(|problem| misconfigured(&format!("QDRANT_URL {problem}")))?;
        Ok(settings)
    }
}

fn misconfigured(message: &str) -> Error {
    Error::InvalidInput(format!("the service is misconfigured: {message}"))
}

/// One incoming request, as read off the wire.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    /// The path, without the query string.
    pub path: &'a str,
    /// The `Authorization` header, if any.
    pub authorization: Option<&'a str>,
    pub body: &'a [u8],
}

/// The answer: always JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    /// Besides `content-type: application/json`.
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// The answer to a request refused on its head alone: the service is misconfigured, or
/// the caller lacks the token. The wasm side asks before reading a body, so a caller
/// without the token cannot make the service read one.
pub fn refuse_early(
    settings: &Result<Settings, Error>,
    authorization: Option<&str>,
) -> Option<Response> {
    admitted(settings, authorization).err()
}

/// The settings, if the service is configured and the caller authorized.
fn admitted<'s>(
    settings: &'s Result<Settings, Error>,
    authorization: Option<&str>,
) -> Result<&'s Settings, Response> {
    let settings = settings
        .as_ref()
        .map_err(|e| failure(&Failure::with_status(500, e.clone()), None))?;
    authorize(settings, authorization).map_err(|f| failure(&f, None))?;
    Ok(settings)
}

/// Answers `request`, calling Qdrant through `transport`. Never panics on input: every
/// failure is a JSON error with a status (see [`errors`]).
pub fn handle<T: Transport>(
    settings: &Result<Settings, Error>,
    request: &Request<'_>,
    transport: T,
) -> Response {
    let settings = match admitted(settings, request.authorization) {
        Ok(settings) => settings,
        Err(refusal) => return refusal,
    };
    let secret = settings.config.api_key.as_deref();
    match route(settings, request, transport) {
        Ok(body) => Response {
            status: 200,
            headers: vec![],
            body,
        },
        Err(f) => failure(&f, secret),
    }
}

/// The answer to a body longer than [`MAX_BODY_BYTES`], which the wasm side refuses
/// before reading it all.
pub fn too_large() -> Response {
    refusal(
        413,
        Error::InvalidInput(format!(
            "the request body is larger than {MAX_BODY_BYTES} bytes"
        )),
    )
}

/// An answer for a request refused before [`handle`], e.g. one whose body cannot be read.
pub fn refusal(status: u16, error: Error) -> Response {
    failure(&Failure::with_status(status, error), None)
}

fn failure(failure: &Failure, secret: Option<&str>) -> Response {
    let mut headers = vec![];
    if let Error::RateLimited(Some(seconds)) = failure.error {
        headers.push(("retry-after", seconds.to_string()));
    }
    if let Some(allow) = failure.allow {
        headers.push(("allow", allow.to_owned()));
    }
    if failure.status == 401 {
        headers.push(("www-authenticate", "Bearer".to_owned()));
    }
    Response {
        status: failure.status,
        headers,
        body: errors::body(failure, secret),
    }
}

fn route<T: Transport>(
    settings: &Settings,
    request: &Request<'_>,
    transport: T,
) -> Result<Vec<u8>, Failure> {
    let path = request.path.strip_suffix('/').unwrap_or(request.path);
    let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
    let method = request.method;
    let client = || Qdrant::new(settings.config.clone(), transport);
    match segments.as_slice() {
        ["health"] => {
            allow(method, "GET")?;
            Ok(output::health(&client()?.health_check()?))
        }
        ["v1", "collections", name, rest @ ..] => {
            let name = collection_name(settings, name)?;
            let body = || json_body(request.body);
            match (rest, method) {
                ([], "GET") => Ok(output::collection(&client()?.get_collection(&name)?)),
                ([], "PUT") => {
                    let (size, distance) = input::collection(&body()?)?;
                    client()?.create_collection(&name, size, distance)?;
                    Ok(br#"{"created":true}"#.to_vec())
                }
                ([], "DELETE") => {
                    let deleted = client()?.delete_collection(&name)?;
                    Ok(format!(r#"{{"deleted":{deleted}}}"#).into_bytes())
                }
                ([], _) => Err(Failure::method_not_allowed(method, "GET, PUT, DELETE")),
                (["points"], "PUT") => {
                    let (points, wait) = input::points(&body()?)?;
                    let upserted = client()?.upsert_points(&name, &points, wait)?;
                    Ok(format!(r#"{{"upserted":{upserted}}}"#).into_bytes())
                }
                (["points", "delete"], "POST") => {
                    let (selector, wait) = input::points_selector(&body()?)?;
                    let result = client()?.delete_points(&name, &selector, wait)?;
                    Ok(format!(r#"{{"completed":{}}}"#, result.completed).into_bytes())
                }
                (["count"], "POST") => {
                    let (filter, exact) = input::count(&body_or_empty(request.body)?)?;
                    let count = client()?.count(&name, filter.as_ref(), exact)?;
                    Ok(format!(r#"{{"count":{count}}}"#).into_bytes())
                }
                (["query"], "POST") => {
                    let query = input::query(&body()?, "the query")?;
                    Ok(output::scored_points(&client()?.query(&name, &query)?))
                }
                (["query", "batch"], "POST") => {
                    let queries = input::query_batch(&body()?)?;
                    Ok(output::batch(&client()?.query_batch(&name, &queries)?))
                }
                (["points"], _) => Err(Failure::method_not_allowed(method, "PUT")),
                (["points", "delete"] | ["count"] | ["query"] | ["query", "batch"], _) => {
                    Err(Failure::method_not_allowed(method, "POST"))
                }
                _ => Err(no_route(request.path)),
            }
        }
        _ => Err(no_route(request.path)),
    }
}

fn no_route(path: &str) -> Failure {
    Failure::with_status(
        404,
        Error::NotFound(format!(
            "no route `{path}`: the routes are /health and /v1/collections/{{name}}[/points, /points/delete, /count, /query, /query/batch]"
        )),
    )
}

fn allow(method: &str, allowed: &'static str) -> Result<(), Failure> {
    if method == allowed {
        Ok(())
    } else {
        Err(Failure::method_not_allowed(method, allowed))
    }
}

/// The bearer token check, in time independent of where a wrong token differs.
fn authorize(settings: &Settings, authorization: Option<&str>) -> Result<(), Failure> {
    let Some(token) = &settings.token else {
        return Ok(());
    };
    let unauthorized = |m: &str| Failure::with_status(401, Error::Unauthorized(m.into()));
    let presented = authorization
        .and_then(|h| {
            let (scheme, value) = h.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| value.trim())
        })
        .ok_or_else(|| unauthorized("this service needs `Authorization: Bearer <token>`"))?;
    let same_length = presented.len() == token.len();
    let differences = presented
        .bytes()
        .zip(token.bytes().cycle())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if same_length && differences == 0 {
        Ok(())
    } else {
        Err(unauthorized("the bearer token is not valid"))
    }
}

/// The collection named in the path, percent-decoded, if the allow-list has it.
fn collection_name(settings: &Settings, segment: &str) -> Result<String, Failure> {
    let name = percent_decode(segment).ok_or_else(|| {
        Failure::of(Error::InvalidInput(
            "the collection name in the path is not valid percent-encoded UTF-8".into(),
        ))
    })?;
    if let Some(allowed) = &settings.collections
        && !allowed.contains(&name)
    {
        return Err(Failure::with_status(
            403,
            Error::Forbidden(format!("collection `{name}` is not served here")),
        ));
    }
    Ok(name)
}

fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn json_body(body: &[u8]) -> Result<Value, Failure> {
    if body.is_empty() {
        return Err(Failure::of(Error::InvalidInput(
            "this route needs a JSON body".into(),
        )));
    }
    serde_json::from_slice(body).map_err(|e| {
        Failure::of(Error::InvalidInput(format!(
            "the body is not valid JSON: {e}"
        )))
    })
}

/// A body that may be left out, standing for `{}`.
fn body_or_empty(body: &[u8]) -> Result<Value, Failure> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(Value::Object(Default::default()))
    } else {
        json_body(body)
    }
}

#[cfg(test)]
mod tests;
