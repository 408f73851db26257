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


# ---- every export is exercised -----------------------------------------------------------
# As wasmtime's `assert_test_exists`: a full run of this suite must call every function the
# component exports (read from the component itself), so a new export cannot ship untested.

_CALLED: set[str] = set()


def _record_calls() -> None:
    from qdrant_integration._sandbox import Instance

    original = Instance.call

    def call(self, name, *args, **kwargs):  # type: ignore[no-untyped-def]
        _CALLED.add(name)
        return original(self, name, *args, **kwargs)

    Instance.call = call  # type: ignore[method-assign]


_record_calls()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    partial = config.option.keyword or config.option.markexpr or config.option.maxfail
    full = not partial and all(str(a).rstrip("/").endswith("tests") for a in config.args)
    if exitstatus != 0 or not full:
        return
    from qdrant_integration._sandbox import runtime

    missing = sorted(set(runtime().functions) - _CALLED)
    if missing:
        print(f"\nexports no test called: {missing}")
        session.exitstatus = 1
