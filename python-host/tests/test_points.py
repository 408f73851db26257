"""Points against the engine: scroll, count, get, delete, payload operations, upserts;
expected answers are computed from the data (``surface_data.py``)."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from surface_data import DIM, dataset

from qdrant_integration import QdrantClient, errors


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
