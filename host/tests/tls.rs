//! https through the host's pooled client: TLS with rustls, HTTP/2 chosen by ALPN, and a
//! private CA trusted through `SSL_CERT_FILE` (the system roots), as a self-hosted Qdrant
//! behind its own CA needs. The CLI runs in a child process because the TLS configuration,
//! with its roots, is built once per process.

use std::convert::Infallible;
use std::process::Command;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, pki_types};

/// A CA, and a server certificate for `localhost` that it signed.
struct Pki {
    ca_pem: String,
    server_chain: Vec<pki_types::CertificateDer<'static>>,
    server_key: pki_types::PrivateKeyDer<'static>,
}

fn private_pki() -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&server_key, &issuer)
        .unwrap();
    Pki {
        ca_pem: ca.pem(),
        server_chain: vec![server.der().clone()],
        server_key: pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
    }
}

/// An https server that speaks only HTTP/2 and answers every request like Qdrant's `GET /`.
/// Returns its port and the HTTP versions of the requests it served.
async fn start_h2_server(pki: &Pki) -> (u16, Arc<Mutex<Vec<http::Version>>>) {
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(pki.server_chain.clone(), pki.server_key.clone_key())
    .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let versions = Arc::new(Mutex::new(Vec::new()));
    let seen = versions.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                // A client that does not trust the CA fails here; that is a test case.
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = service_fn(move |request: http::Request<_>| {
                    seen.lock().unwrap().push(request.version());
                    let body = r#"{"title":"qdrant - vector search engine","version":"1.18.0"}"#;
                    async move {
                        Ok::<_, Infallible>(
                            http::Response::builder()
                                .header("content-type", "application/json")
                                .body(Full::new(Bytes::from_static(body.as_bytes())))
                                .unwrap(),
                        )
                    }
                });
                let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (port, versions)
}

fn health_check(url: &str, ssl_cert_file: Option<&std::path::Path>) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_qdrant-integration"));
    command
        .args(["health-check", "--url", url])
        .env_remove("QDRANT_API_KEY")
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR");
    if let Some(file) = ssl_cert_file {
        command.env("SSL_CERT_FILE", file);
    }
    command.output().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn https_over_http2_with_a_private_ca() {
    let pki = private_pki();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &pki.ca_pem).unwrap();
    let (port, versions) = start_h2_server(&pki).await;
    let url = format!("https://localhost:{port}");

    // The CA is trusted through SSL_CERT_FILE: the call succeeds, over HTTP/2.
    let trusted = tokio::task::spawn_blocking({
        let url = url.clone();
        move || health_check(&url, Some(&ca_file))
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&trusted.stdout);
    assert!(
        trusted.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&trusted.stderr)
    );
    assert!(stdout.contains("1.18.0"), "{stdout}");
    let served = versions.lock().unwrap().clone();
    assert!(!served.is_empty());
    assert!(
        served.iter().all(|v| *v == http::Version::HTTP_2),
        "{served:?}"
    );

    // Without it the certificate is unknown: the server counts as unreachable (exit 3),
    // and nothing was served.
    versions.lock().unwrap().clear();
    let untrusted = tokio::task::spawn_blocking(move || health_check(&url, None))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&untrusted.stdout);
    assert_eq!(untrusted.status.code(), Some(3), "{stdout}");
    assert!(stdout.to_lowercase().contains("certificate"), "{stdout}");
    assert!(versions.lock().unwrap().is_empty());
}
