//! The `edge` build's `wasi:http/incoming-handler`: reads a request off wasi:http, answers
//! it with [`crate::edge::handle`] over the wasi-http transport, writes the answer back, and
//! logs one line (method, path, status, time; never a header or body) to stderr.

use std::io::Write as _;

use wasip2::http::types::{
    Fields, IncomingBody, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam,
};
use wasip2::io::streams::StreamError;

use super::{Component, WasiHttp, now};
use crate::bindings::exports::wasi::http::incoming_handler::Guest;
use crate::edge::{self, MAX_BODY_BYTES, Settings};

impl Guest for Component {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        let started = now();
        let method = method_name(&request.method());
        let path_and_query = request.path_with_query().unwrap_or_else(|| "/".into());
        let path = path_and_query
            .split_once('?')
            .map_or(path_and_query.as_str(), |(path, _)| path);
        let authorization = header(&request, "authorization");
        // Read per request: an edge runtime may give each request a fresh instance.
        let settings = Settings::from_env(wasip2::cli::environment::get_environment());
        let response = match edge::refuse_early(&settings, authorization.as_deref()) {
            Some(refusal) => refusal,
            None => match read_body(&request) {
                Ok(body) => {
                    let request = edge::Request {
                        method: &method,
                        path,
                        authorization: authorization.as_deref(),
                        body: &body,
                    };
                    edge::handle(&settings, &request, WasiHttp)
                }
                Err(refusal) => refusal,
            },
        };
        let elapsed = now().saturating_sub(started);
        // Not `eprintln!`, which panics (traps) when stderr is gone.
        let _ = writeln!(
            std::io::stderr(),
            "qdrant-retriever: {method} {path} {} {:.1} ms",
            response.status,
            elapsed.as_secs_f64() * 1e3
        );
        respond(response_out, response);
    }
}

fn method_name(method: &Method) -> String {
    match method {
        Method::Get => "GET",
        Method::Head => "HEAD",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Delete => "DELETE",
        Method::Connect => "CONNECT",
        Method::Options => "OPTIONS",
        Method::Trace => "TRACE",
        Method::Patch => "PATCH",
        Method::Other(other) => return other.clone(),
    }
    .to_owned()
}

/// A header's first value, when it is UTF-8.
fn header(request: &IncomingRequest, name: &str) -> Option<String> {
    let values = request.headers().get(name);
    values
        .into_iter()
        .next()
        .and_then(|v| String::from_utf8(v).ok())
}

/// The whole body, or the answer that refuses it: over [`MAX_BODY_BYTES`] (by its
/// `content-length`, or once that many bytes arrived), or unreadable.
fn read_body(request: &IncomingRequest) -> Result<Vec<u8>, edge::Response> {
    let declared = header(request, "content-length").and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(edge::too_large());
    }
    let unreadable = |what: &str| {
        edge::refusal(
            400,
            crate::Error::InvalidInput(format!("the request body could not be read: {what}")),
        )
    };
    let Ok(body) = request.consume() else {
        return Err(unreadable("it was already consumed"));
    };
    let Ok(stream) = body.stream() else {
        return Err(unreadable("no stream"));
    };
    // Grown as bytes arrive: a declared length alone reserves no more than this.
    let mut bytes = Vec::with_capacity(declared.unwrap_or(0).min(64 * 1024) as usize);
    loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => {
                if bytes.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(edge::too_large());
                }
                bytes.extend_from_slice(&chunk);
            }
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(e)) => {
                return Err(unreadable(&e.to_debug_string()));
            }
        }
    }
    drop(stream);
    let _trailers = IncomingBody::finish(body);
    Ok(bytes)
}

/// Writes `response`; a caller that went away meanwhile only ends the writing early.
fn respond(out: ResponseOutparam, response: edge::Response) {
    let headers = Fields::new();
    let length = response.body.len().to_string();
    let _ = headers.append("content-type", b"application/json");
    let _ = headers.append("content-length", length.as_bytes());
    for (name, value) in &response.headers {
        let _ = headers.append(name, value.as_bytes());
    }
    let outgoing = OutgoingResponse::new(headers);
    let _ = outgoing.set_status_code(response.status);
    let Ok(body) = outgoing.body() else {
        return;
    };
    ResponseOutparam::set(out, Ok(outgoing));
    if let Ok(stream) = body.write() {
        // `blocking-write-and-flush` takes at most 4096 bytes a call.
        for chunk in response.body.chunks(4096) {
            if stream.blocking_write_and_flush(chunk).is_err() {
                break;
            }
        }
    }
    let _ = OutgoingBody::finish(body, None);
}
