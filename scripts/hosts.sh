#!/usr/bin/env bash
# The retrieval smoke test (health; create; upsert 50 points with payloads; a filtered query
# whose expected ids each test computes from the data; delete) in every host the component
# runs in: our Rust host, our Python host, `wasmtime serve` (the edge build), the
# wac-composed app under `wasmtime run`, and Node (jco). All against one server: QDRANT_URL,
# or an embedded engine started here. Ends with `hosts: N passed, M failed`.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -n "${SETUP_DONE:-}" ] || bash scripts/setup.sh
bash scripts/tools.sh
bash scripts/artifacts.sh

if [ -z "${QDRANT_URL:-}" ]; then
  log=$(mktemp)
  target/release/qdrant-integration serve-embedded --port 0 >"$log" 2>&1 &
  engine=$!
  trap 'kill $engine 2>/dev/null; rm -f "$log"' EXIT
  for _ in $(seq 1 300); do
    grep -q '^listening on ' "$log" && break
    kill -0 $engine 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.1
  done
  QDRANT_URL=$(sed -n 's/^listening on //p' "$log" | head -1)
  [ -n "$QDRANT_URL" ] || { echo "the embedded engine did not start"; cat "$log"; exit 1; }
fi
export QDRANT_URL
echo "server: $QDRANT_URL"

passed=0
failed=0
failures=()
host() {
  local name=$1
  shift
  echo "== $name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures+=("$name")
  fi
}

host "rust host (wasmtime 48, retriever-hosted)" \
  cargo test --release --locked -q -p qdrant-integration --test smoke
host "python host (wasmtime-py, retriever-hosted)" \
  .venv/bin/python -m pytest -q tests/hosts/test_python_host.py
host "wasmtime serve (edge build, over HTTP)" \
  .venv/bin/python -m pytest -q tests/hosts/test_edge_service.py -k smoke
host "wasmtime run (app + retriever, composed by wac plug)" \
  .tools/bin/wasmtime run -S http --env QDRANT_URL="$QDRANT_URL" \
  --env COLLECTION_NAME=smoke_composed target/hosts/app.wasm
host "node (retriever build, transpiled by jco)" \
  node --test node/test/smoke.test.js

for name in "${failures[@]}"; do echo "failed: $name"; done
echo "hosts: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
