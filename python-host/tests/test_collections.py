"""Collections against the engine: info and updates, payload indexes, aliases,
snapshots."""

from __future__ import annotations

import numpy as np
import pytest
from surface_data import DIM, dataset, unit

from qdrant_integration import QdrantClient, errors
from qdrant_integration.types import (
    Alias,
    HnswConfig,
    SparseVectorParams,
    VectorParams,
)


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
