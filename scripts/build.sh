#!/usr/bin/env bash
# Builds the host and CLI (release); host/build.rs builds the component for wasm32-wasip2.
# The Python package ships the same `retriever-hosted` build the Rust host runs by default
# (outbound HTTP through the host's `http-transport` import): it is copied into the package.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target add wasm32-wasip2
cargo build --release --locked -p qdrant-integration
cp target/component-hosted/wasm32-wasip2/release/qdrant_component.wasm python-host/src/qdrant_integration/
