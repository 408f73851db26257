"""Hosts other than ours run the component here: `wasmtime serve` (the edge build) and
`wasmtime run` (the composed app, `--invoke`). The server is QDRANT_URL or a fresh embedded
engine."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from wasm_hosts import EdgeService

from qdrant_integration import EmbeddedQdrant


@pytest.fixture(scope="session")
def qdrant_url() -> Iterator[str]:
    url = os.environ.get("QDRANT_URL")
    if url:
        yield url
        return
    with EmbeddedQdrant() as embedded_url:
        yield embedded_url


@pytest.fixture(scope="session")
def edge_factory(tmp_path_factory) -> Iterator:
    started: list[EdgeService] = []

    def start(**env: str) -> EdgeService:
        log = tmp_path_factory.mktemp("edge") / "serve.log"
        service = EdgeService(env, log)
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()
