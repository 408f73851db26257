"""The official `qdrant-client` (REST) drives the engine; every expected answer is computed here
from the same data: exact nearest neighbours by brute force with numpy, filters evaluated by a
small Python model of Qdrant's filter semantics. Nothing is hard-coded.

Set `CONFORMANCE_QDRANT_URL` to run the same test against a real Qdrant.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import requests
from qdrant_client import QdrantClient, models
from qdrant_client.http.exceptions import UnexpectedResponse

DIM = 24
N = 600
COLORS = ["red", "green", "blue", "black"]
CITIES = ["Berlin", "London", "Paris", "Tokyo", "Lima"]
TAGS = ["a", "b", "c", "d", "e"]

# Filters in Qdrant's JSON form: sent through `models.Filter` and evaluated by `matches`.
FILTERS: dict[str, dict | None] = {
    "none": None,
    "keyword": {"must": [{"key": "color", "match": {"value": "red"}}]},
    "range": {"must": [{"key": "price", "range": {"gte": 20.0, "lt": 70.0}}]},
    "int_and_not": {
        "must": [{"key": "n", "range": {"gt": 100}}],
        "must_not": [{"key": "color", "match": {"value": "blue"}}],
    },
    "should_any": {
        "should": [
            {"key": "city.name", "match": {"any": ["Paris", "Lima"]}},
            {"key": "tags", "match": {"value": "e"}},
        ]
    },
    "except_empty": {
        "must": [
            {"key": "color", "match": {"except": ["red", "green"]}},
            {"is_empty": {"key": "tags"}},
        ]
    },
    "nested_bool_has_id": {
        "must": [
            {
                "should": [
                    {"key": "flag", "match": {"value": True}},
                    {"has_id": list(range(1, 60))},
                ]
            }
        ],
        "must_not": [{"key": "price", "range": {"lte": 10.0}}],
    },
}


def _values(payload: dict, key: str) -> list[Any]:
    """The values at a dotted key; arrays are flattened, as Qdrant does."""
    current: list[Any] = [payload]
    for part in key.split("."):
        nxt: list[Any] = []
        for item in current:
            if isinstance(item, dict) and part in item:
                value = item[part]
                nxt.extend(value if isinstance(value, list) else [value])
        current = nxt
    return [v for v in current if v is not None]


def _condition(point_id: int, payload: dict, cond: dict) -> bool:
    if "has_id" in cond:
        return point_id in cond["has_id"]
    if "is_empty" in cond:
        return not _values(payload, cond["is_empty"]["key"])
    if any(k in cond for k in ("must", "should", "must_not")):
        return matches(point_id, payload, cond)
    values = _values(payload, cond["key"])
    if "match" in cond:
        match = cond["match"]
        if "value" in match:
            return any(v == match["value"] and type(v) is type(match["value"]) for v in values)
        if "any" in match:
            return any(v in match["any"] for v in values)
        if "except" in match:
            # Qdrant: true when some value is outside the list (a missing key does not match).
            return any(v not in match["except"] for v in values)
    if "range" in cond:
        r = cond["range"]

        def within(v: float) -> bool:
            return (
                ("gt" not in r or v > r["gt"])
                and ("gte" not in r or v >= r["gte"])
                and ("lt" not in r or v < r["lt"])
                and ("lte" not in r or v <= r["lte"])
            )

        return any(
            isinstance(v, int | float) and not isinstance(v, bool) and within(v) for v in values
        )
    raise AssertionError(f"condition not modelled: {cond}")


def matches(point_id: int, payload: dict, flt: dict | None) -> bool:
    if not flt:
        return True
    must = all(_condition(point_id, payload, c) for c in flt.get("must") or [])
    should = flt.get("should") or []
    any_should = not should or any(_condition(point_id, payload, c) for c in should)
    must_not = not any(_condition(point_id, payload, c) for c in flt.get("must_not") or [])
    return must and any_should and must_not


def _payload(rng: np.random.Generator, i: int) -> dict:
    payload: dict[str, Any] = {
        "n": int(i),
        "color": COLORS[int(rng.integers(len(COLORS)))],
        "price": round(float(rng.uniform(0, 100)), 3),
        "city": {"name": CITIES[int(rng.integers(len(CITIES)))]},
        "tags": [TAGS[int(t)] for t in rng.choice(len(TAGS), int(rng.integers(0, 3)), False)],
    }
    if rng.random() < 0.3:
        payload["flag"] = bool(rng.random() < 0.5)
    return payload


class Data:
    def __init__(self, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.ids = list(range(1, N + 1))
        self.vectors = rng.normal(size=(N, DIM)).astype(np.float32)
        self.payloads = {i: _payload(rng, i) for i in self.ids}
        self.queries = rng.normal(size=(4, DIM)).astype(np.float32)


def expected_search(
    data: Data,
    ids: list[int],
    distance: models.Distance,
    query: np.ndarray,
    flt: dict | None,
    limit: int,
    offset: int = 0,
    threshold: float | None = None,
) -> list[tuple[int, float]]:
    """Exact search by brute force, with Qdrant's scores and ordering per distance."""
    keep = [i for i in ids if matches(i, data.payloads[i], flt)]
    if not keep:
        return []
    vectors = data.vectors[np.array(keep) - 1].astype(np.float64)
    q = query.astype(np.float64)
    if distance == models.Distance.COSINE:
        vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        scores = vectors @ (q / np.linalg.norm(q))
        higher_better = True
    elif distance == models.Distance.DOT:
        scores = vectors @ q
        higher_better = True
    elif distance == models.Distance.EUCLID:
        scores = np.linalg.norm(vectors - q, axis=1)
        higher_better = False
    else:
        scores = np.abs(vectors - q).sum(axis=1)
        higher_better = False
    order = sorted(
        zip(keep, scores.tolist(), strict=True),
        key=lambda p: (-p[1] if higher_better else p[1], p[0]),
    )
    if threshold is not None:
        order = [p for p in order if (p[1] >= threshold if higher_better else p[1] <= threshold)]
    return order[offset : offset + limit]


def assert_same(got: list[models.ScoredPoint], expected: list[tuple[int, float]]) -> None:
    assert [p.id for p in got] == [i for i, _ in expected]
    np.testing.assert_allclose(
        [p.score for p in got], [s for _, s in expected], rtol=1e-4, atol=1e-4
    )


@pytest.fixture(scope="module")
def client(qdrant_url: str) -> QdrantClient:
    return QdrantClient(url=qdrant_url, prefer_grpc=False, timeout=60)


@pytest.fixture
def collection(client: QdrantClient) -> Iterator[str]:
    name = f"qc_{uuid.uuid4().hex[:10]}"
    yield name
    client.delete_collection(name)


def _filter(flt: dict | None) -> models.Filter | None:
    return models.Filter.model_validate(flt) if flt else None


@pytest.mark.parametrize(
    "distance",
    [
        models.Distance.COSINE,
        models.Distance.DOT,
        models.Distance.EUCLID,
        models.Distance.MANHATTAN,
    ],
)
def test_client_round_trip_matches_brute_force(
    client: QdrantClient, collection: str, distance: models.Distance
) -> None:
    data = Data(seed=len(distance.value))
    assert client.create_collection(
        collection, vectors_config=models.VectorParams(size=DIM, distance=distance)
    )
    assert client.collection_exists(collection)
    # Two ways in: PointStruct lists and column batches.
    half = N // 2
    client.upsert(
        collection,
        points=[
            models.PointStruct(id=i, vector=data.vectors[i - 1].tolist(), payload=data.payloads[i])
            for i in data.ids[:half]
        ],
        wait=True,
    )
    result = client.upsert(
        collection,
        points=models.Batch(
            ids=data.ids[half:],
            vectors=data.vectors[half:].tolist(),
            payloads=[data.payloads[i] for i in data.ids[half:]],
        ),
        wait=True,
    )
    assert result.status == models.UpdateStatus.COMPLETED
    client.create_payload_index(collection, "color", models.PayloadSchemaType.KEYWORD, wait=True)
    client.create_payload_index(collection, "price", models.PayloadSchemaType.FLOAT, wait=True)

    info = client.get_collection(collection)
    assert info.points_count == N
    assert info.config.params.vectors.size == DIM
    assert info.config.params.vectors.distance == distance
    assert set(info.payload_schema) == {"color", "price"}

    ids = data.ids
    exact = models.SearchParams(exact=True)
    for name, flt in FILTERS.items():
        for q in data.queries[:2]:
            got = client.query_points(
                collection, query=q.tolist(), query_filter=_filter(flt), limit=10,
                search_params=exact, with_payload=True,
            ).points  # fmt: skip
            assert_same(got, expected_search(data, ids, distance, q, flt, 10))
            for p in got:
                assert p.payload == data.payloads[p.id], name
        count = client.count(collection, count_filter=_filter(flt), exact=True).count
        assert count == sum(matches(i, data.payloads[i], flt) for i in ids), name

    # Offset and score threshold.
    q = data.queries[2]
    full = expected_search(data, ids, distance, q, None, 30)
    got = client.query_points(
        collection, query=q.tolist(), limit=7, offset=5, search_params=exact
    ).points
    assert_same(got, full[5:12])
    # Midway between two neighbours' scores, so float rounding cannot move the cut.
    threshold = (full[12][1] + full[13][1]) / 2
    got = client.query_points(
        collection, query=q.tolist(), limit=30, score_threshold=threshold, search_params=exact
    ).points
    assert_same(got, expected_search(data, ids, distance, q, None, 30, threshold=threshold))

    # Scroll: every match once, in id order, across pages.
    flt = FILTERS["should_any"]
    seen: list[int] = []
    offset = None
    while True:
        page, offset = client.scroll(
            collection, scroll_filter=_filter(flt), limit=37, offset=offset, with_payload=True
        )
        seen.extend(p.id for p in page)
        for p in page:
            assert p.payload == data.payloads[p.id]
        if offset is None:
            break
    assert seen == [i for i in ids if matches(i, data.payloads[i], flt)]

    # Retrieve, with vectors.
    records = client.retrieve(collection, ids=[3, 77, 10_000], with_vectors=True)
    assert sorted(r.id for r in records) == [3, 77]
    for r in records:
        stored = np.array(r.vector)
        original = data.vectors[r.id - 1]
        if distance == models.Distance.COSINE:
            original = original / np.linalg.norm(original)
        np.testing.assert_allclose(stored, original, rtol=1e-5, atol=1e-6)

    # Delete by ids and by filter; later answers leave those points out.
    client.delete(collection, points_selector=models.PointIdsList(points=[1, 2, 3]), wait=True)
    gone = {"must": [{"key": "color", "match": {"value": "black"}}]}
    client.delete(
        collection, points_selector=models.FilterSelector(filter=_filter(gone)), wait=True
    )
    left = [i for i in ids if i > 3 and not matches(i, data.payloads[i], gone)]
    assert client.count(collection, exact=True).count == len(left)
    q = data.queries[3]
    for flt in (None, FILTERS["range"]):
        got = client.query_points(
            collection, query=q.tolist(), query_filter=_filter(flt), limit=15, search_params=exact
        ).points
        assert_same(got, expected_search(data, left, distance, q, flt, 15))

    # Payload updates show in filters.
    targets = left[:2]
    client.set_payload(collection, payload={"color": "black"}, points=targets, wait=True)
    assert {
        p.id
        for p in client.scroll(
            collection, scroll_filter=_filter(gone), limit=100, with_payload=False
        )[0]
    } == set(targets)

    assert client.delete_collection(collection)
    assert not client.collection_exists(collection)


def _post(url: str, path: str, body: dict) -> Any:
    """A plain HTTP call, as curl scripts and clients in other languages make it."""
    response = requests.post(f"{url}{path}", json=body, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()["result"]


def _fill(
    client: QdrantClient,
    collection: str,
    data: Data,
    distance: models.Distance,
    ordering: models.WriteOrdering | None = None,
) -> None:
    """A collection of `data`'s points (vectors and payloads), written with `wait=true`."""
    client.create_collection(collection, models.VectorParams(size=DIM, distance=distance))
    client.upsert(
        collection,
        points=models.Batch(
            ids=data.ids, vectors=data.vectors.tolist(), payloads=list(data.payloads.values())
        ),
        wait=True,
        ordering=ordering,
    )


def expected_groups(
    ranked: list[tuple[int, float]], data: Data, key: str, size: int, limit: int
) -> list[tuple[Any, list[int]]]:
    """Points in score order into groups by their values at `key`; the first `limit` groups
    to appear, `size` points each."""
    groups: dict[Any, list[int]] = {}
    for point_id, _ in ranked:
        for value in dict.fromkeys(_values(data.payloads[point_id], key)):
            hits = groups.setdefault(value, [])
            if len(hits) < size:
                hits.append(point_id)
    return list(groups.items())[:limit]


def test_groups_and_the_older_search_endpoints_match_brute_force(
    client: QdrantClient, collection: str, qdrant_url: str
) -> None:
    distance = models.Distance.COSINE
    data = Data(seed=7)
    _fill(client, collection, data, distance)
    base = f"/collections/{collection}/points"
    exact = {"exact": True}
    ranked = expected_search(data, data.ids, distance, data.queries[0], None, N)
    q = data.queries[0].tolist()

    # qdrant-client's groups: by a keyword and by an array field.
    for key, size, limit in [("color", 3, 4), ("tags", 2, 5)]:
        got = client.query_points_groups(
            collection,
            query=q,
            group_by=key,
            group_size=size,
            limit=limit,
            search_params=models.SearchParams(exact=True),
        ).groups
        assert [(g.id, [p.id for p in g.hits]) for g in got] == expected_groups(
            ranked, data, key, size, limit
        )

    # The older endpoints over plain HTTP.
    flt = FILTERS["range"]
    hits = _post(
        qdrant_url, f"{base}/search", {"vector": q, "limit": 8, "filter": flt, "params": exact}
    )
    expected = expected_search(data, data.ids, distance, data.queries[0], flt, 8)
    assert [(h["id"], round(h["score"], 4)) for h in hits] == [
        (i, round(s, 4)) for i, s in expected
    ]
    batch = _post(
        qdrant_url,
        f"{base}/search/batch",
        {
            "searches": [
                {"vector": v.tolist(), "limit": 3, "params": exact} for v in data.queries[1:3]
            ]
        },
    )
    for hits, v in zip(batch, data.queries[1:3], strict=True):
        assert [h["id"] for h in hits] == [
            i for i, _ in expected_search(data, data.ids, distance, v, None, 3)
        ]
    groups = _post(
        qdrant_url,
        f"{base}/search/groups",
        {"vector": q, "group_by": "city.name", "group_size": 2, "limit": 3, "params": exact},
    )["groups"]
    assert [(g["id"], [h["id"] for h in g["hits"]]) for g in groups] == expected_groups(
        ranked, data, "city.name", 2, 3
    )
    # Recommend by point ids: Qdrant's average_vector is 2 * avg(positive) - avg(negative),
    # searched without the examples.
    positive, negative = [5, 9], [40]
    vectors = data.vectors / np.linalg.norm(data.vectors, axis=1, keepdims=True)
    target = 2 * vectors[[p - 1 for p in positive]].mean(axis=0) - vectors[negative[0] - 1]
    hits = _post(
        qdrant_url,
        f"{base}/recommend",
        {"positive": positive, "negative": negative, "limit": 5, "params": exact},
    )
    others = [i for i in data.ids if i not in positive + negative]
    assert [h["id"] for h in hits] == [
        i for i, _ in expected_search(data, others, distance, target.astype(np.float32), None, 5)
    ]


def test_updates_facets_and_discovery_through_qdrant_client(
    client: QdrantClient, collection: str
) -> None:
    """qdrant-client's batch updates, vector updates, facets and discovery; every expected
    answer is read back or computed here from the same data."""
    data = Data(seed=11)
    client.create_collection(
        collection,
        vectors_config={"d": models.VectorParams(size=DIM, distance=models.Distance.DOT)},
        sparse_vectors_config={"s": models.SparseVectorParams()},
    )
    vectors = {i: data.vectors[i - 1] for i in data.ids}
    client.upsert(
        collection,
        points=[
            models.PointStruct(id=i, vector={"d": vectors[i].tolist()}, payload=data.payloads[i])
            for i in data.ids
        ],
    )
    client.create_payload_index(collection, "color", models.PayloadSchemaType.KEYWORD)

    # Facets: counts of each color, as counted here.
    counts: dict[str, int] = {}
    for payload in data.payloads.values():
        counts[payload["color"]] = counts.get(payload["color"], 0) + 1
    hits = client.facet(collection, "color", limit=10).hits
    assert {h.value: h.count for h in hits} == counts
    assert [h.count for h in hits] == sorted(counts.values(), reverse=True)
    flt = FILTERS["range"]
    hits = client.facet(collection, "color", facet_filter=_filter(flt), exact=True).hits
    expected: dict[str, int] = {}
    for i in data.ids:
        if matches(i, data.payloads[i], flt):
            color = data.payloads[i]["color"]
            expected[color] = expected.get(color, 0) + 1
    assert {h.value: h.count for h in hits} == expected

    # A batch of mixed updates, in order.
    new = np.ones(DIM, dtype=np.float32)
    results = client.batch_update_points(
        collection,
        [
            models.UpsertOperation(
                upsert=models.PointsList(
                    points=[
                        models.PointStruct(
                            id=N + 1, vector={"d": new.tolist()}, payload={"color": "white"}
                        )
                    ]
                )
            ),
            models.SetPayloadOperation(
                set_payload=models.SetPayload(payload={"seen": True}, points=[1, N + 1])
            ),
            models.DeleteOperation(delete=models.PointIdsList(points=[2])),
            models.DeletePayloadOperation(
                delete_payload=models.DeletePayload(keys=["color"], points=[1])
            ),
            models.UpdateVectorsOperation(
                update_vectors=models.UpdateVectors(
                    points=[
                        models.PointVectors(
                            id=3,
                            vector={"s": models.SparseVector(indices=[2, 9], values=[0.5, 1.5])},
                        )
                    ]
                )
            ),
        ],
    )
    assert [r.status for r in results] == [models.UpdateStatus.COMPLETED] * 5
    records = {r.id: r for r in client.retrieve(collection, [1, 2, 3, N + 1], with_vectors=True)}
    assert set(records) == {1, 3, N + 1}
    assert records[N + 1].payload == {"color": "white", "seen": True}
    assert "color" not in records[1].payload and records[1].payload["seen"] is True
    assert records[3].vector["s"] == models.SparseVector(indices=[2, 9], values=[0.5, 1.5])
    np.testing.assert_allclose(records[3].vector["d"], vectors[3], rtol=1e-6)

    client.update_vectors(collection, [models.PointVectors(id=4, vector={"d": new.tolist()})])
    client.delete_vectors(collection, ["s"], points=[3])
    records = {r.id: r for r in client.retrieve(collection, [3, 4], with_vectors=True)}
    assert list(records[3].vector) == ["d"]
    np.testing.assert_allclose(records[4].vector["d"], new)

    # Discovery: pairs first (how many a point is on the positive side of), then the target.
    vectors[4] = new
    del vectors[2]
    target, pair = data.queries[0], (5, 6)
    got = client.query_points(
        collection,
        query=models.DiscoverQuery(
            discover=models.DiscoverInput(
                target=target.tolist(),
                context=[models.ContextPair(positive=pair[0], negative=pair[1])],
            )
        ),
        using="d",
        limit=5,
        search_params=models.SearchParams(exact=True),
    ).points

    def score(v: np.ndarray) -> float:
        side = np.sign(float(v @ vectors[pair[0]]) - float(v @ vectors[pair[1]]))
        t = float(v @ target)
        return side + 0.5 * (t / (1 + abs(t)) + 1)

    ranked = sorted(
        ((i, score(v)) for i, v in vectors.items() if i not in pair), key=lambda p: (-p[1], p[0])
    )
    np.testing.assert_allclose([p.score for p in got], [s for _, s in ranked[:5]], atol=1e-4)


def test_search_matrix_and_cluster_parameters_through_qdrant_client(
    client: QdrantClient, collection: str, qdrant_url: str
) -> None:
    distance = models.Distance.COSINE
    data = Data(seed=11)
    _fill(client, collection, data, distance, ordering=models.WriteOrdering.STRONG)

    def neighbours(point: int, sample: list[int], limit: int) -> list[tuple[int, float]]:
        ranked = expected_search(data, sample, distance, data.vectors[point - 1], None, limit + 1)
        return [p for p in ranked if p[0] != point][:limit]

    # Pairs: a random sample of the filtered points, each with its nearest in the sample.
    flt = FILTERS["keyword"]
    pairs = client.search_matrix_pairs(
        collection, query_filter=_filter(flt), sample=25, limit=4, consistency="majority"
    ).pairs
    sample = sorted({p.a for p in pairs})
    assert len(sample) == 25
    assert all(matches(i, data.payloads[i], flt) for i in sample)
    for a in sample:
        got = [(p.b, p.score) for p in pairs if p.a == a]
        expected = neighbours(a, sample, 4)
        assert [b for b, _ in got] == [b for b, _ in expected]
        np.testing.assert_allclose([s for _, s in got], [s for _, s in expected], rtol=1e-4)

    # Offsets: the same, indexed into the sorted sample.
    offsets = client.search_matrix_offsets(collection, sample=15, limit=2)
    assert offsets.ids == sorted(offsets.ids) and len(offsets.ids) == 15
    for row, a in enumerate(offsets.ids):
        cells = [k for k, r in enumerate(offsets.offsets_row) if r == row]
        got = [offsets.ids[offsets.offsets_col[k]] for k in cells]
        assert got == [b for b, _ in neighbours(a, offsets.ids, 2)]

    # Read consistency is taken on reads; a standalone server has no shard keys.
    hits = client.query_points(
        collection,
        query=data.queries[0].tolist(),
        limit=5,
        search_params=models.SearchParams(exact=True),
        consistency=models.ReadConsistencyType.QUORUM,
    ).points
    assert_same(hits, expected_search(data, data.ids, distance, data.queries[0], None, 5))
    count = f"/collections/{collection}/points/count?consistency=2"
    assert _post(qdrant_url, count, {"exact": True})["count"] == N
    with pytest.raises(UnexpectedResponse) as refused:
        client.create_shard_key(collection, "eu")
    assert refused.value.status_code == 400
    assert "Distributed mode disabled" in str(refused.value)
    assert not client.list_shard_keys(collection).shard_keys
    with pytest.raises(UnexpectedResponse) as refused:
        client.upsert(
            collection,
            points=[models.PointStruct(id=N + 1, vector=data.queries[1].tolist())],
            shard_key_selector="eu",
        )
    assert refused.value.status_code == 400
    message = json.loads(refused.value.content)["status"]["error"]
    assert message == 'Wrong input: Shard key "eu" not found'
    assert client.count(collection, exact=True).count == N
