"""The whole client surface against the engine; expected answers are computed from the data."""

from __future__ import annotations

import copy
import math
import pickle
import time
import uuid
from collections.abc import Iterator

import numpy as np
import pytest

from qdrant_integration import QdrantClient, errors
from qdrant_integration.types import (
    Alias,
    HnswConfig,
    Prefetch,
    QueryRequest,
    RetryPolicy,
    SparseVector,
    SparseVectorParams,
    VectorParams,
)

DIM = 8
VOCAB = 40


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


def dataset(n: int, seed: int = 3) -> tuple[list[str], np.ndarray, list[SparseVector], list[dict]]:
    """Mixed ids (integers, arbitrary strings, UUIDs), dense rows, sparse rows, payloads."""
    rng = np.random.default_rng(seed)
    ids = []
    for i in range(n):
        if i % 3 == 0:
            ids.append(str(i))
        elif i % 3 == 1:
            ids.append(f"doc-{i}")
        else:
            ids.append(str(uuid.UUID(int=i + 1)))
    dense = rng.normal(size=(n, DIM)).astype(np.float32)
    sparse = []
    for _ in range(n):
        indices = sorted(int(x) for x in rng.choice(VOCAB, size=5, replace=False))
        values = [float(v) for v in rng.uniform(0.1, 1.0, size=5).astype(np.float32)]
        sparse.append(SparseVector(indices, values))
    payloads = [{"group": "a" if i % 4 == 0 else "b", "n": i, "tag": f"t{i % 5}"} for i in range(n)]
    return ids, dense, sparse, payloads


def sparse_dot(a: SparseVector, b: SparseVector) -> float:
    lookup = dict(zip(a.indices, a.values, strict=True))
    return float(
        sum(
            np.float32(lookup[i]) * np.float32(v)
            for i, v in zip(b.indices, b.values, strict=True)
            if i in lookup
        )
    )


def top(scores: dict[str, float], k: int) -> list[str]:
    return sorted(scores, key=lambda i: -scores[i])[:k]


@pytest.fixture
def make_collection(client: QdrantClient) -> Iterator:
    created: list[str] = []

    def make(**kwargs: object) -> str:
        name = f"py_{uuid.uuid4().hex[:12]}"
        client.create_collection(name, **kwargs)  # type: ignore[arg-type]
        created.append(name)
        return name

    yield make
    for name in created:
        client.delete_collection(name)


@pytest.fixture
def hybrid(client: QdrantClient, make_collection) -> tuple[str, list, np.ndarray, list, list]:
    name = make_collection(vectors={"dense": DIM}, sparse_vectors={"text": None})
    ids, dense, sparse, payloads = dataset(60)
    written = client.upsert(name, ids, {"dense": dense}, payloads, sparse_vectors={"text": sparse})
    assert written == len(ids)
    return name, ids, dense, sparse, payloads


# ---- queries -------------------------------------------------------------------------


def test_named_dense_sparse_and_hybrid_rrf(client: QdrantClient, hybrid) -> None:
    name, ids, dense, sparse, _ = hybrid
    rng = np.random.default_rng(99)
    qdense = rng.normal(size=DIM).astype(np.float32)
    qsparse = SparseVector([1, 5, 9, 13, 17, 21, 25, 29], [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2])

    cos = unit(dense) @ unit(qdense)
    dense_scores = {ids[i]: float(cos[i]) for i in range(len(ids))}
    sparse_scores = {ids[i]: sparse_dot(qsparse, s) for i, s in enumerate(sparse)}
    sparse_scores = {k: v for k, v in sparse_scores.items() if v > 0}

    got_dense = client.query(name, qdense, using="dense", limit=15)
    assert [p.id for p in got_dense] == top(dense_scores, 15)
    assert all(math.isclose(p.score, dense_scores[p.id], abs_tol=1e-4) for p in got_dense)

    got_sparse = client.query(name, qsparse, using="text", limit=15)
    assert [p.id for p in got_sparse] == top(sparse_scores, 15)
    assert all(math.isclose(p.score, sparse_scores[p.id], rel_tol=1e-4) for p in got_sparse)
    # A sparse query given as (indices, values) is the same query.
    as_tuple = client.query(name, (qsparse.indices, qsparse.values), using="text", limit=15)
    assert [p.id for p in as_tuple] == [p.id for p in got_sparse]

    # RRF over both prefetches: score = sum of 1 / (rank0 + k), Qdrant's default k = 2.
    depth = 20
    fused_expected: dict[str, float] = {}
    for ranking in (top(dense_scores, depth), top(sparse_scores, depth)):
        for rank, pid in enumerate(ranking):
            fused_expected[pid] = fused_expected.get(pid, 0.0) + 1.0 / (rank + 2)
    fused = client.query(
        name,
        prefetch=[
            Prefetch(qdense, using="dense", limit=depth),
            {"query": qsparse, "using": "text", "limit": depth},
        ],
        fusion="rrf",
        limit=10,
    )
    assert len(fused) == 10
    scores = [p.score for p in fused]
    assert scores == sorted(scores, reverse=True)
    for p in fused:
        assert math.isclose(p.score, fused_expected[p.id], rel_tol=1e-5)
    cutoff = min(scores)
    returned = {p.id for p in fused}
    assert all(s <= cutoff + 1e-6 for pid, s in fused_expected.items() if pid not in returned)

    dbsf = client.query(
        name,
        prefetch=[
            Prefetch(qdense, using="dense", limit=depth),
            Prefetch(qsparse, "text", limit=depth),
        ],
        fusion="dbsf",
        limit=5,
    )
    assert len(dbsf) == 5 and {p.id for p in dbsf} <= set(fused_expected)


def test_query_by_point_id_filter_offset_threshold(client: QdrantClient, hybrid) -> None:
    name, ids, dense, _, payloads = hybrid
    anchor = 4
    cos = unit(dense) @ unit(dense[anchor])
    scores = {ids[i]: float(cos[i]) for i in range(len(ids)) if i != anchor}
    by_id = client.query(name, ids[anchor], using="dense", limit=5)
    assert [p.id for p in by_id] == top(scores, 5)

    in_a = {ids[i]: s for i, s in enumerate(cos) if payloads[i]["group"] == "a" and i != anchor}
    filtered = client.query(
        name,
        ids[anchor],
        using="dense",
        limit=5,
        filter={"must": [{"key": "group", "match": {"value": "a"}}]},
    )
    assert [p.id for p in filtered] == top({k: float(v) for k, v in in_a.items()}, 5)
    same = client.query(name, ids[anchor], using="dense", limit=5, must={"group": "a"})
    assert [p.id for p in same] == [p.id for p in filtered]

    page2 = client.query(name, ids[anchor], using="dense", limit=5, offset=5)
    assert [p.id for p in page2] == top(scores, 10)[5:]

    threshold = sorted(scores.values(), reverse=True)[7] + 1e-4
    above = client.query(name, ids[anchor], using="dense", limit=50, score_threshold=threshold)
    assert {p.id for p in above} == {k for k, v in scores.items() if v >= threshold}

    exact = client.query(name, ids[anchor], using="dense", limit=5, exact=True, hnsw_ef=64)
    assert [p.id for p in exact] == top(scores, 5)


def same_ranking(a: list, b: list) -> bool:
    """Equal results, up to the order of equal scores (fusion does not break ties) and
    which of the points tied at the cut-off made it in."""
    if [round(p.score, 5) for p in a] != [round(p.score, 5) for p in b]:
        return False
    if not a:
        return True
    cutoff = round(a[-1].score, 5)

    def key(points: list) -> list:
        return sorted(
            (round(p.score, 5), p.id, sorted(p.payload.items()))
            for p in points
            if round(p.score, 5) > cutoff
        )

    return key(a) == key(b)


def test_query_batch_equals_individual_queries(client: QdrantClient, hybrid) -> None:
    name, ids, dense, sparse, _ = hybrid
    requests = [
        QueryRequest(query=dense[0], using="dense", limit=4),
        {"query": ids[7], "using": "dense", "limit": 3, "must": {"group": "b"}},
        QueryRequest(query=sparse[3], using="text", limit=6, offset=1, with_payload=False),
        QueryRequest(
            prefetch=[Prefetch(dense[2], "dense", limit=10), Prefetch(sparse[2], "text", limit=10)],
            fusion="rrf",
            limit=5,
        ),
    ]
    batch = client.query_batch(name, requests)
    assert len(batch) == len(requests)
    for request, answer in zip(requests, batch, strict=True):
        options = dict(request) if isinstance(request, dict) else request.__dict__
        options = dict(options)
        single = client.query(name, options.pop("query"), **options)
        assert same_ranking(answer, single)
    assert client.query_batch(name, []) == []


def test_with_payload_and_with_vectors_selectors(client: QdrantClient, hybrid) -> None:
    name, ids, dense, sparse, payloads = hybrid
    by_id = {pid: p for pid, p in zip(ids, payloads, strict=True)}
    q = dense[1]

    only = client.query(name, q, using="dense", limit=5, with_payload=["group"])
    assert all(p.payload == {"group": by_id[p.id]["group"]} for p in only)
    dict_include = client.query(name, q, using="dense", limit=5, with_payload={"include": ["n"]})
    assert all(p.payload == {"n": by_id[p.id]["n"]} for p in dict_include)
    excluded = client.query(name, q, using="dense", limit=5, with_payload={"exclude": ["group"]})
    assert all(
        p.payload == {k: v for k, v in by_id[p.id].items() if k != "group"} for p in excluded
    )
    none = client.query(name, q, using="dense", limit=5, with_payload=False)
    # Without payloads, string ids still come back as upserted.
    assert [p.id for p in none] == [p.id for p in only] and all(p.payload == {} for p in none)
    assert all(p.vectors == {} for p in none)

    with_vectors = client.query(name, q, using="dense", limit=3, with_vectors=True)
    for p in with_vectors:
        i = ids.index(p.id)
        assert set(p.vectors) == {"dense", "text"}
        assert isinstance(p.vectors["dense"], np.ndarray)
        assert np.allclose(p.vectors["dense"], unit(dense[i]), atol=1e-5)  # cosine: normalised
        assert p.vectors["text"].indices == sparse[i].indices
        assert np.allclose(p.vectors["text"].values, sparse[i].values, atol=1e-6)
    only_text = client.query(name, q, using="dense", limit=3, with_vectors="text")
    assert all(set(p.vectors) == {"text"} for p in only_text)


# ---- points --------------------------------------------------------------------------


def test_scroll_walks_the_whole_collection(client: QdrantClient, make_collection) -> None:
    name = make_collection(vector_size=DIM, distance="Dot")
    ids, dense, _, payloads = dataset(53, seed=5)
    client.upsert(name, ids, dense, payloads)

    seen: list[str] = []
    pages = 0
    offset = None
    while True:
        page = client.scroll(name, limit=10, offset=offset)
        pages += 1
        assert len(page.points) == (10 if page.next_offset is not None else 53 - 10 * (pages - 1))
        seen += [p.id for p in page.points]
        if page.next_offset is None:
            break
        offset = page.next_offset
    assert pages == math.ceil(53 / 10)
    assert sorted(seen) == sorted(ids) and len(set(seen)) == len(seen)

    walked = list(client.scroll_all(name, batch_size=7, with_vectors=True))
    assert sorted(p.id for p in walked) == sorted(ids)
    for p in walked:
        i = ids.index(p.id)
        assert p.payload == payloads[i]
        assert np.allclose(p.vector, dense[i])  # Dot: stored as given

    group_a = list(client.scroll_all(name, must={"group": "a"}, batch_size=4))
    assert sorted(p.id for p in group_a) == sorted(
        pid for pid, p in zip(ids, payloads, strict=True) if p["group"] == "a"
    )


def test_count_with_filters(client: QdrantClient, make_collection) -> None:
    name = make_collection(vector_size=DIM)
    ids, dense, _, payloads = dataset(45, seed=8)
    client.upsert(name, ids, dense, payloads)
    assert client.count(name) == len(ids)
    assert client.count(name, exact=False) == len(ids)
    in_a = sum(p["group"] == "a" for p in payloads)
    assert client.count(name, must={"group": "a"}) == in_a
    assert client.count(name, {"must": [{"key": "group", "match": {"value": "a"}}]}) == in_a
    ranged = sum(10 <= p["n"] < 30 for p in payloads)
    assert client.count(name, {"must": [{"key": "n", "range": {"gte": 10, "lt": 30}}]}) == ranged
    any_tag = sum(p["tag"] in ("t1", "t3") for p in payloads)
    assert client.count(name, {"must": [{"key": "tag", "match": {"any": ["t1", "t3"]}}]}) == any_tag
    assert client.count(name, '{"must_not": [{"key": "group", "match": {"value": "a"}}]}') == (
        len(ids) - in_a
    )


def test_get_delete_and_payload_operations(client: QdrantClient, make_collection) -> None:
    name = make_collection(vector_size=DIM, distance="Euclid")
    ids, dense, _, payloads = dataset(30, seed=11)
    client.upsert(name, ids, dense, payloads)

    wanted = [ids[5], "missing-id", ids[0], ids[2], "999999"]
    got = client.get_points(name, wanted, with_vectors=True)
    assert [p.id for p in got] == [ids[5], ids[0], ids[2]]
    for p in got:
        i = ids.index(p.id)
        assert p.payload == payloads[i] and np.allclose(p.vector, dense[i])
    assert client.get_points(name, [ids[1]], with_payload=False)[0].payload == {}

    # set_payload merges; with key= into a nested object.
    result = client.set_payload(name, {"extra": 1, "group": "z"}, [ids[1], ids[3]])
    assert result.completed
    merged = client.get_points(name, [ids[1], ids[3]])
    for p in merged:
        assert p.payload == {**payloads[ids.index(p.id)], "extra": 1, "group": "z"}
    client.set_payload(name, {"inner": {"x": 0}}, [ids[4]])
    client.set_payload(name, {"y": 2}, [ids[4]], key="inner")
    assert client.get_points(name, [ids[4]])[0].payload["inner"] == {"x": 0, "y": 2}

    # set_payload by filter touches exactly the matching points.
    tagged = [pid for pid, p in zip(ids, payloads, strict=True) if p["tag"] == "t2"]
    client.set_payload(name, {"flag": True}, must={"tag": "t2"})
    assert client.count(name, {"must": [{"key": "flag", "match": {"value": True}}]}) == len(tagged)

    # overwrite_payload replaces, and string ids survive it.
    client.overwrite_payload(name, {"only": "this"}, [ids[1]])
    (p,) = client.get_points(name, [ids[1]])
    assert p.id == ids[1] and p.payload == {"only": "this"}

    client.delete_payload_keys(name, ["n", "tag"], [ids[5]])
    assert client.get_points(name, [ids[5]])[0].payload == {"group": payloads[5]["group"]}

    client.clear_payload(name, [ids[7]])
    (cleared,) = client.get_points(name, [ids[7]])
    assert cleared.id == ids[7] and cleared.payload == {}

    int_ids_b = [
        pid
        for pid, p in zip(ids, payloads, strict=True)
        if p["group"] == "b" and pid.isdigit() and pid not in (ids[1], ids[3])
    ]
    client.clear_payload(name, filter={"must": [{"has_id": [int(i) for i in int_ids_b]}]})
    assert all(p.payload == {} for p in client.get_points(name, int_ids_b))

    # Deletes by ids and by filter.
    before = client.count(name)
    client.delete_points(name, [ids[0], ids[2], "missing-too"])
    assert client.count(name) == before - 2
    assert client.get_points(name, [ids[0], ids[2]]) == []
    remaining_z = client.count(name, must={"group": "z"})
    assert remaining_z == sum(p.payload.get("group") == "z" for p in client.scroll_all(name)) > 0
    client.delete_points(name, must={"group": "z"})
    assert client.count(name) == before - 2 - remaining_z

    with pytest.raises(errors.InvalidInput):
        client.delete_points(name)
    with pytest.raises(errors.InvalidInput):
        client.delete_points(name, [ids[3]], must={"group": "a"})
    with pytest.raises(errors.InvalidInput):
        client.set_payload(name, {"_string_id": "x"}, [ids[3]])


def test_upsert_without_wait_is_eventually_counted(client: QdrantClient, make_collection) -> None:
    name = make_collection(vector_size=DIM)
    ids, dense, _, payloads = dataset(200, seed=13)
    assert client.upsert(name, ids, dense, payloads, wait=False) == 200
    deadline = time.monotonic() + 20
    while client.count(name) != 200:
        assert time.monotonic() < deadline, "points never became visible"
        time.sleep(0.05)
    assert sorted(p.id for p in client.scroll_all(name, with_payload=False)) == sorted(ids)


def test_bulk_upsert_keeps_the_order_of_its_requests(client: QdrantClient, make_collection) -> None:
    # 50 writes to 30 ids in requests of 7 (started and finished through the transport one
    # after another): each id keeps the payload of its last write.
    name = make_collection(vector_size=DIM)
    small = QdrantClient(client.url, upsert_batch_size=7)
    ids = [str(i % 30) for i in range(50)]
    dense = np.random.default_rng(5).normal(size=(50, DIM)).astype(np.float32)
    assert small.upsert(name, ids, dense, [{"write": i} for i in range(50)]) == 50
    assert client.count(name) == 30
    last = {str(i % 30): i for i in range(50)}
    stored = {p.id: p.payload["write"] for p in client.scroll_all(name)}
    assert stored == last


def test_upsert_validates_columns(client: QdrantClient, make_collection) -> None:
    name = make_collection(vectors={"a": DIM}, sparse_vectors=["s"])
    with pytest.raises(errors.InvalidInput):
        client.upsert(name, ["1", "2"], {"a": np.ones((3, DIM))})
    with pytest.raises(errors.InvalidInput):
        client.upsert(name, ["1"], {"a": np.ones((1, DIM))}, sparse_vectors={"s": []})
    with pytest.raises(errors.InvalidInput):
        client.upsert(name, ["1"], None, sparse_vectors={"": [([1], [1.0])]})
    # Sparse-only points are fine.
    assert client.upsert(name, ["1"], sparse_vectors={"s": [([3, 1], [0.5, 0.25])]}) == 1
    (p,) = client.get_points(name, ["1"], with_vectors=["s"])
    assert sorted(zip(p.vectors["s"].indices, p.vectors["s"].values, strict=True)) == [
        (1, 0.25),
        (3, 0.5),
    ]


# ---- collections ---------------------------------------------------------------------


def test_collection_info_and_updates(client: QdrantClient, make_collection) -> None:
    name = make_collection(
        vectors={
            "title": VectorParams(DIM, "Dot"),
            "body": {"size": 2 * DIM, "distance": "Euclid", "hnsw": HnswConfig(m=8)},
        },
        sparse_vectors={"bm25": SparseVectorParams(modifier="idf"), "plain": None},
        hnsw=HnswConfig(m=12, ef_construct=64),
        on_disk_payload=True,
    )
    assert name in client.list_collections()
    rng = np.random.default_rng(1)
    client.upsert(
        name,
        [1, 2, 3],
        {"title": rng.normal(size=(3, DIM)), "body": rng.normal(size=(3, 2 * DIM))},
    )
    info = client.collection_info(name)
    assert info.status in ("green", "yellow", "grey")
    assert info.points_count == 3
    assert {k: (v.size, v.distance) for k, v in info.vectors.items()} == {
        "title": (DIM, "Dot"),
        "body": (2 * DIM, "Euclid"),
    }
    assert {k: v.modifier for k, v in info.sparse_vectors.items()} == {"bm25": "idf", "plain": None}
    assert info.config["params"]["on_disk_payload"] is True
    assert (
        info.config["hnsw_config"]["m"] == 12 and info.config["hnsw_config"]["ef_construct"] == 64
    )
    assert info.payload_schema == {}

    client.update_collection(name, hnsw={"ef_construct": 80})
    assert client.collection_info(name).config["hnsw_config"]["ef_construct"] == 80
    client.enable_quantization(name, "scalar")
    assert "scalar" in (client.collection_info(name).config.get("quantization_config") or {})
    client.disable_quantization(name)
    assert client.collection_info(name).config.get("quantization_config") is None

    with pytest.raises(errors.NotFound):
        client.collection_info(f"{name}_missing")
    with pytest.raises(errors.InvalidInput):
        client.create_collection("bad", 4, "Hamming")
    with pytest.raises(errors.InvalidInput):
        client.enable_quantization(name, "fp4")


def test_payload_index(client: QdrantClient, make_collection) -> None:
    name = make_collection(vector_size=DIM)
    ids, dense, _, payloads = dataset(20)
    client.upsert(name, ids, dense, payloads)
    assert client.create_payload_index(name, "group").completed
    client.create_payload_index(name, "n", "integer")
    assert client.collection_info(name).payload_schema == {"group": "keyword", "n": "integer"}
    # Indexed fields filter as before.
    in_a = sum(p["group"] == "a" for p in payloads)
    assert client.count(name, must={"group": "a"}) == in_a
    client.delete_payload_index(name, "group")
    assert client.collection_info(name).payload_schema == {"n": "integer"}


def test_aliases(client: QdrantClient, make_collection) -> None:
    name = make_collection(vector_size=DIM)
    ids, dense, _, payloads = dataset(10)
    client.upsert(name, ids, dense, payloads)
    alias = f"{name}_alias"
    client.create_alias(alias, name)
    try:
        assert Alias(alias, name) in client.list_aliases()
        assert client.list_aliases(name) == [Alias(alias, name)]
        via_alias = client.search(alias, dense[3], 3)
        assert [p.id for p in via_alias] == [p.id for p in client.search(name, dense[3], 3)]
        assert client.count(alias) == len(ids)
    finally:
        client.delete_alias(alias)
    assert client.list_aliases(name) == []
    assert Alias(alias, name) not in client.list_aliases()


def test_snapshot_round_trip(client: QdrantClient, make_collection) -> None:
    name = make_collection(vector_size=DIM)
    ids, dense, _, payloads = dataset(25, seed=21)
    client.upsert(name, ids, dense, payloads)
    snapshot = client.create_snapshot(name)
    assert snapshot.name and snapshot.size > 0
    assert snapshot.name in [s.name for s in client.list_snapshots(name)]

    client.delete_points(name, ids[:10])
    client.set_payload(name, {"changed": True}, ids[10:12])
    assert client.count(name) == 15

    client.restore_snapshot(name, snapshot)
    assert client.count(name) == len(ids)
    restored = {p.id: p for p in client.scroll_all(name, with_vectors=True)}
    assert set(restored) == set(ids)
    for i, pid in enumerate(ids):
        assert restored[pid].payload == payloads[i]
        assert np.allclose(restored[pid].vector, unit(dense[i]), atol=1e-5)

    assert client.delete_snapshot(name, snapshot.name)
    assert snapshot.name not in [s.name for s in client.list_snapshots(name)]
    assert client.delete_snapshot(name, snapshot.name) is False
    with pytest.raises(errors.InvalidInput):
        client.restore_snapshot(name, "ftp://elsewhere/snap")


# ---- service, configuration, sandbox -------------------------------------------------


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
