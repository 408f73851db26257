"""``QdrantRM``: a DSPy retriever over the sandboxed client.

Use it directly (``rm("question", k=3)``) or as DSPy's retrieval model:
``dspy.configure(rm=QdrantRM(...))`` then ``dspy.Retrieve(k=3)(question).passages``.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import dspy
from dspy.dsp.utils import dotdict

from .client import QdrantClient
from .embeddings import Vectorizer, resolve_vectorizer


class QdrantRM(dspy.Retrieve):
    """Retrieves passages from a Qdrant collection by embedding similarity.

    Each passage is a ``dotdict`` with ``long_text`` (the payload's ``document_field``),
    ``score``, ``id`` and the full ``payload``.
    """

    def __init__(
        self,
        url: str | None = None,
        collection_name: str = "documents",
        embedding_model: str | None = None,
        api_key: str | None = None,
        k: int = 3,
        *,
        document_field: str = "text",
        vectorizer: Vectorizer | None = None,
        client: QdrantClient | None = None,
    ) -> None:
        super().__init__(k=k)
        self.client = client or QdrantClient(url, api_key)
        self.collection_name = collection_name
        self.document_field = document_field
        self.vectorizer = vectorizer or resolve_vectorizer(embedding_model)

    def __deepcopy__(self, memo: dict[int, Any]) -> QdrantRM:
        # DSPy deep-copies modules: share the (read-only) embedding model, give the copy
        # its own sandboxed client.
        clone = copy.copy(self)
        clone.client = copy.deepcopy(self.client, memo)
        return clone

    def dump_state(self, json_mode: bool = True) -> dict[str, Any]:
        return {
            "k": self.k,
            "collection_name": self.collection_name,
            "document_field": self.document_field,
        }

    def load_state(self, state: Mapping[str, Any]) -> QdrantRM:
        for key in ("k", "collection_name", "document_field"):
            if key in state:
                setattr(self, key, state[key])
        return self

    def forward(
        self,
        query_or_queries: str | Sequence[str],
        k: int | None = None,
        filter: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> list[dotdict]:
        """The ``k`` best passages; with several queries, each passage keeps its best score."""
        k = self.k if k is None else k
        queries = (
            [query_or_queries] if isinstance(query_or_queries, str) else list(query_or_queries)
        )
        queries = [q for q in queries if q]
        if not queries:
            return []
        best: dict[str, dotdict] = {}
        for vector in self.vectorizer(queries):
            for point in self.client.search(self.collection_name, vector, k, filter=filter):
                seen = best.get(point.id)
                if seen is None or point.score > seen.score:
                    best[point.id] = dotdict(
                        long_text=str(point.payload.get(self.document_field, "")),
                        score=point.score,
                        id=point.id,
                        payload=point.payload,
                    )
        return sorted(best.values(), key=lambda p: p.score, reverse=True)[:k]

    def index_documents(
        self,
        texts: Sequence[str],
        metadata: Sequence[Mapping[str, Any]] | None = None,
        ids: Sequence[str | int] | None = None,
        batch_size: int = 64,
        distance: str = "Cosine",
    ) -> int:
        """Embeds ``texts`` and upserts them (creating the collection if needed).

        Ids default to a UUID derived from the text, so re-indexing is idempotent.
        """
        if metadata is not None and len(metadata) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(metadata)} metadata entries")
        ids = (
            list(ids)
            if ids is not None
            else [str(uuid.uuid5(uuid.NAMESPACE_URL, t)) for t in texts]
        )
        written = 0
        for start in range(0, len(texts), batch_size):
            chunk = list(texts[start : start + batch_size])
            vectors = self.vectorizer(chunk)
            if written == 0 and not self.client.collection_exists(self.collection_name):
                self.client.create_collection(self.collection_name, int(vectors.shape[1]), distance)
            payloads = [
                {**(metadata[start + i] if metadata else {}), self.document_field: text}
                for i, text in enumerate(chunk)
            ]
            written += self.client.upsert(
                self.collection_name, ids[start : start + batch_size], vectors, payloads
            )
        return written
