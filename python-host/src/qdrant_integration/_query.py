"""The query calls of :class:`~qdrant_integration.client.QdrantClient`: the Query API, its
batches, and ``search`` (one dense vector)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import errors
from ._area import ClientArea
from ._convert import _query_request, _scored
from ._sandbox import as_vectors
from .types import Prefetch, QueryRequest, ScoredPoint


class QueryArea(ClientArea):
    """Nearest points, best first."""

    def query(
        self,
        collection: str,
        query: Any = None,
        *,
        using: str | None = None,
        prefetch: Sequence[Prefetch | Mapping[str, Any]] = (),
        fusion: str | None = None,
        filter: Mapping[str, Any] | str | None = None,
        must: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
        limit: int = 10,
        offset: int = 0,
        score_threshold: float | None = None,
        with_payload: Any = True,
        with_vectors: Any = False,
        hnsw_ef: int | None = None,
        exact: bool = False,
    ) -> list[ScoredPoint]:
        """The Query API, best first.

        ``query`` is a dense vector, a sparse vector (:class:`SparseVector` or ``(indices,
        values)``) or a point id (nearest to that point's stored vector). ``using`` names
        the vector; ``prefetch`` (a list of :class:`Prefetch` or dicts) with
        ``fusion="rrf"|"dbsf"`` instead of ``query`` fuses first stages;
        ``filter`` (a Qdrant filter as dict or JSON) or ``must`` (exact keyword matches),
        ``limit``, ``offset``, ``score_threshold``, ``with_payload`` (``True``/``False``,
        a list of keys, ``{"exclude": [...]}``), ``with_vectors`` (``True``/``False``/
        names), ``hnsw_ef``, ``exact``.
        """
        request = QueryRequest(
            query=query,
            using=using,
            prefetch=prefetch,
            fusion=fusion,
            filter=filter,
            must=must,
            limit=limit,
            offset=offset,
            score_threshold=score_threshold,
            with_payload=with_payload,
            with_vectors=with_vectors,
            hnsw_ef=hnsw_ef,
            exact=exact,
        )
        points = self._call("query", collection, _query_request(request))
        return [_scored(p) for p in points]

    def query_batch(
        self, collection: str, requests: Sequence[QueryRequest | Mapping[str, Any]]
    ) -> list[list[ScoredPoint]]:
        """Several queries in one request; one result list per query, in order."""
        answers = self._call("query-batch", collection, [_query_request(r) for r in requests])
        return [[_scored(p) for p in points] for points in answers]

    def search(
        self,
        collection: str,
        vector: Any,
        limit: int = 10,
        *,
        filter: Mapping[str, Any] | str | None = None,
        must: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
        score_threshold: float | None = None,
        with_payload: bool = True,
    ) -> list[ScoredPoint]:
        """The ``limit`` nearest points to the dense ``vector``, best first.

        ``filter`` is a Qdrant filter in full (a dict or its JSON); ``must`` is the shortcut
        for exact keyword matches (``{"category": "docs"}``). Not both.
        """
        array = as_vectors(vector, "vector")
        if array.ndim == 2 and array.shape[0] == 1:
            array = array[0]
        if array.ndim != 1:
            raise errors.InvalidInput("search takes one vector")
        return self.query(
            collection,
            array,
            filter=filter,
            must=must,
            limit=limit,
            score_threshold=score_threshold,
            with_payload=with_payload,
        )
