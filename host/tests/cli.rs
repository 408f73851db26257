//! The binary's exit codes and output, as scripts see them.

use std::process::Command;

use qdrant_integration::embedded::{EmbeddedServer, Options};

fn cli() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_qdrant-integration"));
    command
        .env_remove("QDRANT_URL")
        .env_remove("QDRANT_API_KEY");
    command
}

// Multi-threaded: the test blocks on the child process while the server must keep serving.
#[tokio::test(flavor = "multi_thread")]
async fn health_check_reports_up_and_down() {
    let server = EmbeddedServer::start(Options::default()).await.unwrap();
    for args in [vec!["health-check"], vec!["--health-check"]] {
        let out = cli()
            .args(&args)
            .arg("--url")
            .arg(server.url())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.starts_with("ok: qdrant"), "{stdout}");
    }
    server.shutdown().await;

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = cli()
        .args(["health-check", "--url", &format!("http://127.0.0.1:{port}")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("down:"));
}

#[test]
fn demo_runs_on_the_embedded_engine() {
    let out = cli().output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("(embedded engine)"), "{stdout}");
    assert!(stdout.contains("ID: doc1"), "{stdout}");
    assert!(
        !stdout.contains("ID: doc4"),
        "the category filter let news through: {stdout}"
    );
}
