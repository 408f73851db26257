#!/usr/bin/env bash
# Installs what a fresh machine lacks and builds everything. Idempotent: a second run only
# rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target add wasm32-wasip2
# Builds the host and CLI; host/build.rs builds the component for wasm32-wasip2.
cargo build --release --locked -p qdrant-integration
# Ship the same component inside the Python package.
cp target/component/wasm32-wasip2/release/qdrant_component.wasm python-host/src/qdrant_integration/

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e "./python-host[embeddings,dspy,test]" "ruff>=0.6"
