//! Full-storage snapshots (`/snapshots`): create, list, download and delete, and a second
//! engine restored from the download (`Options::storage_snapshot`, the CLI's
//! `--storage-snapshot`) holding the same collections, points and aliases.

mod common;

use common::{Server, create_dense, seed};
use qdrant_embedded::Options;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Every point of a collection, with vectors and payloads, in id order.
fn everything(server: &Server, name: &str) -> Value {
    server.ok(
        "POST",
        &format!("/collections/{name}/points/scroll"),
        Some(json!({"limit": 1000, "with_vector": true, "with_payload": true})),
    )["points"]
        .clone()
}

#[test]
fn a_full_snapshot_restores_every_collection_and_alias() {
    let server = Server::start();
    create_dense(&server, "first", "Cosine");
    seed(&server, "first", 30);
    create_dense(&server, "second", "Dot");
    seed(&server, "second", 7);
    let actions = json!({"actions": [{"create_alias": {"collection_name": "second", "alias_name": "latest"}}]});
    server.ok("POST", "/collections/aliases", Some(actions));

    let created = server.ok("POST", "/snapshots?wait=true", None);
    let name = created["name"].as_str().unwrap().to_owned();
    assert!(
        name.starts_with("full-snapshot-") && name.ends_with(".snapshot"),
        "{name}"
    );
    assert_eq!(server.ok("GET", "/snapshots", None), json!([created]));
    let (status, bytes) = server.bytes(&format!("/snapshots/{name}"));
    assert_eq!(status, 200);
    assert_eq!(created["size"], bytes.len());
    let digest: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(created["checksum"], digest);

    // A second engine, restored from the downloaded file, answers the same.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(&name);
    std::fs::write(&file, &bytes).unwrap();
    let restored = Server::start_options(Options {
        storage_snapshot: Some(file.clone()),
        ..Options::default()
    })
    .unwrap();
    let names: Vec<Value> = restored.ok("GET", "/collections", None)["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].clone())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    for collection in ["first", "second"] {
        assert_eq!(
            everything(&restored, collection),
            everything(&server, collection)
        );
    }
    assert_eq!(
        everything(&restored, "latest"),
        everything(&server, "second")
    );

    // Deleted, it is gone; names never leave the snapshot directory.
    assert_eq!(
        server.ok("DELETE", &format!("/snapshots/{name}"), None),
        json!(true)
    );
    assert_eq!(server.ok("GET", "/snapshots", None), json!([]));
    let message = server.err("DELETE", &format!("/snapshots/{name}"), None, 404);
    assert_eq!(
        message,
        format!("Not found: Snapshot file `{name}` does not exist!")
    );
    for bad in ["..", ".hidden", "%2E%2E%2Ffirst"] {
        server.err("GET", &format!("/snapshots/{bad}"), None, 404);
    }
}

#[test]
fn a_file_that_is_not_a_full_snapshot_stops_the_start_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("junk.snapshot");
    std::fs::write(&file, b"not a tar at all").unwrap();
    let refused = Server::start_options(Options {
        storage_snapshot: Some(file),
        ..Options::default()
    });
    let message = refused.err().expect("refused").to_string();
    assert!(message.contains("junk.snapshot"), "{message}");
}

#[test]
fn names_the_data_already_has_are_refused_unless_forced() {
    let source = Server::start();
    create_dense(&source, "kept", "Cosine");
    seed(&source, "kept", 5);
    let actions = json!({"actions": [{"create_alias": {"collection_name": "kept", "alias_name": "current"}}]});
    source.ok("POST", "/collections/aliases", Some(actions));
    let name = source.ok("POST", "/snapshots", None)["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, bytes) = source.bytes(&format!("/snapshots/{name}"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(&name);
    std::fs::write(&file, &bytes).unwrap();

    // An engine whose data has `kept` with other points.
    let data = tempfile::tempdir().unwrap();
    let target = Server::start_with(Some(data.path().to_owned()), None);
    create_dense(&target, "kept", "Cosine");
    seed(&target, "kept", 2);
    target.stop();
    let options = |force| Options {
        data_dir: Some(data.path().to_owned()),
        storage_snapshot: Some(file.clone()),
        force_snapshot: force,
        ..Options::default()
    };
    let refused = Server::start_options(options(false))
        .err()
        .expect("refused");
    assert!(
        refused
            .to_string()
            .contains("Collection `kept` already exists. Use --force-snapshot"),
        "{refused}"
    );
    // Nothing changed: the data still has its own two points.
    let target = Server::start_with(Some(data.path().to_owned()), None);
    assert_eq!(everything(&target, "kept").as_array().unwrap().len(), 2);
    target.stop();
    let forced = Server::start_options(options(true)).unwrap();
    assert_eq!(everything(&forced, "kept"), everything(&source, "kept"));
    assert_eq!(everything(&forced, "current"), everything(&source, "kept"));
}

#[test]
fn a_sharding_method_is_auto_or_custom() {
    let server = Server::start();
    let body = json!({"vectors": {"size": 4, "distance": "Cosine"}, "sharding_method": "Custom"});
    let message = server.err("PUT", "/collections/c", Some(body), 400);
    assert!(message.contains("unknown variant `Custom`"), "{message}");
    assert!(
        !server.ok("GET", "/collections/c/exists", None)["exists"]
            .as_bool()
            .unwrap()
    );
}
