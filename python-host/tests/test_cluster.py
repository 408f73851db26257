"""Read consistency, write ordering and shard keys through the Python host, answered as a
standalone Qdrant (the embedded engine, or one Qdrant server) answers them."""

from __future__ import annotations

import copy
import pickle
import uuid

import numpy as np
import pytest

from qdrant_integration import QdrantClient, ShardKeyWithFallback, errors

DIM = 8
N = 30


def _vectors() -> np.ndarray:
    rng = np.random.default_rng(11)
    v = rng.standard_normal((N, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture
def seeded(client: QdrantClient, collection: str) -> np.ndarray:
    vectors = _vectors()
    client.create_collection(collection, DIM, "Cosine")
    client.upsert(collection, list(range(N)), vectors, [{"n": i} for i in range(N)])
    return vectors


def _nearest(vectors: np.ndarray, query: np.ndarray, k: int) -> list[str]:
    return [str(i) for i in np.argsort(-(vectors @ query), kind="stable")[:k]]


@pytest.mark.parametrize("consistency", [2, "majority", "quorum", "all"])
def test_reads_and_writes_with_consistency_and_ordering(
    client: QdrantClient, collection: str, seeded: np.ndarray, consistency: int | str
) -> None:
    careful = client.with_options(consistency=consistency, ordering="strong")
    hits = careful.query(collection, seeded[3], limit=5, exact=True)
    assert [h.id for h in hits] == _nearest(seeded, seeded[3], 5)
    assert careful.count(collection) == N
    assert careful.set_payload(collection, {"seen": True}, ids=[4], wait=True).completed
    assert careful.get_points(collection, [4])[0].payload == {"n": 4, "seen": True}
    # The original client is unchanged, a further with_options keeps what it does not name,
    # and the options survive a copy and a pickle.
    assert client._config["read_consistency"] is None
    narrower = careful.with_options(shard_key_selector="eu")
    assert narrower._config["write_ordering"] == "strong"
    assert narrower._config["read_consistency"] == careful._config["read_consistency"]
    assert careful.with_options(ordering=None)._config["write_ordering"] is None
    for clone in (copy.deepcopy(careful), pickle.loads(pickle.dumps(careful))):
        assert clone.count(collection) == N
        assert clone._config["write_ordering"] == "strong"


def test_a_named_shard_key_does_not_exist_on_a_standalone_server(
    client: QdrantClient, collection: str, seeded: np.ndarray
) -> None:
    tenant = client.with_options(shard_key_selector="eu")
    with pytest.raises(errors.BadRequest, match='Shard key "eu" not found'):
        tenant.upsert(collection, [999], seeded[:1])
    with pytest.raises(errors.BadRequest, match='Shard key "eu" not found'):
        tenant.query(collection, seeded[0], limit=3)
    with pytest.raises(errors.BadRequest, match="Shard key 7 not found"):
        client.with_options(shard_key_selector=[7, "eu"]).count(collection)
    fallback = client.with_options(shard_key_selector=ShardKeyWithFallback("tenant-1", "shared"))
    with pytest.raises(errors.NotFound, match='Neither target shard key "tenant-1"'):
        fallback.delete_points(collection, ids=[1])
    for bad in ([], [""], -1, 1.5, True):
        with pytest.raises(errors.InvalidInput):
            client.with_options(shard_key_selector=bad).count(collection)
    assert client.count(collection) == N  # nothing was written or deleted


def test_shard_keys_are_a_distributed_mode_feature(
    client: QdrantClient, collection: str, seeded: np.ndarray
) -> None:
    with pytest.raises(errors.BadRequest, match="Distributed mode disabled"):
        client.create_shard_key(collection, "eu")
    with pytest.raises(errors.BadRequest, match="Distributed mode disabled"):
        client.delete_shard_key(collection, 3)
    assert client.list_shard_keys(collection) == []


def test_a_custom_sharded_collection_has_no_shards_on_a_standalone_server(
    client: QdrantClient,
) -> None:
    name = f"py_custom_{uuid.uuid4().hex[:8]}"
    client.create_collection(name, DIM, "Dot", sharding_method="custom")
    try:
        assert client.collection_info(name).config["params"]["sharding_method"] == "custom"
        assert client.list_shard_keys(name) == []
        with pytest.raises(errors.BadRequest, match="Shard key not specified"):
            client.upsert(name, [1], _vectors()[:1])
        assert client.count(name) == 0
        assert client.query(name, _vectors()[0], limit=3) == []
    finally:
        client.delete_collection(name)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"consistency": "most"}, "unknown consistency"),
        ({"consistency": 0}, "consistency"),
        ({"ordering": "fast"}, "unknown ordering"),
    ],
)
def test_bad_cluster_options_are_refused_before_anything_is_sent(
    client: QdrantClient, options: dict, message: str
) -> None:
    with pytest.raises(errors.InvalidInput, match=message):
        client.with_options(**options)
    with pytest.raises(errors.InvalidInput, match=message):
        QdrantClient(client.url, **options)
    with pytest.raises(errors.InvalidInput, match="sharding_method"):
        client.create_collection("never", DIM, sharding_method="random")
