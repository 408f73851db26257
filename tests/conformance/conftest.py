"""Starts the embedded engine (the release `qdrant-integration serve-embedded` binary) on a free
port for the conformance tests; `QDRANT_INTEGRATION_BIN` picks another binary."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from qdrant_integration import EmbeddedQdrant


@pytest.fixture(scope="session")
def engine_url() -> Iterator[str]:
    """A fresh embedded engine (temporary data directory), always: these tests check the engine."""
    with EmbeddedQdrant() as url:
        yield url


@pytest.fixture(scope="session")
def qdrant_url(engine_url: str) -> str:
    """Where the qdrant-client test runs: `CONFORMANCE_QDRANT_URL` (e.g. a real Qdrant, to
    check that the expectations hold there too) or the embedded engine."""
    return os.environ.get("CONFORMANCE_QDRANT_URL") or engine_url
