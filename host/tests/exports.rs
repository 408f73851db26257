//! Every export of the WIT `client` interface is wrapped by a `QdrantClient` method, and a
//! test in this directory calls that method: in the manner of wasmtime's
//! `foreach_http!(assert_test_exists)`, a new export cannot ship without a host test.

use std::collections::BTreeMap;
use std::path::Path;

/// The function names of `interface client` in `wit/qdrant.wit`.
fn exports(wit: &str) -> Vec<String> {
    let start = wit.find("interface client {").expect("interface client");
    let body = &wit[start..];
    let body = &body[..body.find("\n}").expect("end of interface client")];
    body.lines()
        .filter_map(|line| {
            let line = line.trim();
            let (name, rest) = line.split_once(':')?;
            let is_func = rest.trim_start().starts_with("func(");
            (is_func && !line.starts_with("//")).then(|| name.trim().to_owned())
        })
        .collect()
}

/// For each `call_<export>` in the client, the public method whose body makes that call.
fn wrappers(client: &str) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    let mut method = None;
    for line in client.lines() {
        let line = line.trim();
        if let Some(rest) = line
            .strip_prefix("pub async fn ")
            .or_else(|| line.strip_prefix("pub fn "))
        {
            method = rest.split(['(', '<']).next().map(str::to_owned);
        }
        let mut text = line;
        while let Some(at) = text.find("call_") {
            let name: String = text[at + 5..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if let Some(method) = &method {
                found.entry(name.clone()).or_insert_with(|| method.clone());
            }
            text = &text[at + 5 + name.len()..];
        }
    }
    found
}

#[test]
fn every_export_has_a_client_method_and_a_test_that_calls_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let wit = std::fs::read_to_string(root.join("../wit/qdrant.wit")).unwrap();
    // The client's operations, one file per area.
    let mut client = String::new();
    for entry in std::fs::read_dir(root.join("src/client")).unwrap() {
        client.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    let mut tests = String::new();
    for entry in std::fs::read_dir(root.join("tests")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("exports.rs") {
            tests.push_str(&std::fs::read_to_string(path).unwrap());
        }
    }
    let exports = exports(&wit);
    assert!(exports.len() >= 30, "parsed too few exports: {exports:?}");
    assert!(exports.iter().any(|e| e == "query-batch"), "{exports:?}");
    let wrappers = wrappers(&client);
    assert_eq!(
        wrappers.get("health_check").map(String::as_str),
        Some("server_info")
    );
    assert_eq!(
        wrappers.get("create_shard_key").map(String::as_str),
        Some("create_shard_key")
    );
    // Rules this host links natively from the component crate (the same code the exports
    // run), each with the function it calls.
    let native = [
        ("default-config", "Config::defaults"),
        ("distance-named", "Distance::from_user"),
        ("quantization-named", "quantization_named"),
    ];
    let types_rs = std::fs::read_to_string(root.join("src/types.rs")).unwrap();
    let mut problems = Vec::new();
    for export in &exports {
        if let Some((_, function)) = native.iter().find(|(name, _)| name == export) {
            if !types_rs.contains(function) {
                problems.push(format!("`{export}`: the host does not use `{function}`"));
            }
            continue;
        }
        let call = export.replace('-', "_");
        match wrappers.get(&call) {
            None => problems.push(format!(
                "`{export}`: no QdrantClient method calls `call_{call}`"
            )),
            Some(method) if !tests.contains(&format!(".{method}(")) => problems.push(format!(
                "`{export}`: no test calls `QdrantClient::{method}`"
            )),
            Some(_) => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
