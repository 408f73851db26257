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


def _record_calls(client: QdrantClient, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    original = client._instance.call

    def call(name: str, *args: object, **kwargs: object) -> object:
        calls.append(name)
        return original(name, *args, **kwargs)

    monkeypatch.setattr(client._instance, "call", call)
    return calls


def test_several_queries_go_in_one_batch_and_return_at_most_k(
    client: QdrantClient,
    collection: str,
    embedder: MiniLMEmbedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rm = QdrantRM(collection_name=collection, client=client, vectorizer=embedder, k=2)
    rm.index_documents(DOCS, progress=False)
    rm.dense_vector_name()  # reads the collection once
    calls = _record_calls(client, monkeypatch)
    queries = ["largest ocean", "Eiffel Tower", "plants and sunlight", "vector search"]
    passages = rm(queries)
    assert calls == ["query-batch"]
    assert len(passages) == 2  # k, not one per query and hit
    assert all(set(p) == {"long_text", "score", "id", "payload"} for p in passages)
    assert len(rm(queries, k=4)) == 4
    rrf = QdrantRM(collection_name=collection, client=client, vectorizer=embedder, fusion="rrf")
    fused = rrf(queries, k=3)
    assert len(fused) == 3 and fused[0].score <= len(queries) / 61


def test_dspy_qdrant_arguments_and_named_vector_detection(
    client: QdrantClient, collection: str, embedder: MiniLMEmbedder
) -> None:
    client.create_collection(collection, vectors={"minilm": 384})
    client.upsert(
        collection,
        list(range(len(DOCS))),
        {"minilm": embedder(DOCS)},
        [{"document": d} for d in DOCS],
    )
    rm = QdrantRM(
        qdrant_collection_name=collection,
        qdrant_client=client,
        k=1,
        document_field="document",
        vectorizer=embedder,
    )
    assert rm.dense_vector_name() == "minilm"
    assert rm("Where is the Eiffel Tower?")[0].long_text == DOCS[1]
    qdrant_models = pytest.importorskip("qdrant_client.models")
    only_zero = qdrant_models.Filter(
        must=[
            qdrant_models.FieldCondition(
                key="document", match=qdrant_models.MatchValue(value=DOCS[0])
            )
        ]
    )
    assert rm("Which ocean is the biggest?", filter=only_zero)[0].id == "0"


def test_hybrid_dense_and_bm25(
    client: QdrantClient, collection: str, embedder: MiniLMEmbedder
) -> None:
    rm = QdrantRM(collection_name=collection, client=client, vectorizer=embedder, hybrid=True, k=2)
    assert rm.index_documents(DOCS, batch_size=2) == len(DOCS)
    info = client.collection_info(collection)
    assert set(info.vectors) == {"dense"}
    assert info.sparse_vectors["bm25"].modifier == "idf"
    assert rm("Eiffel 1889")[0].long_text == DOCS[1]
    assert rm(["mutable tuples", "carbon dioxide sugar"], k=2)[0].long_text in (DOCS[2], DOCS[3])
    # The sparse half alone finds the keyword match.
    terms = rm.sparse_encoder.encode_query("photosynthesis")
    hits = client.query(collection, terms, using="bm25", limit=1)
    assert hits[0].payload["text"] == DOCS[2]


def test_bm25_encoder_is_deterministic() -> None:
    from qdrant_integration.sparse import BM25Encoder, token_index

    encoder = BM25Encoder()
    doc = encoder.encode_document("The cat sat on the cat mat")
    assert doc == BM25Encoder().encode_document("The cat sat on the cat mat")
    assert doc.indices == sorted(set(doc.indices)) and len(doc.indices) == 3  # cat, sat, mat
    cat = doc.values[doc.indices.index(token_index("cat"))]
    sat = doc.values[doc.indices.index(token_index("sat"))]
    assert cat > sat > 0  # term frequency, saturated
    assert cat < 2 * sat
    query = encoder.encode_query("cat cat mat")
    assert sorted(query.values) == [1.0, 1.0]
    assert 0 <= token_index("cat") < 2**32


def test_program_with_the_rm_saves_and_loads(
    client: QdrantClient, embedder: MiniLMEmbedder, tmp_path: object
) -> None:
    class RAG(dspy.Module):
        def __init__(self, rm: QdrantRM) -> None:
            super().__init__()
            self.retrieve = rm

        def forward(self, question: str) -> list:
            return self.retrieve(question)

    path = f"{tmp_path}/program.json"
    RAG(QdrantRM(collection_name="saved", client=client, vectorizer=embedder, k=5)).save(path)
    loaded = RAG(QdrantRM(collection_name="other", client=client, vectorizer=embedder))
    loaded.load(path)
    assert (loaded.retrieve.k, loaded.retrieve.collection_name) == (5, "saved")
    with open(path) as f:
        assert "api_key" not in f.read()


def test_search_tool_for_react(
    client: QdrantClient, collection: str, embedder: MiniLMEmbedder
) -> None:
    import inspect
    import typing

    rm = QdrantRM(collection_name=collection, client=client, vectorizer=embedder, k=2)
    rm.index_documents(DOCS, progress=False)
    search = rm.as_tool()
    assert search.__name__ == "search" and "passages" in (search.__doc__ or "")
    hints = typing.get_type_hints(search)
    assert hints == {"query": str, "k": int, "return": list[str]}
    assert inspect.signature(search).parameters["k"].default == 2
    react = dspy.ReAct("question -> answer", tools=[search])
    tool = react.tools["search"]
    assert set(tool.args) == {"query", "k"}
    assert tool(query="biggest ocean", k=1) == [DOCS[4]]
    assert search("Eiffel Tower")[0] == DOCS[1]


def test_aforward(client: QdrantClient, collection: str, embedder: MiniLMEmbedder) -> None:
    import asyncio

    rm = QdrantRM(collection_name=collection, client=client, vectorizer=embedder, k=1)
    rm.index_documents(DOCS, progress=False)
    passages = asyncio.run(rm.aforward("How do plants make sugar?"))
    assert passages[0].long_text == DOCS[2]


def test_other_models_need_sentence_transformers(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from qdrant_integration.embeddings import resolve_vectorizer

    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(ImportError, match="needs sentence-transformers"):
        resolve_vectorizer("BAAI/bge-small-en-v1.5")
    assert isinstance(resolve_vectorizer("all-MiniLM-L6-v2"), MiniLMEmbedder)
