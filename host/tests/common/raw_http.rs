//! A scripted raw-TCP HTTP/1.1 server for tests that need a server misbehaving in ways a
//! real one never does (garbage, huge or endless bodies, redirects) or that must see the
//! exact bytes a client sent. One request per connection, answered by a handler chosen by
//! the test, then the connection is closed (as `faults.rs` does).
//!
//! Included with `#[path = "common/raw_http.rs"] mod raw_http;` by the tests that use it.

#![allow(dead_code)] // each test binary uses its own subset

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The request target as sent (path and query).
    pub target: String,
    /// Header names lower-cased, values as sent.
    pub headers: Vec<(String, String)>,
    /// The request line and headers, verbatim.
    pub head: String,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The path without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

/// What the server does with one request.
pub enum Reply {
    /// A whole response: status, extra header lines (each ending in `\r\n`), body
    /// (`content-length` is set from it).
    Full {
        status: u16,
        headers: String,
        body: Vec<u8>,
    },
    /// These bytes verbatim, then close.
    Raw(Vec<u8>),
    /// `200`, chunked, `chunk` bytes every `every` with no end. After `limit` bytes the
    /// server stops writing and holds the connection: a safety cap for the test machine,
    /// far above anything a client should read.
    Endless {
        chunk: usize,
        every: Duration,
        limit: usize,
    },
    /// A `content-length` of `declared` bytes, then only `body`, then close.
    Short { declared: usize, body: Vec<u8> },
    /// Reads the request and never answers (holds the connection until the client goes).
    Stall,
    /// Reads the request, then closes without a byte.
    Close,
}

/// A JSON answer with this status.
pub fn json(status: u16, body: &str) -> Reply {
    Reply::Full {
        status,
        headers: "content-type: application/json\r\n".into(),
        body: body.as_bytes().to_vec(),
    }
}

/// An answer with this status, content type and body.
pub fn typed(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
    Reply::Full {
        status,
        headers: format!("content-type: {content_type}\r\n"),
        body: body.into(),
    }
}

/// What `GET /` of a Qdrant answers.
pub const HEALTH: &str = r#"{"title":"qdrant - vector search engine","version":"1.18.0-scripted"}"#;

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

pub struct RawServer {
    /// `http://ip:port` (`http://[::1]:port` for IPv6).
    pub url: String,
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    accepted: Arc<AtomicUsize>,
    /// Response body bytes written, by request path.
    written: Arc<Mutex<HashMap<String, usize>>>,
}

impl RawServer {
    /// Listens on `bind` (e.g. `127.0.0.1:0`, `[::1]:0`) and answers with `handler`.
    pub async fn start(
        bind: &str,
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind(bind).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let handler: Arc<Handler> = Arc::new(handler);
        let requests = Arc::new(Mutex::new(Vec::new()));
        let accepted = Arc::new(AtomicUsize::new(0));
        let written = Arc::new(Mutex::new(HashMap::new()));
        let server = RawServer {
            url: format!("http://{addr}"),
            addr,
            requests: requests.clone(),
            accepted: accepted.clone(),
            written: written.clone(),
        };
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                accepted.fetch_add(1, Ordering::SeqCst);
                let handler = handler.clone();
                let requests = requests.clone();
                let written = written.clone();
                tokio::spawn(async move {
                    serve(stream, &*handler, &requests, &written).await;
                });
            }
        });
        server
    }

    /// A server that answers every request with `404` and records it.
    pub async fn recorder(bind: &str) -> Self {
        Self::start(bind, |_| typed(404, "text/plain", "nothing here")).await
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// Connections accepted, whether or not a whole request arrived on them.
    pub fn connections(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Response body bytes written so far for requests to `path`.
    pub fn body_bytes_written(&self, path: &str) -> usize {
        self.written.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

async fn serve(
    mut stream: TcpStream,
    handler: &Handler,
    requests: &Mutex<Vec<Request>>,
    written: &Mutex<HashMap<String, usize>>,
) {
    let _ = stream.set_nodelay(true);
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    requests.lock().unwrap().push(request.clone());
    let path = request.path().to_owned();
    let count = |n: usize| *written.lock().unwrap().entry(path.clone()).or_default() += n;
    match handler(&request) {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let head = format!(
                "HTTP/1.1 {status} Scripted\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            if stream.write_all(head.as_bytes()).await.is_ok()
                && stream.write_all(&body).await.is_ok()
            {
                count(body.len());
            }
            let _ = stream.shutdown().await;
        }
        Reply::Raw(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Reply::Short { declared, body } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {declared}\r\n\r\n"
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&body).await;
            count(body.len());
            let _ = stream.shutdown().await;
        }
        Reply::Endless {
            chunk,
            every,
            limit,
        } => {
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let mut frame = format!("{chunk:x}\r\n").into_bytes();
            frame.extend(std::iter::repeat_n(b' ', chunk));
            frame.extend_from_slice(b"\r\n");
            let mut sent = 0;
            while sent < limit {
                if stream.write_all(&frame).await.is_err() {
                    return;
                }
                sent += chunk;
                count(chunk);
                if !every.is_zero() {
                    tokio::time::sleep(every).await;
                }
            }
            hold(&mut stream).await;
        }
        Reply::Stall => hold(&mut stream).await,
        Reply::Close => drop(stream),
    }
}

/// Keeps the connection open until the client closes it (or a minute passes).
async fn hold(stream: &mut TcpStream) {
    let mut sink = [0u8; 1024];
    let _ = tokio::time::timeout(Duration::from_secs(60), async {
        while let Ok(n) = stream.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}

/// Reads one request (head and a `content-length` body); `None` if the peer went away.
async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buffer = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
            let mut lines = head.split("\r\n");
            let mut request_line = lines.next().unwrap_or("").split(' ');
            let method = request_line.next().unwrap_or("").to_owned();
            let target = request_line.next().unwrap_or("").to_owned();
            let headers: Vec<(String, String)> = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
                .collect();
            let length: usize = headers
                .iter()
                .find(|(n, _)| n == "content-length")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            while buffer.len() < end + 4 + length {
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return None,
                    Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                }
            }
            return Some(Request {
                method,
                target,
                headers,
                head,
                body: buffer[end + 4..end + 4 + length].to_vec(),
            });
        }
        if buffer.len() > 1 << 20 {
            return None;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}
