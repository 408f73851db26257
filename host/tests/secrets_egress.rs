//! The api-key is sent to the configured origin only: never along a redirect, never to a
//! server a snapshot restore fetches from. The component has no way to read a file or open
//! a socket of its own. Where the key must not show: `secrets.rs`.
//!
//! Raw TCP listeners (`common/raw_http.rs`) capture what reaches other origins; logs are
//! captured as in `secrets.rs` (`common/secrets.rs`).

#[path = "common/raw_http.rs"]
mod raw_http;
#[path = "common/secrets.rs"]
mod secrets;

use qdrant_embedded::{EmbeddedServer, Options};
use qdrant_integration::{COMPONENT_WASI_HTTP_WASM, COMPONENT_WASM, Error, QdrantClient};
use raw_http::{HEALTH, RawServer, Reply, Request, json};
use secrets::{
    BUILDS, assert_error_keeps, assert_logs_keep, capture_logs, leaks, scripted_client,
    skip_known_bug,
};

// ---- the key goes to its origin only --------------------------------------------------

/// Redirects to every other spelling of an origin (another port, `localhost` for
/// `127.0.0.1`, `[::1]`, another scheme) are never followed: the other origins see no
/// connection at all, and the configured one sees each call once, with its key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_never_followed_to_any_origin() {
    capture_logs();
    const KEY: &str = "sk-redirect-canary-5e1b7c3a9d2f4e6b8a0c";
    let other_port = RawServer::recorder("127.0.0.1:0").await;
    let ipv6 = RawServer::recorder("[::1]:0").await;
    // The configured server answers `/collections/{i}/exists` with the i-th redirect; its
    // own port is known only once it listens, so the locations name it through a cell.
    let own_port = std::sync::Arc::new(std::sync::OnceLock::<u16>::new());
    let port = own_port.clone();
    let (p2, p6) = (other_port.addr.port(), ipv6.addr.port());
    let locations = move |i: usize| -> (u16, String) {
        let p = *port.get().unwrap();
        match i {
            0 => (301, format!("http://localhost:{p}/collections/c/exists")),
            1 => (302, format!("http://127.0.0.1:{p2}/collections/c/exists")),
            2 => (303, format!("http://localhost:{p2}/collections/c/exists")),
            3 => (307, format!("http://[::1]:{p6}/collections/c/exists")),
            4 => (308, format!("https://127.0.0.1:{p}/collections/c/exists")),
            5 => (307, format!("http://127.0.0.1:{p}/collections/c/exists")),
            _ => (302, format!("http://127.0.0.1:{p}/")),
        }
    };
    const REDIRECTS: usize = 7;
    let origin = RawServer::start("127.0.0.1:0", move |r: &Request| {
        if r.path() == "/" {
            return json(200, HEALTH);
        }
        let i: usize = r.path().split('/').nth(2).unwrap().parse().unwrap();
        let (status, location) = locations(i);
        Reply::Full {
            status,
            headers: format!("location: {location}\r\n"),
            body: b"moved".to_vec(),
        }
    })
    .await;
    own_port.set(origin.addr.port()).unwrap();

    // Configured as 127.0.0.1, and as `localhost` (the same socket, another origin).
    let localhost_url = format!("http://localhost:{}", origin.addr.port());
    for url in [origin.url.as_str(), localhost_url.as_str()] {
        for outbound in BUILDS {
            let client = scripted_client(url, KEY, outbound).await;
            for i in 0..REDIRECTS {
                let before = origin.requests().len();
                let got = client.collection_exists(&i.to_string()).await;
                let Err(error) = &got else {
                    panic!("{url} {outbound:?} redirect {i}: {got:?}");
                };
                assert!(
                    matches!(
                        error,
                        Error::Server {
                            status: 301..=308,
                            ..
                        }
                    ),
                    "{url} {outbound:?} redirect {i}: {error:?}"
                );
                assert_error_keeps("a redirect", error, KEY);
                let requests = origin.requests();
                assert_eq!(
                    requests.len(),
                    before + 1,
                    "{url} {outbound:?} redirect {i} was followed (or resent)"
                );
                // The key went to the configured origin: the test can tell it apart.
                assert_eq!(requests[before].header("api-key"), Some(KEY));
            }
            // The client still works after all that.
            assert_eq!(
                client.server_info().await.unwrap().version,
                "1.18.0-scripted"
            );
        }
    }
    assert_eq!(other_port.connections(), 0, "another port was contacted");
    assert_eq!(ipv6.connections(), 0, "[::1] was contacted");
    assert_logs_keep(&[KEY]);
}

/// A restore from a URL is fetched by the server, from wherever it points: the server
/// must not pass the key on. Captured at each other origin: `127.0.0.1` and `localhost`
/// on another port, and `[::1]`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_restore_from_another_origin_gets_no_api_key() {
    capture_logs();
    const KEY: &str = "sk-restore-canary-0c9d8e7f6a5b4c3d2e1f";
    let server = EmbeddedServer::start(Options {
        api_key: Some(KEY.into()),
        ..Options::default()
    })
    .await
    .unwrap();
    for outbound in BUILDS {
        let client = QdrantClient::new(&server.url(), Some(KEY))
            .await
            .unwrap()
            .with_outbound(outbound);
        let name = format!("secrets_restore_{outbound:?}");
        let _ = client.delete_collection(&name).await;
        client.create_collection(&name, 4, "Dot").await.unwrap();
        let other_port = RawServer::recorder("127.0.0.1:0").await;
        let ipv6 = RawServer::recorder("[::1]:0").await;
        let file = format!("/collections/{name}/snapshots/{name}-elsewhere.snapshot");
        let p2 = other_port.addr.port();
        for (location, listener) in [
            (format!("http://127.0.0.1:{p2}{file}"), &other_port),
            (format!("http://localhost:{p2}{file}"), &other_port),
            (format!("{}{file}", ipv6.url), &ipv6),
        ] {
            let before = listener.requests().len();
            let got = client.restore_snapshot(&name, &location).await;
            let Err(error) = &got else {
                panic!("{location}: restored from nothing? {got:?}");
            };
            assert!(
                matches!(error, Error::BadRequest(m) if m.contains("HTTP status 404")),
                "{location}: {error:?}"
            );
            assert_error_keeps("a restore", error, KEY);
            let requests = listener.requests();
            assert_eq!(requests.len(), before + 1, "{location} was not fetched");
            let fetch = &requests[before];
            assert_eq!(fetch.target, file);
            assert_eq!(fetch.header("api-key"), None, "{location}: {}", fetch.head);
            assert!(!leaks(&fetch.head, KEY), "{location}: {}", fetch.head);
            assert!(!leaks(&String::from_utf8_lossy(&fetch.body), KEY));
        }
        // Nothing was restored over the collection.
        assert_eq!(client.count(&name, None, true).await.unwrap(), 0);
        client.delete_collection(&name).await.unwrap();
    }
    server.shutdown().await;
    assert_logs_keep(&[KEY]);
}

/// A client configured with an IPv6 literal reaches it.
#[tokio::test]
async fn an_ipv6_origin_is_reachable() {
    if skip_known_bug("an IPv6 literal origin") {
        return;
    }
    let server = RawServer::start("[::1]:0", |_| json(200, HEALTH)).await;
    for outbound in BUILDS {
        let client = scripted_client(&server.url, "sk-ipv6-canary-0123456789", outbound).await;
        let info = client.server_info().await;
        assert!(
            matches!(&info, Ok(i) if i.version == "1.18.0-scripted"),
            "{} {outbound:?}: {info:?}",
            server.url
        );
    }
}

// ---- the component has no way out of its own ------------------------------------------

/// The import names of a component build.
fn imports(wasm: &[u8]) -> Vec<String> {
    let mut config = wasmtime::Config::new();
    config.cranelift_opt_level(wasmtime::OptLevel::None);
    let engine = wasmtime::Engine::new(&config).unwrap();
    let component = wasmtime::component::Component::new(&engine, wasm).unwrap();
    let ty = component.component_type();
    ty.imports(&engine)
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// Neither build imports a filesystem or sockets: whatever a host links, the component
/// cannot open a file or a connection. Its only ways out are the host's `http-transport`
/// (the default build) or `wasi:http` (the `retriever` build), both policed by the host.
/// Its other imports are std's: clocks, random seed, stdio and `wasi:cli/environment`, which
/// the hosts grant empty (no variables, no arguments, no preopened directories).
#[test]
fn the_component_imports_no_filesystem_sockets_or_other_way_out() {
    let allowed = |import: &str, extra: &[&str]| {
        ["wasi:cli/", "wasi:clocks/", "wasi:io/", "wasi:random/"]
            .iter()
            .chain(extra)
            .any(|prefix| import.starts_with(prefix))
    };
    for (build, wasm, way_out, extra) in [
        (
            "retriever-hosted",
            COMPONENT_WASM,
            "qdrant:retriever/http-transport@",
            &[
                "qdrant:retriever/http-transport@",
                "qdrant:retriever/types@",
            ][..],
        ),
        (
            "retriever",
            COMPONENT_WASI_HTTP_WASM,
            "wasi:http/outgoing-handler@",
            &[
                "wasi:http/outgoing-handler@",
                "wasi:http/types@",
                "qdrant:retriever/types@",
            ][..],
        ),
    ] {
        let imports = imports(wasm);
        assert!(
            imports.iter().any(|i| i.starts_with(way_out)),
            "{build}: no {way_out} in {imports:?}"
        );
        for import in &imports {
            assert!(
                !import.starts_with("wasi:filesystem") && !import.starts_with("wasi:sockets"),
                "{build} imports {import}"
            );
            assert!(
                allowed(import, extra),
                "{build} imports {import}, a new capability"
            );
        }
        if build == "retriever-hosted" {
            assert!(
                !imports.iter().any(|i| i.starts_with("wasi:http")),
                "{build}: {imports:?}"
            );
        }
        println!("{build}: {}", imports.join(", "));
    }
}
