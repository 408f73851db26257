//! Builds the component for `wasm32-wasip2` (in the manner of wasmtime's test-programs
//! artifacts) so a fresh clone's `cargo run --release` needs no separate step. Both builds
//! are embedded into the host; the hosted one is also what the Python wheel ships.

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "src/fnv.rs"]
mod fnv;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let workspace = manifest.parent().unwrap().to_path_buf();
    for watched in ["component/src", "component/Cargo.toml", "wit", "Cargo.lock"] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }
    // Two builds of one crate, one per world: `retriever` (wasi:http) and
    // `retriever-hosted` (the host's `http-transport`).
    build(&workspace, &[], "component", "QDRANT_COMPONENT_WASM");
    build(
        &workspace,
        &["--features", "host-transport"],
        "component-hosted",
        "QDRANT_COMPONENT_HOSTED_WASM",
    );
}

fn build(workspace: &Path, extra: &[&str], target_dir_name: &str, env_name: &str) {
    // A separate target dir: the outer cargo holds the lock on the main one.
    let target_dir = workspace.join("target").join(target_dir_name);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .current_dir(workspace)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "-p",
            "qdrant-component",
        ])
        .args(extra)
        .arg("--target-dir")
        .arg(&target_dir);
    // Flags meant for the host build must not leak into the wasm build.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
    ] {
        build.env_remove(var);
    }
    let status = build
        .status()
        .expect("failed to run cargo for the component");
    assert!(
        status.success(),
        "building the component failed; is the target installed? `rustup target add wasm32-wasip2`"
    );
    let built = target_dir.join("wasm32-wasip2/release/qdrant_component.wasm");
    let bytes = std::fs::read(&built)
        .unwrap_or_else(|e| panic!("component not found at {}: {e}", built.display()));
    // A copy of our own, so the bytes embedded are the bytes hashed even if another build
    // rewrites the shared target directory meanwhile.
    let embedded =
        PathBuf::from(std::env::var("OUT_DIR").unwrap()).join(format!("{env_name}.wasm"));
    std::fs::write(&embedded, &bytes).expect("copy the component into OUT_DIR");
    println!("cargo:rustc-env={env_name}={}", embedded.display());
    println!("cargo:rustc-env={env_name}_HASH={}", fnv::hex_of(&bytes));
}
