//! The embedded server over real HTTP, as a Qdrant client drives it: collections (create,
//! info, update, delete), payload indexes and aliases.

mod common;

use common::{Server, create_dense, seed};
use serde_json::json;

#[test]
fn collections_lifecycle_and_info() {
    let s = Server::start();
    assert_eq!(
        s.ok("GET", "/collections", None),
        json!({"collections": []})
    );
    s.ok(
        "PUT",
        "/collections/full",
        Some(json!({
            "vectors": {"size": 4, "distance": "Cosine", "on_disk": true},
            "shard_number": 2, "replication_factor": 1, "write_consistency_factor": 1,
            "on_disk_payload": false,
            "hnsw_config": {"m": 8, "ef_construct": 64},
            "optimizers_config": {"indexing_threshold": 20000, "default_segment_number": 2},
            "wal_config": {"wal_capacity_mb": 4},
            "quantization_config": {"scalar": {"type": "int8", "quantile": 0.99, "always_ram": true}}
        })),
    );
    let info = s.ok("GET", "/collections/full", None);
    assert_eq!(info["status"], "green");
    assert_eq!(info["optimizer_status"], "ok");
    assert_eq!(info["points_count"], 0);
    assert!(info["segments_count"].as_u64().unwrap() >= 1);
    let config = &info["config"];
    assert_eq!(config["params"]["vectors"]["size"], 4);
    assert_eq!(config["params"]["vectors"]["distance"], "Cosine");
    assert_eq!(config["params"]["vectors"]["on_disk"], true);
    assert_eq!(config["params"]["shard_number"], 2);
    assert_eq!(config["params"]["on_disk_payload"], false);
    assert_eq!(config["hnsw_config"]["m"], 8);
    assert_eq!(config["hnsw_config"]["ef_construct"], 64);
    assert_eq!(config["hnsw_config"]["full_scan_threshold"], 10000);
    assert_eq!(config["optimizer_config"]["indexing_threshold"], 20000);
    assert_eq!(config["optimizer_config"]["deleted_threshold"], 0.2);
    assert_eq!(config["wal_config"]["wal_capacity_mb"], 4);
    assert_eq!(config["quantization_config"]["scalar"]["type"], "int8");
    assert_eq!(info["payload_schema"], json!({}));

    // Named dense vectors with all distances, and a sparse vector with IDF.
    s.ok(
        "PUT",
        "/collections/named",
        Some(json!({
            "vectors": {
                "a": {"size": 3, "distance": "Dot"},
                "b": {"size": 2, "distance": "Euclid", "hnsw_config": {"m": 4}},
                "c": {"size": 2, "distance": "Manhattan"}
            },
            "sparse_vectors": {"text": {"modifier": "idf"}, "plain": {}}
        })),
    );
    let info = s.ok("GET", "/collections/named", None);
    let params = &info["config"]["params"];
    assert_eq!(params["vectors"]["a"]["distance"], "Dot");
    assert_eq!(params["vectors"]["b"]["distance"], "Euclid");
    assert_eq!(params["vectors"]["b"]["hnsw_config"], json!({"m": 4}));
    assert_eq!(params["vectors"]["c"]["distance"], "Manhattan");
    assert_eq!(params["sparse_vectors"]["text"]["modifier"], "idf");
    assert_eq!(params["sparse_vectors"]["plain"], json!({}));

    // Errors.
    let m = s.err(
        "PUT",
        "/collections/full",
        Some(json!({"vectors": {"size": 4, "distance": "Cosine"}})),
        409,
    );
    assert!(m.contains("already exists"), "{m}");
    let m = s.err("GET", "/collections/nope", None, 404);
    assert_eq!(m, "Not found: Collection `nope` doesn't exist!");
    s.err(
        "PUT",
        "/collections/zero",
        Some(json!({"vectors": {"size": 0, "distance": "Cosine"}})),
        422,
    );
    s.err(
        "PUT",
        "/collections/bad",
        Some(json!({"vectors": {"size": 4, "distance": "Hamming"}})),
        400,
    );
    let (status, body) = s.raw("PUT", "/collections/bad", Some("{not json".into()));
    assert_eq!(status, 400);
    assert!(
        body["status"]["error"]
            .as_str()
            .unwrap()
            .starts_with("Json deserialize error:")
    );
    assert_eq!(
        s.ok("GET", "/collections/full/exists", None),
        json!({"exists": true})
    );
    assert_eq!(
        s.ok("GET", "/collections/nope/exists", None),
        json!({"exists": false})
    );

    // PATCH: hnsw, optimizers, quantization on and off, per-vector params.
    s.ok(
        "PATCH",
        "/collections/full",
        Some(json!({
            "hnsw_config": {"m": 32},
            "optimizers_config": {"indexing_threshold": 5000},
            "quantization_config": {"binary": {"always_ram": true}},
            "params": {"replication_factor": 2}
        })),
    );
    let info = s.ok("GET", "/collections/full", None);
    assert_eq!(info["config"]["hnsw_config"]["m"], 32);
    assert_eq!(info["config"]["hnsw_config"]["ef_construct"], 64);
    assert_eq!(
        info["config"]["optimizer_config"]["indexing_threshold"],
        5000
    );
    assert_eq!(
        info["config"]["optimizer_config"]["default_segment_number"],
        2
    );
    assert!(info["config"]["quantization_config"]["binary"].is_object());
    assert_eq!(info["config"]["params"]["replication_factor"], 2);
    s.ok(
        "PATCH",
        "/collections/full",
        Some(json!({"quantization_config": "Disabled"})),
    );
    let info = s.ok("GET", "/collections/full", None);
    assert!(info["config"]["quantization_config"].is_null(), "{info}");
    s.ok(
        "PATCH",
        "/collections/named",
        Some(json!({"vectors": {"a": {"on_disk": true, "hnsw_config": {"ef_construct": 50}}}})),
    );
    let info = s.ok("GET", "/collections/named", None);
    assert_eq!(info["config"]["params"]["vectors"]["a"]["on_disk"], true);
    assert_eq!(
        info["config"]["params"]["vectors"]["a"]["hnsw_config"]["ef_construct"],
        50
    );
    s.err(
        "PATCH",
        "/collections/named",
        Some(json!({"vectors": {"zzz": {"on_disk": true}}})),
        400,
    );
    s.err("PATCH", "/collections/nope", Some(json!({})), 404);

    let names = s.ok("GET", "/collections", None);
    assert_eq!(
        names,
        json!({"collections": [{"name": "full"}, {"name": "named"}]})
    );
    assert_eq!(s.ok("DELETE", "/collections/full", None), json!(true));
    assert_eq!(s.ok("DELETE", "/collections/full", None), json!(false));
    s.err("GET", "/collections/full", None, 404);
    s.stop();
}

#[test]
fn payload_indexes() {
    let s = Server::start();
    create_dense(&s, "i", "Euclid");
    seed(&s, "i", 10);
    for (field, schema) in [
        ("parity", json!("keyword")),
        (
            "n",
            json!({"type": "integer", "range": true, "lookup": true}),
        ),
        ("nested.x", json!("float")),
        ("flag", json!("bool")),
        ("loc", json!("geo")),
        ("when", json!("datetime")),
        (
            "body",
            json!({"type": "text", "tokenizer": "word", "lowercase": true}),
        ),
        ("ref", json!("uuid")),
    ] {
        let r = s.ok(
            "PUT",
            "/collections/i/index?wait=true",
            Some(json!({"field_name": field, "field_schema": schema})),
        );
        assert_eq!(r["status"], "completed");
    }
    let schema = s.ok("GET", "/collections/i", None)["payload_schema"].clone();
    assert_eq!(schema["parity"]["data_type"], "keyword");
    assert_eq!(schema["parity"]["points"], 10);
    assert_eq!(schema["n"]["data_type"], "integer");
    assert_eq!(schema["nested.x"]["data_type"], "float");
    assert_eq!(schema["body"]["data_type"], "text");
    assert_eq!(schema["ref"]["data_type"], "uuid");
    assert_eq!(schema.as_object().unwrap().len(), 8);
    // Filtering uses the index and still selects the right points.
    let c = s.ok(
        "POST",
        "/collections/i/points/count",
        Some(json!({"filter": {"must": [{"key": "parity", "match": {"value": "odd"}}]}})),
    );
    assert_eq!(c["count"], 5);
    s.ok("DELETE", "/collections/i/index/parity?wait=true", None);
    let schema = s.ok("GET", "/collections/i", None)["payload_schema"].clone();
    assert!(schema.get("parity").is_none());
    s.err(
        "PUT",
        "/collections/i/index",
        Some(json!({"field_name": "x", "field_schema": "nonsense"})),
        400,
    );
    s.err(
        "PUT",
        "/collections/nope/index",
        Some(json!({"field_name": "x", "field_schema": "keyword"})),
        404,
    );
    s.stop();
}

#[test]
fn aliases() {
    let s = Server::start();
    create_dense(&s, "a1", "Cosine");
    create_dense(&s, "a2", "Cosine");
    seed(&s, "a1", 3);
    s.ok(
        "POST",
        "/collections/aliases",
        Some(json!({"actions": [
            {"create_alias": {"collection_name": "a1", "alias_name": "current"}},
            {"create_alias": {"collection_name": "a2", "alias_name": "other"}}
        ]})),
    );
    let all = s.ok("GET", "/aliases", None);
    assert_eq!(all["aliases"].as_array().unwrap().len(), 2);
    assert_eq!(
        s.ok("GET", "/collections/a1/aliases", None),
        json!({"aliases": [{"alias_name": "current", "collection_name": "a1"}]})
    );
    // The alias works wherever a collection name does.
    assert_eq!(s.ok("GET", "/collections/current", None)["points_count"], 3);
    assert_eq!(
        s.ok("GET", "/collections/current/exists", None),
        json!({"exists": true})
    );
    seed(&s, "current", 5);
    let r = s.ok(
        "POST",
        "/collections/current/points/query",
        Some(json!({"query": [1.0, 0.0, 0.5, 0.0], "limit": 100})),
    );
    assert_eq!(r["points"].as_array().unwrap().len(), 5);
    // Switch the alias atomically, rename, delete.
    s.ok(
        "POST",
        "/collections/aliases",
        Some(json!({"actions": [
            {"delete_alias": {"alias_name": "current"}},
            {"create_alias": {"collection_name": "a2", "alias_name": "current"}},
            {"rename_alias": {"old_alias_name": "other", "new_alias_name": "renamed"}}
        ]})),
    );
    assert_eq!(s.ok("GET", "/collections/current", None)["points_count"], 0);
    s.ok("GET", "/collections/renamed", None);
    s.err("GET", "/collections/other", None, 404);
    s.err(
        "POST",
        "/collections/aliases",
        Some(json!({"actions": [{"delete_alias": {"alias_name": "ghost"}}]})),
        404,
    );
    s.err(
        "POST",
        "/collections/aliases",
        Some(
            json!({"actions": [{"create_alias": {"collection_name": "ghost", "alias_name": "x"}}]}),
        ),
        404,
    );
    // Deleting a collection drops its aliases.
    s.ok("DELETE", "/collections/a2", None);
    assert_eq!(s.ok("GET", "/aliases", None), json!({"aliases": []}));
    s.stop();
}
