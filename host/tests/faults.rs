//! The component's transport against a scripted fault server: which failures are retried,
//! which are not, and that timeouts fire.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Wake, Waker};
use std::time::Duration;

use qdrant_integration::types::RetryPolicy;
use qdrant_integration::{Error, QdrantClient};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with one request.
#[derive(Clone)]
enum Fault {
    /// Reads the request, then closes the connection without answering.
    Drop,
    /// Reads the request and never answers.
    Stall,
    Reply {
        status: u16,
        headers: &'static str,
        body: &'static str,
    },
}

fn reply(status: u16, body: &'static str) -> Fault {
    Fault::Reply {
        status,
        headers: "",
        body,
    }
}

const EXISTS: &str = r#"{"result":{"exists":true},"status":"ok","time":0.0}"#;
const VALIDATION: &str = r#"{"status":{"error":"Validation error in path parameters"},"time":0.0}"#;

/// Serves `script` in order, one request per connection; counts requests.
struct FaultServer {
    url: String,
    requests: Arc<AtomicUsize>,
}

impl FaultServer {
    async fn start(script: Vec<Fault>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let script = Arc::new(Mutex::new(script.into_iter()));
        let counter = requests.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let script = script.clone();
                let counter = counter.clone();
                tokio::spawn(async move {
                    serve(stream, script, counter).await;
                });
            }
        });
        Self { url, requests }
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

async fn serve(
    mut stream: TcpStream,
    script: Arc<Mutex<std::vec::IntoIter<Fault>>>,
    counter: Arc<AtomicUsize>,
) {
    if !read_request(&mut stream).await {
        return;
    }
    counter.fetch_add(1, Ordering::SeqCst);
    let fault = script
        .lock()
        .unwrap()
        .next()
        .unwrap_or(reply(500, "script exhausted"));
    match fault {
        Fault::Drop => drop(stream),
        Fault::Stall => {
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
        Fault::Reply {
            status,
            headers,
            body,
        } => {
            let head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n{headers}\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(body.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
    }
}

/// Reads one request (headers and a content-length body); false if the peer went away.
async fn read_request(stream: &mut TcpStream) -> bool {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buffer.len() >= end + 4 + length {
                return true;
            }
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

async fn client(server: &FaultServer) -> QdrantClient {
    QdrantClient::new(&server.url, None).await.unwrap()
}

#[tokio::test]
async fn dropped_connections_and_503_are_retried() {
    let server =
        FaultServer::start(vec![Fault::Drop, reply(503, "busy"), reply(200, EXISTS)]).await;
    assert!(client(&server).await.collection_exists("c").await.unwrap());
    assert_eq!(server.requests(), 3);
}

#[tokio::test]
async fn retries_are_bounded() {
    let script = vec![reply(503, "busy"); 5];
    let server = FaultServer::start(script).await;
    let got = client(&server).await.collection_exists("c").await;
    assert!(
        matches!(got, Err(Error::Server { status: 503, .. })),
        "{got:?}"
    );
    assert_eq!(server.requests(), 3, "the default policy makes 3 attempts");

    let server = FaultServer::start(vec![reply(503, "busy"); 5]).await;
    let once = client(&server).await.with_retry(RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    });
    assert!(once.collection_exists("c").await.is_err());
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn validation_errors_are_not_retried() {
    let server = FaultServer::start(vec![reply(400, VALIDATION), reply(200, EXISTS)]).await;
    let got = client(&server).await.collection_exists("c").await;
    assert_eq!(
        got,
        Err(Error::BadRequest(
            "Validation error in path parameters".into()
        ))
    );
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn a_dropped_create_is_not_resent() {
    let server = FaultServer::start(vec![Fault::Drop, reply(200, EXISTS)]).await;
    let got = client(&server).await.create_collection("c", 4, "Dot").await;
    assert!(matches!(got, Err(Error::Connection(_))), "{got:?}");
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn rate_limits_wait_for_retry_after() {
    let limited = Fault::Reply {
        status: 429,
        headers: "retry-after: 1\r\n",
        body: "",
    };
    let server = FaultServer::start(vec![limited, reply(200, EXISTS)]).await;
    let started = std::time::Instant::now();
    assert!(client(&server).await.collection_exists("c").await.unwrap());
    assert_eq!(server.requests(), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited as asked"
    );
}

#[tokio::test]
async fn a_stalled_server_times_out() {
    let server = FaultServer::start(vec![Fault::Stall, Fault::Stall]).await;
    let impatient = client(&server)
        .await
        .with_timeout(Duration::from_millis(300))
        .with_retry(RetryPolicy {
            max_attempts: 2,
            ..RetryPolicy::default()
        });
    let started = std::time::Instant::now();
    let got = impatient.collection_exists("c").await;
    assert!(matches!(got, Err(Error::Timeout(_))), "{got:?}");
    assert_eq!(server.requests(), 2, "a read timed out is retried once");
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// A keep-alive server: answers every request on a connection with `EXISTS`; after
/// `per_connection` answers it closes the connection without saying so. Counts accepts.
async fn keep_alive_server(per_connection: usize) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            stream.set_nodelay(true).unwrap();
            tokio::spawn(async move {
                for _ in 0..per_connection {
                    if !read_request(&mut stream).await {
                        return;
                    }
                    // Head and body in two segments, as a real server may send them.
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                        EXISTS.len()
                    );
                    let _ = stream.write_all(head.as_bytes()).await;
                    let _ = stream.write_all(EXISTS.as_bytes()).await;
                }
            });
        }
    });
    (url, accepted)
}

/// Passes wakes on to the polling task and counts them.
struct CountingWaker {
    wakes: Arc<AtomicUsize>,
    task: Waker,
}

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
        self.task.wake_by_ref();
    }
}

/// Runs `call`, polled with wakers that count its task's wakes into `wakes`.
async fn counting_wakes<F: Future>(call: F, wakes: &Arc<AtomicUsize>) -> F::Output {
    let mut call = std::pin::pin!(call);
    std::future::poll_fn(|cx| {
        let waker = Waker::from(Arc::new(CountingWaker {
            wakes: wakes.clone(),
            task: cx.waker().clone(),
        }));
        call.as_mut().poll(&mut Context::from_waker(&waker))
    })
    .await
}

// An idle pooled connection must not keep the waker of the call that used it last: the
// next request on it would wake that task (a spurious poll, or a yield if it is running).
#[tokio::test]
async fn a_pooled_connection_does_not_wake_its_last_user() {
    let (url, accepted) = keep_alive_server(usize::MAX).await;
    let client = QdrantClient::new(&url, None).await.unwrap();
    let first = Arc::new(AtomicUsize::new(0));
    assert!(
        counting_wakes(client.collection_exists("c"), &first)
            .await
            .unwrap()
    );
    let woken_by_first = first.load(Ordering::SeqCst);
    let second = Arc::new(AtomicUsize::new(0));
    assert!(
        counting_wakes(client.collection_exists("c"), &second)
            .await
            .unwrap()
    );
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "the connection was not reused"
    );
    assert_eq!(
        first.load(Ordering::SeqCst),
        woken_by_first,
        "the second call woke the first one's task"
    );
}

// Multi-threaded: a connection's task may still be finishing an exchange on another
// thread when the next call takes it from the pool; that call must wait for it, not
// close it and connect again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_reused_across_calls() {
    let (url, accepted) = keep_alive_server(usize::MAX).await;
    let client = QdrantClient::new(&url, None).await.unwrap();
    for _ in 0..300 {
        assert!(client.collection_exists("c").await.unwrap());
    }
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "one connection for 300 calls"
    );
}

#[tokio::test]
async fn a_connection_closed_by_the_server_is_replaced_transparently() {
    // Every connection serves one answer, then the server drops it silently: each pooled
    // connection is stale by the next call, which must reconnect without an error, even
    // for a create (never retried by the component).
    let (url, accepted) = keep_alive_server(1).await;
    let client = QdrantClient::new(&url, None)
        .await
        .unwrap()
        .with_retry(RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        });
    for i in 0..10 {
        assert!(client.collection_exists("c").await.unwrap());
        // Half the time the close has reached the pooled connection before the next call
        // (it is discarded), half the time not (the send fails and is redone).
        if i % 2 == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // The server answers anything with a Qdrant envelope, which a create accepts.
    client.create_collection("c", 4, "Dot").await.unwrap();
    assert_eq!(accepted.load(Ordering::SeqCst), 11);
}
