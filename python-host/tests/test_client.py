"""The skeleton scenario through ``QdrantClient``: component -> wasi-http -> REST -> engine."""

from __future__ import annotations

import copy
import threading

import numpy as np
import pytest

from qdrant_integration import QdrantClient, errors

DIM = 16


def corpus(n: int = 100) -> tuple[list[str], np.ndarray, list[dict]]:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(n, DIM)).astype(np.float32)
    ids = [str(i) if i % 2 == 0 else f"doc-{i}" for i in range(n)]
    payloads = [{"group": "a" if i % 3 == 0 else "b", "n": i} for i in range(n)]
    return ids, vectors, payloads


def cosine_top(vectors: np.ndarray, query: np.ndarray, mask: np.ndarray, k: int) -> list[int]:
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    scores = unit @ (query / np.linalg.norm(query))
    scores[~mask] = -np.inf
    return [int(i) for i in np.argsort(-scores)[:k]]


def test_create_upsert_filtered_query_delete(client: QdrantClient, collection: str) -> None:
    assert client.health_check()
    assert not client.collection_exists(collection)
    client.create_collection(collection, DIM, "Cosine")
    assert client.collection_exists(collection)

    ids, vectors, payloads = corpus()
    assert client.upsert(collection, ids, vectors, payloads) == 100

    query = np.random.default_rng(11).normal(size=DIM).astype(np.float32)
    mask = np.array([p["group"] == "a" for p in payloads])
    expected = cosine_top(vectors, query, mask, 10)

    results = client.search(collection, query, 10, must={"group": "a"})
    assert [r.id for r in results] == [ids[i] for i in expected]
    assert all(r.payload["group"] == "a" and "_string_id" not in r.payload for r in results)
    assert [r.payload["n"] for r in results] == expected

    # The full filter language as a dict gives the same answer.
    full = client.search(
        collection, query, 10, filter={"must": [{"key": "group", "match": {"value": "a"}}]}
    )
    assert [r.id for r in full] == [r.id for r in results]

    assert client.delete_collection(collection)
    assert not client.collection_exists(collection)
    assert not client.delete_collection(collection)


def test_errors_are_typed(client: QdrantClient, collection: str) -> None:
    with pytest.raises(errors.NotFound):
        client.search(collection, np.ones(DIM), 3)
    client.create_collection(collection, DIM)
    with pytest.raises((errors.Conflict, errors.BadRequest)):
        client.create_collection(collection, DIM)
    with pytest.raises(errors.BadRequest):
        client.upsert(collection, ["1"], np.ones((1, DIM + 1)))
    with pytest.raises(errors.InvalidInput):
        client.upsert(collection, ["1", "2"], np.array([[1.0] * DIM, [np.nan] * DIM]))
    with pytest.raises(errors.InvalidInput):
        client.search(collection, np.ones(DIM), 3, filter='{"must": [{"key": "g"}]}')
    with pytest.raises(errors.InvalidInput):
        client.create_collection("x", DIM, "Hamming")
    # Nothing was written by the rejected upserts.
    assert client.search(collection, np.ones(DIM), 10) == []


def test_unreachable_server_is_unhealthy() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = QdrantClient(f"http://127.0.0.1:{port}")
    assert client.health_check() is False
    with pytest.raises(errors.ConnectionFailed):
        client.collection_exists("c")


def test_deepcopy_and_threads_share_nothing_unsafe(client: QdrantClient, collection: str) -> None:
    client.create_collection(collection, DIM)
    ids, vectors, payloads = corpus(30)
    client.upsert(collection, ids, vectors, payloads)
    clone = copy.deepcopy(client)
    assert clone is not client and clone.url == client.url
    failures: list[BaseException] = []

    def worker(c: QdrantClient) -> None:
        try:
            for i in range(5):
                top = c.search(collection, vectors[i], 1)
                assert top[0].id == ids[i]
        except BaseException as e:
            failures.append(e)

    threads = [threading.Thread(target=worker, args=(c,)) for c in (client, clone) * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_every_call_has_an_asyncio_twin() -> None:
    """The ``a``-methods are derived from the synchronous ones: none is missing."""
    import inspect

    local = {"close", "with_options", "scroll_all"}  # no server call, or a generator
    # Inherited too: the calls live in the client's areas (``_points.py`` ...).
    calls = [
        name
        for name, _ in inspect.getmembers(QdrantClient, inspect.isfunction)
        if not name.startswith(("_", "a")) and name not in local
    ]
    assert len(calls) > 30
    for name in calls:
        twin = getattr(QdrantClient, f"a{name}", None)
        assert twin is not None and inspect.iscoroutinefunction(twin), name
        assert twin.__name__ == f"a{name}" and name in twin.__doc__


def test_a_partial_retry_policy_takes_the_components_defaults_for_its_budget(
    qdrant_url: str,
) -> None:
    """Fields a policy leaves unset come from the component's ``default-config``: the
    upsert budget's for ``upsert_retry``, the ordinary one's for ``retry``."""
    from qdrant_integration import RetryPolicy

    client = QdrantClient(
        qdrant_url, retry=5, upsert_retry=RetryPolicy(max_attempts=20, max_backoff=1.5)
    )
    defaults = client._instance.call("default-config", qdrant_url)
    assert defaults["url"] == qdrant_url and defaults["api_key"] is None
    upsert, retry = defaults["upsert_retry"], defaults["retry"]
    assert client._config["upsert_retry"] == {**upsert, "max_attempts": 20, "max_backoff_ms": 1500}
    assert client._config["retry"] == {**retry, "max_attempts": 5}
    assert upsert["max_elapsed_ms"] > retry["max_elapsed_ms"]  # bulk work outlasts faults
    assert client.health_check()


def test_upserts_have_their_own_retry_budget(qdrant_url: str, collection: str) -> None:
    """``upsert_retry`` reaches the component, which checks it like ``retry``."""
    from qdrant_integration import RetryPolicy

    client = QdrantClient(qdrant_url, upsert_retry=RetryPolicy(max_attempts=5, max_elapsed=30))
    client.create_collection(collection, 2)
    assert client.upsert(collection, [1, 2], np.eye(2, dtype=np.float32)) == 2
    with pytest.raises(errors.InvalidInput, match=r"upsert-retry\.max-attempts"):
        QdrantClient(qdrant_url, upsert_retry=RetryPolicy(max_attempts=0)).count(collection)
    with pytest.raises(errors.InvalidInput, match="RetryPolicy"):
        QdrantClient(qdrant_url, upsert_retry=3)  # type: ignore[arg-type]
