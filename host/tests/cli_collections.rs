//! The `collections` and `snapshot` commands, against the embedded engine: create, list,
//! info and delete; snapshot create, list, restore (by name, `file://` or a path), delete.
//!
//! Multi-threaded runtimes throughout: a test blocks on the child process while the server
//! (on the same runtime) must keep serving.

#[path = "common/cli.rs"]
mod cli;

use cli::{expect_code, json_of, ok, point_line, points_count, run, stderr, write_jsonl};
use qdrant_embedded::{EmbeddedServer, Options};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn collections_create_list_info_delete() {
    let server = EmbeddedServer::start(Options::default()).await.unwrap();
    let url = server.url();

    let out = ok(run(
        &url,
        &[
            "collections",
            "create",
            "plain",
            "--size",
            "4",
            "--distance",
            "dot",
        ],
    ));
    assert!(out.contains("created collection `plain`"), "{out}");
    ok(run(
        &url,
        &[
            "collections",
            "create",
            "hybrid",
            "--named",
            "text:8:Cosine",
            "--named",
            "image:3",
            "--distance",
            "Euclid",
            "--sparse",
            "bm25:idf",
        ],
    ));

    // Creating it again fails (1) and says what to do.
    let out = run(&url, &["collections", "create", "plain", "--size", "4"]);
    expect_code(&out, 1);
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));

    let listed = ok(run(&url, &["collections", "list"]));
    assert_eq!(listed.lines().collect::<Vec<_>>(), ["hybrid", "plain"]);
    assert_eq!(
        json_of(run(&url, &["collections", "list", "--json"])),
        json!(["hybrid", "plain"])
    );

    let info = ok(run(&url, &["collections", "info", "plain"]));
    assert!(info.contains("status: green"), "{info}");
    assert!(info.contains("points: 0"), "{info}");
    assert!(info.contains("4 dims"), "{info}");
    assert!(info.contains("Dot"), "{info}");
    assert!(info.contains("payload schema:"), "{info}");

    let info = json_of(run(&url, &["collections", "info", "hybrid", "--json"]));
    assert_eq!(info["name"], "hybrid");
    assert_eq!(info["points_count"], 0);
    let mut vectors: Vec<(String, u64, String)> = info["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap().to_owned(),
                v["size"].as_u64().unwrap(),
                v["distance"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    vectors.sort();
    assert_eq!(
        vectors,
        [
            ("image".to_owned(), 3, "Euclid".to_owned()),
            ("text".to_owned(), 8, "Cosine".to_owned())
        ]
    );
    assert_eq!(
        info["sparse_vectors"],
        json!([{"name": "bm25", "modifier": "idf"}])
    );
    assert!(info["config"].is_object(), "{info}");

    ok(run(&url, &["collections", "delete", "plain"]));
    assert_eq!(
        json_of(run(&url, &["collections", "list", "--json"])),
        json!(["hybrid"])
    );

    // Not found: 1, with the way out in the message.
    let out = run(&url, &["collections", "info", "plain"]);
    expect_code(&out, 1);
    assert!(
        stderr(&out).contains("collection `plain` does not exist"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("collections create plain --size"),
        "{}",
        stderr(&out)
    );
    expect_code(&run(&url, &["collections", "delete", "plain"]), 1);
    ok(run(
        &url,
        &["collections", "delete", "plain", "--missing-ok"],
    ));

    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn snapshot_create_list_restore_round_trip() {
    let data = tempfile::tempdir().unwrap();
    let server = EmbeddedServer::start(Options {
        data_dir: Some(data.path().to_owned()),
        ..Options::default()
    })
    .await
    .unwrap();
    let url = server.url();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("points.jsonl");
    write_jsonl(&file, (0..20).map(|i| point_line(i, 4)));
    ok(run(
        &url,
        &["ingest", file.to_str().unwrap(), "-c", "snap", "--create"],
    ));

    let snapshot = json_of(run(&url, &["snapshot", "create", "-c", "snap", "--json"]));
    let name = snapshot["name"].as_str().unwrap().to_owned();
    assert!(snapshot["size"].as_u64().unwrap() > 0, "{snapshot}");

    let listed = json_of(run(&url, &["snapshot", "list", "-c", "snap", "--json"]));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["name"], name.as_str());
    let table = ok(run(&url, &["snapshot", "list", "-c", "snap"]));
    assert!(table.starts_with("NAME"), "{table}");
    assert!(table.contains(&name), "{table}");

    // Change the collection, then restore it by name.
    write_jsonl(&file, (20..25).map(|i| point_line(i, 4)));
    ok(run(&url, &["ingest", file.to_str().unwrap(), "-c", "snap"]));
    assert_eq!(points_count(&url, "snap"), 25);
    let out = ok(run(&url, &["snapshot", "restore", &name, "-c", "snap"]));
    assert!(out.contains("restored `snap`"), "{out}");
    assert_eq!(points_count(&url, "snap"), 20);

    // From a file:// location into a new collection; a path works too.
    let path = data.path().join("snapshots").join("snap").join(&name);
    assert!(path.is_file(), "{}", path.display());
    ok(run(
        &url,
        &[
            "snapshot",
            "restore",
            &format!("file://{}", path.display()),
            "-c",
            "copy",
        ],
    ));
    assert_eq!(points_count(&url, "copy"), 20);
    ok(run(
        &url,
        &["snapshot", "restore", path.to_str().unwrap(), "-c", "copy2"],
    ));
    assert_eq!(points_count(&url, "copy2"), 20);

    // Unknown snapshots fail with 1 and point at `snapshot list`.
    let out = run(
        &url,
        &["snapshot", "restore", "nope.snapshot", "-c", "snap"],
    );
    expect_code(&out, 1);
    assert!(stderr(&out).contains("snapshot list"), "{}", stderr(&out));

    ok(run(&url, &["snapshot", "delete", &name, "-c", "snap"]));
    assert_eq!(
        json_of(run(&url, &["snapshot", "list", "-c", "snap", "--json"])),
        json!([])
    );
    expect_code(&run(&url, &["snapshot", "delete", &name, "-c", "snap"]), 1);

    server.shutdown().await;
}
