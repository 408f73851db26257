//! The embedded server over real HTTP, as a Qdrant client drives it: collection snapshots
//! created, listed, downloaded, deleted and recovered.

mod common;

use common::{Server, create_dense, seed};
use serde_json::json;

#[test]
fn snapshots_create_download_recover() {
    let s = Server::start();
    create_dense(&s, "snap", "Cosine");
    seed(&s, "snap", 12);
    s.ok(
        "PUT",
        "/collections/snap/index?wait=true",
        Some(json!({"field_name": "parity", "field_schema": "keyword"})),
    );
    let d = s.ok("POST", "/collections/snap/snapshots?wait=true", None);
    let name = d["name"].as_str().unwrap().to_owned();
    assert!(
        name.starts_with("snap-") && name.ends_with(".snapshot"),
        "{name}"
    );
    assert!(d["size"].as_u64().unwrap() > 0);
    assert_eq!(d["checksum"].as_str().unwrap().len(), 64);
    assert!(d["creation_time"].is_string());
    let list = s.ok("GET", "/collections/snap/snapshots", None);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["name"], name);

    let (status, bytes) = s.bytes(&format!("/collections/snap/snapshots/{name}"));
    assert_eq!(status, 200);
    assert_eq!(bytes.len() as u64, d["size"].as_u64().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("copy.snapshot");
    std::fs::write(&file, &bytes).unwrap();

    // Changes after the snapshot are undone by recovering.
    s.ok(
        "POST",
        "/collections/snap/points/delete?wait=true",
        Some(json!({"points": [1, 2, 3]})),
    );
    let location = format!("{}/collections/snap/snapshots/{name}", s.url);
    s.ok(
        "PUT",
        "/collections/snap/snapshots/recover",
        Some(json!({"location": location})),
    );
    assert_eq!(s.ok("GET", "/collections/snap", None)["points_count"], 12);

    // Delete the collection, recover from the downloaded file into it and into a new name.
    s.ok("DELETE", "/collections/snap", None);
    s.err("GET", "/collections/snap", None, 404);
    s.ok(
        "PUT",
        "/collections/snap/snapshots/recover",
        Some(json!({"location": format!("file://{}", file.display()), "checksum": d["checksum"]})),
    );
    let info = s.ok("GET", "/collections/snap", None);
    assert_eq!(info["points_count"], 12);
    assert_eq!(info["payload_schema"]["parity"]["data_type"], "keyword");
    assert_eq!(
        s.ok("GET", "/collections/snap/points/5", None)["payload"]["n"],
        5
    );
    s.ok(
        "PUT",
        "/collections/copy/snapshots/recover",
        Some(json!({"location": format!("file://{}", file.display())})),
    );
    let r = s.ok(
        "POST",
        "/collections/copy/points/query",
        Some(json!({"query": [1.0, 0.0, 0.5, 1.0], "limit": 3})),
    );
    assert_eq!(r["points"].as_array().unwrap().len(), 3);

    // Snapshot errors.
    s.err(
        "PUT",
        "/collections/x/snapshots/recover",
        Some(json!({"location": format!("file://{}", file.display()), "checksum": "00"})),
        400,
    );
    s.err(
        "PUT",
        "/collections/x/snapshots/recover",
        Some(json!({"location": "file:///definitely/not/here.snapshot"})),
        404,
    );
    // Malformed file:// URIs are refused before the disk is touched.
    let inside = file.display().to_string();
    for location in [
        format!("file://otherhost{inside}"),
        "file://relative/path.snapshot".to_owned(),
        format!(
            "file://{}/../{}",
            file.parent().unwrap().display(),
            file.file_name().unwrap().to_string_lossy()
        ),
        format!("file://{inside}?x=1"),
        format!("file://{}", inside.replace('/', "/%2E%2E/")),
    ] {
        let message = s.err(
            "PUT",
            "/collections/x/snapshots/recover",
            Some(json!({"location": location})),
            400,
        );
        assert!(
            message.starts_with("Bad request: Invalid snapshot URI"),
            "{location}: {message}"
        );
    }
    // `localhost` is this machine.
    s.ok(
        "PUT",
        "/collections/via_localhost/snapshots/recover?wait=true",
        Some(json!({"location": format!("file://localhost{inside}")})),
    );
    assert_eq!(
        s.ok("GET", "/collections/via_localhost", None)["points_count"],
        12
    );
    s.err("GET", "/collections/x", None, 404);
    s.err(
        "GET",
        "/collections/snap/snapshots/none.snapshot",
        None,
        404,
    );
    s.err("POST", "/collections/nope/snapshots", None, 404);
    // Recovery replaced the collection; the snapshot files stayed.
    assert_eq!(
        s.ok(
            "DELETE",
            &format!("/collections/snap/snapshots/{name}"),
            None
        ),
        json!(true)
    );
    assert_eq!(s.ok("GET", "/collections/snap/snapshots", None), json!([]));
    s.err(
        "DELETE",
        &format!("/collections/snap/snapshots/{name}"),
        None,
        404,
    );
    s.stop();
}
