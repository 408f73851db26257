"""Queries against the engine: dense, sparse, hybrid, by id, batched; expected answers are
computed from the data (``surface_data.py``)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from surface_data import DIM, dataset, unit

from qdrant_integration import QdrantClient
from qdrant_integration.types import (
    Prefetch,
    QueryRequest,
    SparseVector,
)


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
def hybrid(client: QdrantClient, make_collection) -> tuple[str, list, np.ndarray, list, list]:
    name = make_collection(vectors={"dense": DIM}, sparse_vectors={"text": None})
    ids, dense, sparse, payloads = dataset(60)
    written = client.upsert(name, ids, {"dense": dense}, payloads, sparse_vectors={"text": sparse})
    assert written == len(ids)
    return name, ids, dense, sparse, payloads


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
