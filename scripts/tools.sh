#!/usr/bin/env bash
# Installs the third-party tools the edge tests drive, pinned, into the checkout: the
# wasmtime CLI (`wasmtime run`, `wasmtime serve`) and wac (composition) under .tools/, and
# jco with the WASI shims for Node under node/node_modules. Idempotent: a tool already at its
# pinned version is not rebuilt.
set -euo pipefail
cd "$(dirname "$0")/.."

WASMTIME_CLI_VERSION=48.0.8 # the newest that builds with Rust 1.95
WAC_CLI_VERSION=0.12.0
root="$PWD/.tools"

have() { [ -x "$root/bin/$1" ] && "$root/bin/$1" --version 2>/dev/null | grep -q "$2"; }

if ! have wasmtime "$WASMTIME_CLI_VERSION"; then
  # Only what the tests use: `run` (commands, --invoke) and `serve` (wasi:http proxies;
  # its code needs component-model-async to build).
  cargo install --locked --quiet --root "$root" --target-dir target/tools \
    wasmtime-cli@"$WASMTIME_CLI_VERSION" --no-default-features \
    --features run,serve,component-model-async,cranelift,parallel-compilation
fi
if ! have wac "$WAC_CLI_VERSION"; then
  # Without the registry feature: compositions here plug local files.
  cargo install --locked --quiet --root "$root" --target-dir target/tools \
    wac-cli@"$WAC_CLI_VERSION" --no-default-features
fi
if [ ! -d node/node_modules/@bytecodealliance/jco ]; then
  npm ci --prefix node --no-audit --no-fund --loglevel=error
fi
