#!/usr/bin/env bash
# Installs what a fresh machine lacks and builds everything. Idempotent: a second run only
# rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target add wasm32-wasip2
# Builds the host and CLI; host/build.rs builds both builds of the component for
# wasm32-wasip2. The Python package ships the same `retriever-hosted` build the Rust host
# runs by default: outbound HTTP goes through the host's `http-transport` import.
cargo build --release --locked -p qdrant-integration
cp target/component-hosted/wasm32-wasip2/release/qdrant_component.wasm python-host/src/qdrant_integration/

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e "./python-host[embeddings,dspy,test]" "ruff>=0.6"
.venv/bin/python -m pip install --quiet -r tests/conformance/requirements.txt
# The oldest wasmtime-py the package supports, beside the newest: the tests run on both
# (scripts/test.sh puts this one first on PYTHONPATH).
.venv/bin/python -m pip install --quiet --upgrade --target .venv/wasmtime50 "wasmtime==50.0.1"
