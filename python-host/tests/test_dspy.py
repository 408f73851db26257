"""``QdrantRM`` as DSPy's retriever, with the real offline all-MiniLM-L6-v2 embedder."""

from __future__ import annotations

import copy

import dspy
import numpy as np
import pytest

from qdrant_integration import MiniLMEmbedder, QdrantClient, QdrantRM

DOCS = [
    "Qdrant is a vector database for similarity search.",
    "The Eiffel Tower is in Paris and was finished in 1889.",
    "Photosynthesis turns sunlight, water and carbon dioxide into sugar.",
    "Python lists are mutable sequences; tuples are immutable.",
    "The Pacific is the largest and deepest ocean on Earth.",
]


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def test_embedder_matches_minilm_shape_and_norm(embedder: MiniLMEmbedder) -> None:
    vectors = embedder(["hello world", "a much longer sentence about vector databases"])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Same text alone or padded in a batch embeds the same.
    assert np.allclose(embedder(["hello world"])[0], vectors[0], atol=1e-5)


def test_embedding_pools_real_tokens_only(embedder: MiniLMEmbedder) -> None:
    # Reference: the model run on one text's tokens alone (no padding at all), mean-pooled
    # and normalised. Batching, padding and sorting must not change the result.
    text = "The with statement wraps a block in a context manager."
    tokens = embedder._tokenizer.encode(text).ids  # type: ignore[union-attr]
    ids = np.array([tokens], dtype=np.int64)
    feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
    if "token_type_ids" in embedder._inputs:
        feeds["token_type_ids"] = np.zeros_like(ids)
    hidden = embedder._session.run(None, feeds)[0][0]  # type: ignore[union-attr]
    reference = hidden.mean(axis=0) / np.linalg.norm(hidden.mean(axis=0))
    batch = embedder(["short", text, " ".join(["a much longer text"] * 20)])
    assert np.allclose(batch[1], reference, atol=1e-4)


def test_retrieve_through_dspy(
    client: QdrantClient, collection: str, embedder: MiniLMEmbedder
) -> None:
    rm = QdrantRM(collection_name=collection, client=client, vectorizer=embedder, k=2)
    assert rm.index_documents(DOCS, metadata=[{"n": i} for i in range(len(DOCS))]) == len(DOCS)

    with dspy.context(rm=rm):
        passages = dspy.Retrieve(k=3)("Which ocean is the biggest?").passages
    assert len(passages) == 3
    assert passages[0] == DOCS[4]

    direct = rm("Where is the Eiffel Tower?")
    assert len(direct) == 2  # k=None means the module's k
    assert direct[0].long_text == DOCS[1] and direct[0].payload["n"] == 1
    assert direct[0].score > direct[1].score

    several = rm(["tuples versus lists in Python", "how do plants make sugar"], k=2)
    assert {p.long_text for p in several} == {DOCS[2], DOCS[3]}

    filtered = rm(
        "Which ocean is the biggest?", k=1, filter={"must": [{"key": "n", "match": {"value": 0}}]}
    )
    assert [p.long_text for p in filtered] == [DOCS[0]]


def test_state_and_deepcopy(client: QdrantClient, embedder: MiniLMEmbedder) -> None:
    rm = QdrantRM(collection_name="c1", client=client, vectorizer=embedder, k=4)
    state = rm.dump_state(json_mode=True)
    other = QdrantRM(collection_name="c2", client=client, vectorizer=embedder)
    other.load_state(state)
    assert (other.k, other.collection_name) == (4, "c1")
    clone = copy.deepcopy(rm)
    assert clone.client is not rm.client and clone.vectorizer is rm.vectorizer
