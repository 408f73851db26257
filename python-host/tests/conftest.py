"""Tests run against the Qdrant at ``QDRANT_URL`` or a freshly started embedded engine."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from qdrant_integration import EmbeddedQdrant, QdrantClient


@pytest.fixture(scope="session")
def qdrant_url() -> Iterator[str]:
    url = os.environ.get("QDRANT_URL")
    if url:
        yield url
        return
    with EmbeddedQdrant() as embedded_url:
        yield embedded_url


@pytest.fixture
def client(qdrant_url: str) -> QdrantClient:
    return QdrantClient(qdrant_url, os.environ.get("QDRANT_API_KEY"))


@pytest.fixture
def collection(client: QdrantClient) -> Iterator[str]:
    name = f"py_{uuid.uuid4().hex[:12]}"
    yield name
    client.delete_collection(name)


def pytest_report_header() -> str:
    from importlib import metadata

    import wasmtime

    fast = os.environ.get("QDRANT_INTEGRATION_FAST_CALLS", "1") != "0"
    return (
        f"wasmtime-py {metadata.version('wasmtime')} from {os.path.dirname(wasmtime.__file__)}"
        f", {'fast' if fast else 'public'} call path"
    )
