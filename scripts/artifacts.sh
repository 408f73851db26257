#!/usr/bin/env bash
# Builds what the wasm hosts run, beside the two builds host/build.rs makes:
# - the edge build (target/component-edge/...): the retriever that also serves the JSON API;
# - the app component (examples/component-app), composed with the `retriever` build by
#   `wac plug` into target/hosts/app.wasm (and its latency probe, target/hosts/latency.wasm,
#   for bench/hosts.py);
# - the `retriever` build transpiled for Node by jco (node/retriever/).
# Needs scripts/setup.sh (the `retriever` build) and scripts/tools.sh (wac, jco) first.
set -euo pipefail
cd "$(dirname "$0")/.."

wasm() { cargo build --release --locked --quiet --target wasm32-wasip2 "$@"; }
retriever=target/component/wasm32-wasip2/release/qdrant_component.wasm
[ -f "$retriever" ] || { echo "$retriever is missing: run scripts/setup.sh"; exit 1; }

wasm -p qdrant-component --features edge --target-dir target/component-edge
# The app shares the retriever's target directory (and its compiled dependencies); it
# is a different crate, so the retriever's file there is untouched.
wasm -p qdrant-component-app --target-dir target/component
mkdir -p target/hosts
for app in qdrant-component-app:app query-latency:latency; do
  .tools/bin/wac plug "target/component/wasm32-wasip2/release/${app%%:*}.wasm" \
    --plug "$retriever" -o "target/hosts/${app##*:}.wasm"
done
node/node_modules/.bin/jco transpile "$retriever" -o node/retriever --quiet
