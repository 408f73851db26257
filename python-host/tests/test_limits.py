"""The sandbox's limits (memory cap, per-call deadline), bulk upserts, threads and asyncio."""

from __future__ import annotations

import asyncio
import ctypes
import socket
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest
from wasmtime import _ffi as ffi

from qdrant_integration import QdrantClient, _sandbox, errors

DIM = 384


def unit_vectors(n: int, dim: int = DIM, seed: int = 3) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_memory_cap_traps_cleanly_and_the_client_recovers(qdrant_url: str, collection: str) -> None:
    client = QdrantClient(qdrant_url, memory_limit=8 * 1024 * 1024)
    client.create_collection(collection, 4)
    huge = {"text": "x" * (24 * 1024 * 1024)}  # one payload larger than the whole cap
    with pytest.raises(errors.RuntimeFailure, match="memory") as trap:
        client.upsert(collection, ["big"], np.ones((1, 4)), [huge])
    assert "8 MiB" in str(trap.value)
    # The trapped store was dropped: the same client works on the next call.
    assert client.upsert(collection, ["small"], np.ones((1, 4)), [{"text": "ok"}]) == 1
    assert client.count(collection) == 1


def test_upsert_larger_than_the_cap_is_split_into_calls(qdrant_url: str, collection: str) -> None:
    client = QdrantClient(qdrant_url, memory_limit=16 * 1024 * 1024)
    client.create_collection(collection, DIM)
    vectors = unit_vectors(12_000)  # 24 MiB of base64: several calls under a 16 MiB cap
    assert client.upsert(collection, list(range(12_000)), vectors) == 12_000
    assert client.count(collection) == 12_000
    # Bad input in a later call is refused before the first call writes anything.
    vectors[11_000, 0] = np.nan
    with pytest.raises(errors.InvalidInput):
        client.upsert(collection, list(range(12_000, 24_000)), vectors)
    assert client.count(collection) == 12_000
    vectors[11_000, 0] = 0.5
    # So is any payload the component would refuse in its own call: the key that holds
    # string ids, a value JSON cannot carry, nesting too deep for the server, a non-object.
    deep: dict = {}
    for _ in range(125):  # 126 levels: JSON, but 129 with the request body's own
        deep = {"a": deep}
    for bad, message in [
        ({"_string_id": "x"}, "_string_id"),
        ({"n": float("nan")}, "payload"),
        (deep, "deep"),
        ([1, 2], "object"),
    ]:
        payloads: list = [{"n": i} for i in range(12_000)]
        payloads[11_500] = bad
        with pytest.raises(errors.InvalidInput, match=message) as refused:
            client.upsert(collection, list(range(12_000, 24_000)), vectors, payloads)
        # The position the component names is made whole by the offset it counts from.
        text = str(refused.value)
        start = int(text.rsplit("counted from point ", 1)[1].split()[0])
        assert f"payload {11_500 - start}" in text
        assert client.count(collection) == 12_000


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A local server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def test_call_deadline_fires_against_a_silent_server(silent_server: str) -> None:
    client = QdrantClient(silent_server, timeout=30, call_timeout=1.0)
    started = time.monotonic()
    with pytest.raises(errors.Timeout):
        client.collection_exists("c")  # idempotent: retried, but within the deadline
    assert time.monotonic() - started < 5
    assert client.health_check() is False  # still usable


def test_cpu_deadline_traps_and_the_client_recovers(
    qdrant_url: str, collection: str, monkeypatch: pytest.MonkeyPatch
) -> None:

    client = QdrantClient(qdrant_url)
    client.create_collection(collection, DIM)
    # No grace: the epoch deadline interrupts the component while it encodes the batch.
    monkeypatch.setattr(_sandbox, "_EPOCH_GRACE", 0.0)
    slow = QdrantClient(qdrant_url, call_timeout=0.001)
    with pytest.raises(errors.Timeout, match=r"deadline of 0\.001 s passed"):
        slow.upsert(collection, list(range(20_000)), unit_vectors(20_000))
    assert client.count(collection) == 0  # nothing was sent
    monkeypatch.undo()
    # The same client works on the next call (in a new sandbox) once it has time.
    slow._instance.call_timeout = 30.0
    assert slow.count(collection) == 0
    # With the grace, a spent budget stops the next request instead.
    budget = QdrantClient(qdrant_url, call_timeout=0.05)
    with pytest.raises(errors.Timeout, match="deadline"):
        budget.upsert(collection, list(range(20_000)), unit_vectors(20_000))
    assert client.upsert(collection, [1], unit_vectors(1)) == 1


def test_bulk_upsert_10k_384d(client: QdrantClient, collection: str) -> None:
    client.create_collection(collection, DIM)
    vectors = unit_vectors(10_000)
    ids = list(range(10_000))
    payloads = [{"n": i} for i in range(10_000)]
    started = time.perf_counter()
    written = client.upsert(collection, ids, vectors, payloads)
    elapsed = time.perf_counter() - started
    print(f"\nupsert of 10k x 384-d points: {elapsed:.2f} s ({10_000 / elapsed:,.0f} points/s)")
    assert written == 10_000
    assert client.count(collection) == 10_000


def test_many_threads_share_one_client(client: QdrantClient, collection: str) -> None:
    client.create_collection(collection, 32)
    vectors = unit_vectors(200, 32)
    client.upsert(
        collection, [f"p{i}" for i in range(200)], vectors, [{"n": i} for i in range(200)]
    )
    failures: list[BaseException] = []

    def worker(offset: int) -> None:
        try:
            for i in range(offset, 200, 16):
                top = client.search(collection, vectors[i], 1)
                assert top[0].id == f"p{i}" and top[0].payload["n"] == i
                assert client.count(collection) == 200
        except BaseException as e:
            failures.append(e)

    threads = [threading.Thread(target=worker, args=(o,)) for o in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_async_calls_do_not_block_the_event_loop(client: QdrantClient, collection: str) -> None:
    vectors = unit_vectors(10_000)

    async def main() -> tuple[int, int, list[str]]:
        ticks = 0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not done.is_set():
                await asyncio.sleep(0.005)
                ticks += 1

        task = asyncio.create_task(ticker())
        assert await client.ahealth_check()
        await client.acreate_collection(collection, DIM)
        written = await client.aupsert(collection, list(range(10_000)), vectors)
        ticks_during_upsert = ticks
        hits = await asyncio.gather(*(client.asearch(collection, vectors[i], 1) for i in range(20)))
        assert await client.acount(collection) == 10_000
        page = await client.ascroll(collection, limit=5)
        assert len(page.points) == 5
        batch = await client.aquery_batch(collection, [{"query": vectors[0], "limit": 2}])
        assert batch[0][0].id == "0"
        assert (await client.aquery(collection, vectors[1], limit=1))[0].id == "1"
        done.set()
        await task
        return written, ticks_during_upsert, [h[0].id for h in hits]

    written, ticks, top = asyncio.run(main())
    assert written == 10_000
    assert ticks >= 5, "the event loop stalled during the upsert"
    assert top == [str(i) for i in range(20)]


def test_concurrent_calls_overlap_their_network_waits() -> None:
    """The call lock is released while the transport waits: four threads calling one
    client against a server that answers after 0.4 s finish in well under 4 x 0.4 s."""
    import json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Slow(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            time.sleep(0.4)
            body = json.dumps({"result": {"exists": True}, "status": "ok", "time": 0}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = QdrantClient(f"http://127.0.0.1:{server.server_address[1]}")
        assert client.collection_exists("c")  # warm up
        results: list[bool] = []
        threads = [
            threading.Thread(target=lambda: results.append(client.collection_exists("c")))
            for _ in range(4)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        assert results == [True] * 4
        assert elapsed < 1.2, f"calls were serialised: {elapsed:.2f} s"
    finally:
        server.shutdown()
        server.server_close()


def test_a_string_list_with_a_non_string_is_refused_and_the_client_goes_on(
    client: QdrantClient, collection: str
) -> None:
    client.create_collection(collection, 4)
    client.upsert(collection, [1, 2], np.ones((2, 4)), [{"a": 1, "b": 2}, {"a": 3, "b": 4}])
    # The client's own codec refuses it before the C lowering (tested on its own below).
    with pytest.raises(errors.InvalidInput, match="keys: item 2: expected a string, got int"):
        client.delete_payload_keys(collection, ["a", "b", 3], ids=[1])  # type: ignore[list-item]
    assert client.get_points(collection, [1])[0].payload == {"a": 1, "b": 2}
    client.delete_payload_keys(collection, ["a", "b"], ids=[1])
    assert client.get_points(collection, [1])[0].payload == {}
    assert client.get_points(collection, [2])[0].payload == {"a": 3, "b": 4}


def test_string_lists_are_written_into_c_and_a_bad_element_frees_what_was_written() -> None:
    rt = _sandbox.runtime()
    if rt.calls.NAME != "fast":
        pytest.skip("calls take wasmtime-py's public path")
    # The `keys` parameter of delete-payload-keys: a list<string>, lowered by _fastcall.
    keys = rt.signatures["delete-payload-keys"].params[3]
    for good in [[], ["a"], ["ü", "", "a\x00b", "x" * 10_000] * 1_000]:
        slot = ffi.wasmtime_component_val_t()
        keys.convert_to_c(None, good, ctypes.pointer(slot))
        assert keys.convert_from_c(slot) == good  # read back, then freed
    for bad in [[3], ["a", "b", 3], ["a", None]]:
        slot = ffi.wasmtime_component_val_t()
        with pytest.raises(TypeError, match="string"):
            keys.convert_to_c(None, bad, ctypes.pointer(slot))
