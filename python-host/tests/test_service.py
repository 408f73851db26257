"""The service and the client's configuration: readiness, options that survive copies,
read and connect timeouts, the codecs' wasmtime-py shapes."""

from __future__ import annotations

import copy
import pickle
import time

import pytest

from qdrant_integration import QdrantClient, errors
from qdrant_integration.types import (
    RetryPolicy,
)


def test_ready_and_options_survive_copies(client: QdrantClient) -> None:
    assert client.ready() is True
    tuned = QdrantClient(
        client.url,
        timeout=7,
        connect_timeout=2,
        server_timeout=3,
        retry=RetryPolicy(max_attempts=2),
        upsert_batch_size=16,
    )
    for other in (copy.deepcopy(tuned), pickle.loads(pickle.dumps(tuned))):
        assert other is not tuned and other._config == tuned._config
        assert other.ready()


def _stalled_server(accepting: bool) -> tuple[object, int, list]:
    """A local server that never answers: it accepts and stays silent, or (``accepting``
    false) lets its backlog fill so a connect cannot complete."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    keep: list = []
    if not accepting:
        # One connection fills the backlog of `listen(0)`; later SYNs go unanswered.
        filler = socket.create_connection(("127.0.0.1", port), timeout=1)
        keep.append(filler)
    return server, port, keep


def test_read_timeout_is_a_timeout(monkeypatch) -> None:
    import socket
    import threading

    server, port, _ = _stalled_server(accepting=True)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        client = QdrantClient(f"http://127.0.0.1:{port}", timeout=0.3, retry=1)
        started = time.monotonic()
        with pytest.raises(errors.Timeout, match="read"):
            client.collection_exists("c")
        assert time.monotonic() - started < 3
        assert client.health_check() is False
    finally:
        stop.set()
        thread.join()
        for s in held:
            s.close()
        server.close()


def test_connect_timeout_is_a_timeout() -> None:
    server, port, keep = _stalled_server(accepting=False)
    try:
        client = QdrantClient(f"http://127.0.0.1:{port}", connect_timeout=0.25, timeout=30, retry=1)
        started = time.monotonic()
        with pytest.raises(errors.Timeout, match="connect"):
            client.list_collections()
        # The connect timeout applied, not the 30 s read timeout.
        assert time.monotonic() - started < 3
    finally:
        for s in keep:
            s.close()
        server.close()  # type: ignore[attr-defined]


def test_codecs_follow_wasmtime_py_shapes() -> None:
    """wasmtime-py represents a variant untagged when its cases' Python classes are
    disjoint, and an option tagged when its payload can be ``None``."""
    from wasmtime.component import Record, Variant

    from qdrant_integration import _sandbox

    codecs = _sandbox.runtime().codecs
    update = codecs["update-collection"].params[2][1]
    disable = update.lower({"quantization": Variant("disable")})
    assert getattr(disable, "quantization") == Variant("some", None)  # noqa: B009
    assert getattr(update.lower({}), "quantization") == Variant("none")  # noqa: B009
    enable = update.lower({"quantization": Variant("enable", Variant("binary", {}))})
    assert isinstance(enable.quantization.payload, Variant)  # bare `quantization`, untagged
    count_filter = codecs["count"].params[2][1]
    assert count_filter.lower(Variant("json", "{}")) == "{}"
    assert count_filter.lower(None) is None
    lowered = count_filter.lower(Variant("conditions", {"must": [], "should": [], "must_not": []}))
    assert isinstance(lowered, Record)
    with pytest.raises(errors.InvalidInput):
        codecs["count"].lower(({"url": "x"}, "c", Variant("nope", 1), True))
