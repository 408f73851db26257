//! HTTP/1.1 on the wire, as much as the proxy needs: reading a client's request (a
//! `content-length` or chunked body), forwarding it to the engine and reading the whole
//! answer, and writing answers back. Knows nothing of faults: `lib.rs` decides what to send.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A request read from the client.
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) target: String,
    /// The head as sent upstream: the client's, with `connection: close`.
    pub(crate) upstream_head: Vec<u8>,
    pub(crate) body: Vec<u8>,
}

/// An answer read whole from the engine.
pub(crate) struct Response {
    pub(crate) status: u16,
    /// Status line and headers, without framing headers and the final blank line.
    pub(crate) head: Vec<u8>,
    pub(crate) body: Vec<u8>,
}

impl Response {
    /// The answer with `length` of its body sent, under a head that promises all of it.
    pub(crate) fn bytes(&self, length: usize) -> Vec<u8> {
        let mut bytes = self.head.clone();
        bytes.extend_from_slice(format!("content-length: {}\r\n\r\n", self.body.len()).as_bytes());
        bytes.extend_from_slice(&self.body[..length]);
        bytes
    }
}

/// A canned answer's bytes.
pub(crate) fn canned(status: &str, headers: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\n{headers}content-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Reads the next request of the connection (a `content-length` or chunked body); `None`
/// when the client closed it. Bytes past the request stay in `buffer`.
pub(crate) async fn read_request(client: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<Request> {
    let head_end = loop {
        if let Some(end) = find(buffer, b"\r\n\r\n") {
            break end;
        }
        if buffer.len() > 1 << 16 || !fill(client, buffer).await {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let mut upstream_head = format!("{method} {target} HTTP/1.1\r\n").into_bytes();
    let mut length = 0usize;
    let mut chunked = false;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim();
        match name.as_str() {
            "content-length" => length = value.parse().ok()?,
            "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
            "connection" | "keep-alive" => continue,
            _ => {}
        }
        if name != "transfer-encoding" {
            upstream_head.extend_from_slice(line.as_bytes());
            upstream_head.extend_from_slice(b"\r\n");
        }
    }
    let body_start = head_end + 4;
    let (body, used) = loop {
        let available = &buffer[body_start..];
        let parsed = if chunked {
            dechunk(available)
        } else {
            (available.len() >= length).then(|| (available[..length].to_vec(), length))
        };
        if let Some(parsed) = parsed {
            break parsed;
        }
        if !fill(client, buffer).await {
            return None;
        }
    };
    buffer.drain(..body_start + used);
    upstream_head.extend_from_slice(
        format!(
            "content-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    Some(Request {
        method,
        target,
        upstream_head,
        body,
    })
}

/// Reads more bytes into `buffer`; false at the end of the stream or on an error.
async fn fill(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 64 * 1024];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => false,
        Ok(n) => {
            buffer.extend_from_slice(&chunk[..n]);
            true
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A whole chunked body at the start of `data`: the body and the bytes it took; `None` if
/// it is incomplete (or malformed, which reads as never complete until the peer closes).
fn dechunk(data: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let line_end = at + find(&data[at..], b"\r\n")?;
        let size_text = std::str::from_utf8(&data[at..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        at = line_end + 2;
        if size == 0 {
            // Trailers, then the blank line.
            let end = at + find(&data[at..], b"\r\n")?;
            if end == at {
                return Some((body, at + 2));
            }
            at = end + 2;
            while !data[at..].starts_with(b"\r\n") {
                at += find(&data[at..], b"\r\n")? + 2;
            }
            return Some((body, at + 2));
        }
        if data.len() < at + size + 2 {
            return None;
        }
        body.extend_from_slice(&data[at..at + size]);
        at += size + 2;
    }
}

/// Sends the request to the engine on a fresh connection and reads its whole answer.
pub(crate) async fn forward(upstream: SocketAddr, request: &Request) -> std::io::Result<Response> {
    let exchange = async {
        let mut engine = TcpStream::connect(upstream).await?;
        engine.set_nodelay(true)?;
        engine.write_all(&request.upstream_head).await?;
        engine.write_all(&request.body).await?;
        let mut answer = Vec::new();
        engine.read_to_end(&mut answer).await?;
        parse_response(&answer)
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "bad answer"))
    };
    // The engine answers every request it accepts; the bound only keeps a broken engine from
    // holding a test forever.
    tokio::time::timeout(Duration::from_secs(120), exchange)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "engine silent"))?
}

fn parse_response(answer: &[u8]) -> Option<Response> {
    let head_end = find(answer, b"\r\n\r\n")?;
    let head = std::str::from_utf8(&answer[..head_end]).ok()?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let status = status_line.split(' ').nth(1)?.parse().ok()?;
    let mut kept = format!("{status_line}\r\n").into_bytes();
    let mut length = None;
    let mut chunked = false;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = Some(value.trim().parse().ok()?),
            "transfer-encoding" => chunked = true,
            "connection" | "keep-alive" => {}
            _ => {
                kept.extend_from_slice(line.as_bytes());
                kept.extend_from_slice(b"\r\n");
            }
        }
    }
    let rest = &answer[head_end + 4..];
    let body = if chunked {
        dechunk(rest)?.0
    } else {
        rest[..length.unwrap_or(rest.len()).min(rest.len())].to_vec()
    };
    Some(Response {
        status,
        head: kept,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_are_joined() {
        let data = b"4\r\nWiki\r\n5;x=1\r\npedia\r\n0\r\n\r\nNEXT";
        assert_eq!(dechunk(data), Some((b"Wikipedia".to_vec(), data.len() - 4)));
        assert_eq!(dechunk(&data[..10]), None);
    }
}
