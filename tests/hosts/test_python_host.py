"""The retrieval smoke test through the Python host (wasmtime-py, `retriever-hosted`)."""

from __future__ import annotations

import os

from smoke import DIMENSION, LIMIT, check_hits, payload, smoke_data

from qdrant_integration import QdrantClient


def test_retrieval_smoke(qdrant_url):
    client = QdrantClient(qdrant_url, os.environ.get("QDRANT_API_KEY"))
    collection = "smoke_python"
    assert client.health_check()
    client.delete_collection(collection)
    client.create_collection(collection, DIMENSION, "Cosine")
    vectors, query = smoke_data()
    ids = list(range(1, len(vectors) + 1))
    written = client.upsert(collection, ids, vectors, [payload(i) for i in range(len(vectors))])
    assert written == len(vectors)
    hits = client.search(collection, query, LIMIT, must={"group": "red"})
    check_hits([(h.id, h.score, h.payload) for h in hits], vectors, query)
    assert client.delete_collection(collection)
    assert not client.collection_exists(collection)
