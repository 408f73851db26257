"""``QdrantRM``: a DSPy retriever over the sandboxed client.

Use it directly (``rm("question", k=3)``) or as DSPy's retrieval model:
``dspy.configure(rm=QdrantRM(...))`` then ``dspy.Retrieve(k=3)(question).passages``.
"""

from __future__ import annotations

import asyncio
import copy
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import dspy
import numpy as np
from dspy.dsp.utils import dotdict

from .client import QdrantClient
from .embeddings import Vectorizer, resolve_vectorizer
from .sparse import BM25Encoder
from .types import Prefetch, QueryRequest

#: The constant of reciprocal rank fusion: a passage at rank r (from 1) scores 1 / (60 + r).
RRF_K = 60
_STATE_KEYS = (
    "k",
    "collection_name",
    "document_field",
    "vector_name",
    "hybrid",
    "sparse_vector_name",
    "fusion",
)


def _filter_json(filter: Any) -> Any:
    """A Qdrant filter as a dict / JSON text, or a ``qdrant_client.models.Filter``."""
    if filter is not None and hasattr(filter, "model_dump"):
        return filter.model_dump(mode="json", exclude_none=True)
    return filter


class QdrantRM(dspy.Retrieve):
    """Retrieves passages from a Qdrant collection by embedding similarity.

    The constructor takes the classic arguments (``url``, ``collection_name``,
    ``embedding_model``, ``api_key``, ``k``) and dspy-qdrant's (``document_field``,
    ``vector_name``, ``vectorizer``; ``qdrant_collection_name`` and ``qdrant_client`` as
    keyword aliases). ``vector_name=None`` uses the collection's unnamed vector, or its
    first named one (read from the collection on first use). ``client`` (or
    ``qdrant_client``) is a :class:`QdrantClient` to use instead of ``url``/``api_key``;
    ``path="./db"`` (or ``url=":memory:"``) runs a local embedded engine, as
    :class:`QdrantClient` does.

    Each passage is a ``dotdict`` with ``long_text`` (the payload's ``document_field``),
    ``score``, ``id`` and the full ``payload``. With ``hybrid=True``, every query is dense
    + BM25 sparse (:class:`~qdrant_integration.sparse.BM25Encoder`, in the sparse vector
    ``sparse_vector_name`` with the server's IDF), fused by the server with RRF.

    ``fusion`` says how the results of several queries merge: ``"max"`` (each passage
    keeps its best score over the queries, the default) or ``"rrf"`` (reciprocal rank
    fusion: the sum of ``1 / (60 + rank)`` over the queries that found it, which favours
    passages several queries agree on).
    """

    def __init__(
        self,
        url: str | None = None,
        collection_name: str | None = None,
        embedding_model: str | None = None,
        api_key: str | None = None,
        k: int = 3,
        *,
        document_field: str = "text",
        vector_name: str | None = None,
        vectorizer: Vectorizer | None = None,
        client: QdrantClient | None = None,
        hybrid: bool = False,
        sparse_vector_name: str = "bm25",
        sparse_encoder: BM25Encoder | None = None,
        fusion: str = "max",
        qdrant_collection_name: str | None = None,
        qdrant_client: QdrantClient | None = None,
        path: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__(k=k)
        self.client = client or qdrant_client or QdrantClient(url, api_key, path=path)
        self.collection_name = collection_name or qdrant_collection_name or "documents"
        self.document_field = document_field
        self.vector_name = vector_name
        self.hybrid = bool(hybrid)
        self.sparse_vector_name = sparse_vector_name
        self.sparse_encoder = sparse_encoder or BM25Encoder()
        if fusion not in ("max", "rrf"):
            raise ValueError(f"fusion must be 'max' or 'rrf', got {fusion!r}")
        self.fusion = fusion
        self.vectorizer = vectorizer or resolve_vectorizer(embedding_model)
        self._using: tuple[str | None] | None = None  # the resolved dense vector name

    def __deepcopy__(self, memo: dict[int, Any]) -> QdrantRM:
        # DSPy deep-copies modules: share the (read-only) embedding model, give the copy
        # its own sandboxed client.
        clone = copy.copy(self)
        clone.client = copy.deepcopy(self.client, memo)
        return clone

    # -- state (``program.save()`` / ``load()``) ----------------------------------------

    def dump_state(self, json_mode: bool = True) -> dict[str, Any]:
        """The settings ``program.save()`` stores: ``k``, the collection, the payload
        field, the vector names and ``hybrid``. Never the url, api-key or model."""
        return {key: getattr(self, key) for key in _STATE_KEYS}

    def load_state(self, state: Mapping[str, Any]) -> QdrantRM:
        for key in _STATE_KEYS:
            if key in state:
                setattr(self, key, state[key])
        self._using = None
        return self

    # -- retrieval ----------------------------------------------------------------------

    def dense_vector_name(self) -> str | None:
        """``vector_name``, or the collection's unnamed vector (``None``), or its first
        named dense vector."""
        if self.vector_name is not None:
            return self.vector_name
        if self._using is None:
            vectors = self.client.collection_info(self.collection_name).vectors
            name = None if not vectors or "" in vectors else next(iter(vectors))
            self._using = (name,)
        return self._using[0]

    def _requests(
        self, queries: list[str], k: int, filter: Any, with_payload: Any
    ) -> list[QueryRequest]:
        vectors = np.asarray(self.vectorizer(queries), dtype=np.float32)
        using = self.dense_vector_name()
        if not self.hybrid:
            return [
                QueryRequest(
                    query=vector, using=using, filter=filter, limit=k, with_payload=with_payload
                )
                for vector in vectors
            ]
        candidates = max(k * 4, 20)
        sparse = self.sparse_encoder.encode_queries(queries)
        return [
            QueryRequest(
                prefetch=[
                    Prefetch(vector, using, filter=filter, limit=candidates),
                    Prefetch(terms, self.sparse_vector_name, filter=filter, limit=candidates),
                ],
                fusion="rrf",
                limit=k,
                with_payload=with_payload,
            )
            for vector, terms in zip(vectors, sparse, strict=True)
        ]

    def forward(
        self,
        query_or_queries: str | Sequence[str],
        k: int | None = None,
        filter: Any = None,
        **kwargs: Any,
    ) -> list[dotdict]:
        """The ``k`` best passages (``k=None``: the module's ``k``), best first.

        One query returns its hits with their scores. Several queries go to the server
        in one batch request, ``k`` hits each, and are fused as ``fusion`` says (best
        score, or reciprocal rank); the result still has at most ``k`` passages, never
        one per query and hit. ``filter`` is a Qdrant filter (dict, JSON text or
        ``qdrant_client.models.Filter``).
        """
        k = self.k if k is None else int(k)
        queries = (
            [query_or_queries] if isinstance(query_or_queries, str) else list(query_or_queries)
        )
        queries = [q for q in queries if q]
        if not queries or k < 1:
            return []
        requests = self._requests(queries, k, _filter_json(filter), True)
        if len(requests) == 1:
            hits = self.client.query(self.collection_name, **vars(requests[0]))
            return [self._passage(p.id, p.score, p.payload) for p in hits]
        fused: dict[str, float] = {}
        payloads: dict[str, dict[str, Any]] = {}
        for hits in self.client.query_batch(self.collection_name, requests):
            for rank, point in enumerate(hits, start=1):
                if self.fusion == "rrf":
                    fused[point.id] = fused.get(point.id, 0.0) + 1.0 / (RRF_K + rank)
                else:
                    fused[point.id] = max(fused.get(point.id, -np.inf), point.score)
                payloads.setdefault(point.id, point.payload)
        best = sorted(fused.items(), key=lambda item: item[1], reverse=True)[:k]
        return [self._passage(pid, score, payloads[pid]) for pid, score in best]

    def _passage(self, pid: str, score: float, payload: dict[str, Any]) -> dotdict:
        return dotdict(
            long_text=str(payload.get(self.document_field, "")),
            score=score,
            id=pid,
            payload=payload,
        )

    async def aforward(
        self,
        query_or_queries: str | Sequence[str],
        k: int | None = None,
        filter: Any = None,
        **kwargs: Any,
    ) -> list[dotdict]:
        """:meth:`forward` in a worker thread: the event loop is not blocked."""
        return await asyncio.to_thread(self.forward, query_or_queries, k, filter, **kwargs)

    async def acall(self, *args: Any, **kwargs: Any) -> list[dotdict]:
        return await self.aforward(*args, **kwargs)

    def as_tool(self, name: str = "search", k: int | None = None) -> Callable[..., list[str]]:
        """A typed, documented search function for agents (``dspy.ReAct(sig,
        tools=[rm.as_tool()])``): ``search(query: str, k: int = 3) -> list[str]``."""
        default_k = self.k if k is None else k
        retriever = self

        def search(query: str, k: int = default_k) -> list[str]:
            return [p.long_text for p in retriever.forward(query, k=k)]

        search.__name__ = search.__qualname__ = name
        search.__doc__ = (
            f"Searches the {self.collection_name!r} collection for passages relevant to "
            "`query` and returns the texts of the `k` best, most relevant first."
        )
        return search

    # -- indexing -----------------------------------------------------------------------

    def index_documents(
        self,
        texts: Sequence[str],
        metadata: Sequence[Mapping[str, Any]] | None = None,
        ids: Sequence[str | int] | None = None,
        batch_size: int = 64,
        distance: str = "Cosine",
        progress: bool = True,
    ) -> int:
        """Embeds ``texts`` and upserts them (creating the collection if needed), with a
        progress bar when tqdm is installed and ``progress`` is true; returns the number
        written. In hybrid mode the points also get BM25 sparse vectors (and a new
        collection a sparse vector with ``modifier: idf``).

        Ids default to a UUID derived from the text, so re-indexing is idempotent.
        """
        if metadata is not None and len(metadata) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(metadata)} metadata entries")
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        ids = (
            list(ids)
            if ids is not None
            else [str(uuid.uuid5(uuid.NAMESPACE_URL, t)) for t in texts]
        )
        bar = _progress(len(texts), progress)
        written = 0
        try:
            for start in range(0, len(texts), batch_size):
                chunk = list(texts[start : start + batch_size])
                vectors = np.asarray(self.vectorizer(chunk), dtype=np.float32)
                if written == 0:
                    self._ensure_collection(int(vectors.shape[1]), distance)
                payloads = [
                    {**(metadata[start + i] if metadata else {}), self.document_field: text}
                    for i, text in enumerate(chunk)
                ]
                using = self.dense_vector_name()
                columns: Any = vectors if using is None else {using: vectors}
                sparse = None
                if self.hybrid:
                    sparse = {self.sparse_vector_name: self.sparse_encoder.encode_documents(chunk)}
                written += self.client.upsert(
                    self.collection_name,
                    ids[start : start + batch_size],
                    columns,
                    payloads,
                    sparse_vectors=sparse,
                )
                if bar is not None:
                    bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()
        return written

    def _ensure_collection(self, dimension: int, distance: str) -> None:
        if self.client.collection_exists(self.collection_name):
            return
        if self.hybrid:
            self.client.create_collection(
                self.collection_name,
                vectors={self.vector_name or "dense": dimension},
                distance=distance,
                sparse_vectors={self.sparse_vector_name: "idf"},
            )
        elif self.vector_name:
            self.client.create_collection(
                self.collection_name, vectors={self.vector_name: dimension}, distance=distance
            )
        else:
            self.client.create_collection(self.collection_name, dimension, distance)
        self._using = None


def _progress(total: int, enabled: bool) -> Any:
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc="indexing", unit="doc")
