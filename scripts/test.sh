#!/usr/bin/env bash
# Every test: Rust (unit, integration, CLI, doc), Python (client and DSPy, on wasmtime-py 51
# and 50), the component in wasmtime's CLI, a wac composition and Node, against a freshly
# started embedded engine, or against the Qdrant at QDRANT_URL when it is set; then the
# platform wheel, installed into a fresh venv outside the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
export QDRANT_INTEGRATION_BIN="$PWD/target/release/qdrant-integration"
cargo test --release --locked --workspace
# The fault proxy the Python reliability tests put between client and engine.
cargo build --release --locked -p fault-proxy
# The component's logic once more in the debug profile, whose overflow checks catch
# arithmetic that would wrap silently in release (about a minute).
cargo test --locked -p qdrant-component
.venv/bin/python -m pytest -q python-host/tests
# Again on wasmtime-py 50 (the venv has the newest allowed), and on the public call path
# that the package falls back to when wasmtime-py's internals change.
PYTHONPATH="$PWD/.venv/wasmtime50" .venv/bin/python -m pytest -q python-host/tests
QDRANT_INTEGRATION_FAST_CALLS=0 .venv/bin/python -m pytest -q python-host/tests
# Conformance of the embedded engine: schemathesis with Qdrant's OpenAPI spec, qdrant-client.
.venv/bin/python -m pytest -q tests/conformance
# The other wasm hosts (wasmtime serve and run, wac, Node via jco): the smoke test in all
# five hosts, then the edge service's errors, `--invoke`, and the shipped TypeScript types.
SETUP_DONE=1 bash scripts/hosts.sh
.venv/bin/python -m pytest -q tests/hosts
node --test node/test/types.test.js
# The platform wheel as a new user gets it: a fresh venv outside the checkout, no Rust
# toolchain on PATH; the CLI, local mode, the README's Python blocks and the DSPy example.
bash scripts/wheel.sh --check
