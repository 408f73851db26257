#!/usr/bin/env bash
# Installs what a fresh machine lacks and builds everything. Idempotent: a second run only
# rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e "./python-host[embeddings,dspy,test]" "ruff>=0.6"
# The editable install put a copy of the binary in the venv; the checkout's build is the one
# to run, so the venv points at it (a copy would go stale at the next cargo build).
ln -sf "$PWD/target/release/qdrant-integration" .venv/bin/qdrant-integration
.venv/bin/python -m pip install --quiet -r tests/conformance/requirements.txt
# The oldest wasmtime-py the package supports, beside the newest: the tests run on both
# (scripts/test.sh puts this one first on PYTHONPATH).
.venv/bin/python -m pip install --quiet --upgrade --target .venv/wasmtime50 "wasmtime==50.0.1"
