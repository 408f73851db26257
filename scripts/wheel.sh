#!/usr/bin/env bash
# Builds the platform wheel into target/wheels/: the Python package with the component and
# the tokenizer, and the `qdrant-integration` binary (embedded engine and CLI), installed
# into the environment's scripts as ruff and uv install theirs. maturin tags the wheel with
# the oldest manylinux (glibc) the binary runs on. Installing it needs no Rust toolchain.
#   bash scripts/wheel.sh           # build
#   bash scripts/wheel.sh --check   # build, then install it into a fresh venv outside the
#                                   # checkout and try it there (tests/wheel/check_wheel.py)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet "maturin>=1.9,<2"
rm -f target/wheels/qdrant_integration-*.whl
(cd python-host && ../.venv/bin/maturin build --release --locked --out ../target/wheels)
wheel=$(ls target/wheels/qdrant_integration-*.whl)
echo "wheel: $wheel ($(du -h "$wheel" | cut -f1))"

if [ "${1:-}" = "--check" ]; then
  python3 tests/wheel/check_wheel.py "$wheel"
fi
