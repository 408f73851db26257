"""``QdrantClient``: a Pythonic client whose Qdrant logic runs in the sandboxed component."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import errors
from ._component import Instance, pack_vectors, record

DISTANCES = {"cosine", "dot", "euclid", "manhattan"}


@dataclass(frozen=True)
class ScoredPoint:
    """A query result: the id as upserted, its score and payload."""

    id: str
    score: float
    payload: dict[str, Any] = field(default_factory=dict)


class QdrantClient:
    """A Qdrant client backed by the retriever component under wasmtime.

    ``url`` defaults to ``$QDRANT_URL``; ``api_key`` to ``$QDRANT_API_KEY``. Instances are
    safe to share between threads and to ``copy.deepcopy`` (a copy gets its own sandbox).
    """

    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float | None = None,
    ) -> None:
        url = url or os.environ.get("QDRANT_URL")
        if not url:
            raise errors.InvalidInput("no Qdrant URL: pass url= or set QDRANT_URL")
        self.url = url
        self._api_key = api_key if api_key is not None else os.environ.get("QDRANT_API_KEY") or None
        self.timeout = timeout
        timeout_ms = None if timeout is None else max(1, int(timeout * 1000))
        self._config = record(url=url, api_key=self._api_key, timeout_ms=timeout_ms)
        self._instance = Instance(url)

    def __repr__(self) -> str:
        return f"QdrantClient(url={self.url!r})"  # never the api-key

    def __deepcopy__(self, memo: dict[int, Any]) -> QdrantClient:
        return QdrantClient(self.url, self._api_key, timeout=self.timeout)

    def __getstate__(self) -> dict[str, Any]:
        return {"url": self.url, "api_key": self._api_key, "timeout": self.timeout}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["url"], state["api_key"], timeout=state["timeout"])  # type: ignore[misc]

    def _call(self, name: str, *args: Any) -> Any:
        return self._instance.call(name, self._config, *args)

    # -- service ------------------------------------------------------------------------

    def server_info(self) -> dict[str, str]:
        """``{"title": .., "version": ..}`` from ``GET /``."""
        info = self._call("health-check")
        return {"title": info.title, "version": info.version}

    def health_check(self) -> bool:
        """``True`` when the server answers as Qdrant, ``False`` when it cannot be reached."""
        try:
            self.server_info()
        except (errors.ConnectionFailed, errors.Timeout):
            return False
        return True

    # -- collections --------------------------------------------------------------------

    def create_collection(self, name: str, vector_size: int, distance: str = "Cosine") -> None:
        """Creates a collection of ``vector_size``-dimensional dense vectors."""
        wit_distance = distance.lower()
        if wit_distance not in DISTANCES:
            raise errors.InvalidInput(
                f"unknown distance {distance!r}: use Cosine, Dot, Euclid or Manhattan"
            )
        if isinstance(vector_size, bool) or not isinstance(vector_size, int) or vector_size < 1:
            raise errors.InvalidInput(f"vector_size must be a positive int, got {vector_size!r}")
        self._call("create-collection", name, vector_size, wit_distance)

    def delete_collection(self, name: str) -> bool:
        """Deletes a collection; ``False`` when it did not exist."""
        return bool(self._call("delete-collection", name))

    def collection_exists(self, name: str) -> bool:
        return bool(self._call("collection-exists", name))

    # -- points -------------------------------------------------------------------------

    def upsert(
        self,
        collection: str,
        ids: Sequence[str | int],
        vectors: Any,
        payloads: Sequence[Mapping[str, Any] | None] | None = None,
    ) -> int:
        """Upserts points column-wise; ``vectors`` is a 2-D array-like (e.g. numpy).

        Ids are unsigned integers, UUIDs or any other non-empty strings (mapped to a
        deterministic UUID; results report the original). Waits until searchable; returns
        the number written. Invalid input raises before anything is written.
        """
        packed, count, dimension = pack_vectors(vectors)
        if count != len(ids):
            raise errors.InvalidInput(f"{len(ids)} ids but {count} vectors")
        if payloads is not None and len(payloads) != count:
            raise errors.InvalidInput(f"{count} points but {len(payloads)} payloads")
        batch = record(
            ids=[str(i) for i in ids],
            vectors=packed,
            dimension=dimension,
            payloads=[] if payloads is None else [json.dumps(p or {}) for p in payloads],
        )
        return int(self._call("upsert-points", collection, batch))

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
        """The ``limit`` nearest points to ``vector``, best first.

        ``filter`` is a Qdrant filter in full (a dict or its JSON); ``must`` is the shortcut
        for exact keyword matches (``{"category": "docs"}``). Not both.
        """
        if filter is not None and must is not None:
            raise errors.InvalidInput("give either filter= or must=, not both")
        wit_filter: str | list[tuple[str, str]] | None = None
        if filter is not None:
            wit_filter = filter if isinstance(filter, str) else json.dumps(filter)
        elif must is not None:
            pairs = must.items() if isinstance(must, Mapping) else must
            wit_filter = [(str(k), str(v)) for k, v in pairs]
        packed, count, _ = pack_vectors(vector)
        if count != 1:
            raise errors.InvalidInput("search takes one vector")
        request = record(
            collection=collection,
            vector=packed,
            limit=int(limit),
            filter=wit_filter,
            score_threshold=None if score_threshold is None else float(score_threshold),
            with_payload=with_payload,
        )
        points = self._call("query", request)
        return [ScoredPoint(p.id, p.score, json.loads(p.payload)) for p in points]
