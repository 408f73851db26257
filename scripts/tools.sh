#!/usr/bin/env bash
# Installs the third-party tools the wasm-host tests drive, pinned, into the checkout: the
# wasmtime CLI (`wasmtime run`, `wasmtime serve`) and wac (composition) under .tools/, and
# jco with the WASI shims for Node under node/node_modules. Idempotent: a tool already
# installed with the same version and features is not rebuilt.
set -euo pipefail
cd "$(dirname "$0")/.."

root="$PWD/.tools"
# `cargo install NAME@VERSION FLAGS...` unless .tools/NAME.installed records the same line.
install() {
  local name=$1 stamp="$root/$1.installed"
  shift
  if [ "$(cat "$stamp" 2>/dev/null)" != "$*" ]; then
    cargo install --locked --quiet --force --root "$root" --target-dir target/tools "$@"
    echo "$*" >"$stamp"
  fi
}

# The newest wasmtime CLI that builds with Rust 1.95, with only what the tests use: `run`
# (commands, --invoke) and `serve` (wasi:http proxies; its code needs component-model-async
# to build, and it runs on the pooling allocator).
install wasmtime wasmtime-cli@48.0.8 --no-default-features \
  --features run,serve,component-model-async,cranelift,parallel-compilation,pooling-allocator
# Without the registry feature: compositions here plug local files.
install wac wac-cli@0.12.0 --no-default-features
# jco and the WASI shims, as node/package-lock.json pins them (reinstalled when it changes).
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ] || ! command -v npm >/dev/null; then
  echo "Node.js 20 or newer with npm is needed (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi
lock=$(sha256sum node/package-lock.json | cut -d' ' -f1)
if [ "$(cat node/node_modules/.installed 2>/dev/null)" != "$lock" ]; then
  npm ci --prefix node --no-audit --no-fund --loglevel=error
  echo "$lock" >node/node_modules/.installed
fi
