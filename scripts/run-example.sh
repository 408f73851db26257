#!/usr/bin/env bash
# The main job: index the Python docs and run the DSPy RAG pipeline through QdrantRM,
# on the embedded engine unless QDRANT_URL is set.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
export QDRANT_INTEGRATION_BIN="$PWD/target/release/qdrant-integration"
.venv/bin/python examples/dspy_integration.py
