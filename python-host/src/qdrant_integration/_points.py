"""The point calls of :class:`~qdrant_integration.client.QdrantClient`: upsert (split into
calls that fit the sandbox's memory), get, delete, payload changes, count and scroll."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from . import errors
from ._area import ClientArea
from ._convert import (
    _filter,
    _id,
    _ids,
    _integer,
    _json,
    _payload_selector,
    _payload_texts,
    _point,
    _selector,
    _sparse,
    _update,
    _vector_selector,
)
from ._sandbox import as_vectors, pack_vectors
from .types import Point, ScrollPage, UpdateResult


class PointsArea(ClientArea):
    """Writing, reading and counting the points of a collection."""

    def upsert(
        self,
        collection: str,
        ids: Sequence[str | int],
        vectors: Any = None,
        payloads: Sequence[Mapping[str, Any] | None] | None = None,
        *,
        sparse_vectors: Mapping[str, Sequence[Any]] | None = None,
        wait: bool = True,
    ) -> int:
        """Upserts points column-wise; returns the number written.

        ``vectors`` is a 2-D array-like (e.g. numpy) for the unnamed vector, or a dict
        vector name -> 2-D array-like; ``sparse_vectors`` maps a sparse vector name to one
        ``(indices, values)`` (or :class:`SparseVector`) per point. Ids are unsigned
        integers (below 2**64), UUIDs (strings or :class:`uuid.UUID`) or any other
        non-empty strings (mapped to a deterministic UUID; results report the original);
        ``ids`` is a sequence of them, never one bare string. With ``wait`` (the default)
        the call returns once the points are searchable. Invalid input raises before
        anything is written.
        """
        count = len(ids)
        id_texts = _ids(ids, "point")
        arrays: dict[str, np.ndarray] = {}
        columns = vectors if isinstance(vectors, Mapping) else {"": vectors}
        for name, rows in columns.items():
            if rows is None:
                continue
            array = as_vectors(rows, f"vectors {name!r}" if name else "vectors")
            if array.ndim == 1:
                array = array.reshape(1, -1)
            if array.ndim != 2:
                raise errors.InvalidInput(f"vectors must be 2-dimensional, got {array.shape}")
            if array.shape[0] != count:
                where = f" in {name!r}" if name else ""
                raise errors.InvalidInput(f"{count} ids but {array.shape[0]} vectors{where}")
            arrays[str(name)] = array
        sparse_columns = {}
        for name, column in (sparse_vectors or {}).items():
            column = [_sparse(v) for v in column]
            if len(column) != count:
                raise errors.InvalidInput(f"{count} ids but {len(column)} sparse vectors")
            sparse_columns[str(name)] = column
        if payloads is not None and len(payloads) != count:
            raise errors.InvalidInput(f"{count} points but {len(payloads)} payloads")
        texts = [] if payloads is None else _payload_texts(payloads)
        chunks = self._upsert_chunks(arrays, sparse_columns, texts, count)

        def batch(start: int, end: int) -> dict[str, Any]:
            return {
                "ids": id_texts[start:end],
                "dense": [
                    {
                        "name": name,
                        "dimension": int(array.shape[1]),
                        "data": pack_vectors(array[start:end])[0],
                    }
                    for name, array in arrays.items()
                ],
                "sparse": [
                    {"name": name, "vectors": column[start:end]}
                    for name, column in sparse_columns.items()
                ],
                "payloads": texts[start:end],
            }

        # One deadline for the whole upsert, however many calls it takes.
        deadline = time.monotonic() + self._instance.call_timeout
        if len(chunks) > 1:
            # Several calls: the component checks every part before the first one writes
            # anything (each upsert call checks only its own points). Parts are built
            # twice rather than held, so only one part's packed vectors exist at a time.
            for start, end in chunks:
                try:
                    self._call("validate-points", batch(start, end), deadline=deadline)
                except errors.InvalidInput as e:
                    if start == 0:
                        raise
                    # The component counts points from the start of the part it was given.
                    raise errors.InvalidInput(
                        f"{e} (points counted from point {start} of this upsert)"
                    ) from None
        written = 0
        for start, end in chunks:
            written += int(
                self._call(
                    "upsert-points", collection, batch(start, end), bool(wait), deadline=deadline
                )
            )
        return written

    def _upsert_chunks(
        self,
        arrays: Mapping[str, np.ndarray],
        sparse: Mapping[str, list[dict[str, Any]]],
        payloads: list[str],
        count: int,
    ) -> list[tuple[int, int]]:
        """Splits an upsert into calls whose data stays well under the memory cap (the
        component holds a call's input, its decoded vectors and one request body)."""
        budget = max(1, self._instance.memory_limit // 16)
        per_point = np.full(count, 64, dtype=np.int64)  # id and bookkeeping
        for array in arrays.values():
            per_point += array.shape[1] * 4 * 4 // 3
        for column in sparse.values():
            per_point += np.array([len(v["indices"]) * 12 for v in column], dtype=np.int64)
        if payloads:
            per_point += np.array([len(p) for p in payloads], dtype=np.int64)
        chunks = []
        start, used = 0, 0
        for i, size in enumerate(per_point.tolist()):
            if i > start and used + size > budget:
                chunks.append((start, i))
                start, used = i, 0
            used += size
        chunks.append((start, count))
        return chunks

    def get_points(
        self,
        collection: str,
        ids: Sequence[str | int],
        *,
        with_payload: Any = True,
        with_vectors: Any = False,
    ) -> list[Point]:
        """The points with these ids that exist, in the order asked."""
        points = self._call(
            "get-points",
            collection,
            _ids(ids, "ids item"),
            _payload_selector(with_payload),
            _vector_selector(with_vectors),
        )
        return [_point(p) for p in points]

    def delete_points(
        self,
        collection: str,
        ids: Sequence[str | int] | None = None,
        *,
        filter: Any = None,
        must: Any = None,
        wait: bool = True,
    ) -> UpdateResult:
        """Deletes the points with these ids, or those matching ``filter``/``must``."""
        selector = _selector(ids, filter, must)
        return _update(self._call("delete-points", collection, selector, bool(wait)))

    def set_payload(
        self,
        collection: str,
        payload: Mapping[str, Any],
        ids: Sequence[str | int] | None = None,
        *,
        filter: Any = None,
        must: Any = None,
        key: str | None = None,
        wait: bool = True,
    ) -> UpdateResult:
        """Merges ``payload`` into the selected points' payloads (into the nested object
        at ``key`` when given)."""
        selector = _selector(ids, filter, must)
        result = self._call(
            "set-payload", collection, selector, _json(payload, "payload"), key, bool(wait)
        )
        return _update(result)

    def overwrite_payload(
        self,
        collection: str,
        payload: Mapping[str, Any],
        ids: Sequence[str | int] | None = None,
        *,
        filter: Any = None,
        must: Any = None,
        wait: bool = True,
    ) -> UpdateResult:
        """Replaces the selected points' payloads with ``payload``."""
        selector = _selector(ids, filter, must)
        result = self._call(
            "overwrite-payload", collection, selector, _json(payload, "payload"), bool(wait)
        )
        return _update(result)

    def delete_payload_keys(
        self,
        collection: str,
        keys: Sequence[str],
        ids: Sequence[str | int] | None = None,
        *,
        filter: Any = None,
        must: Any = None,
        wait: bool = True,
    ) -> UpdateResult:
        selector = _selector(ids, filter, must)
        keys = [keys] if isinstance(keys, str) else list(keys)
        return _update(self._call("delete-payload-keys", collection, selector, keys, bool(wait)))

    def clear_payload(
        self,
        collection: str,
        ids: Sequence[str | int] | None = None,
        *,
        filter: Any = None,
        must: Any = None,
        wait: bool = True,
    ) -> UpdateResult:
        selector = _selector(ids, filter, must)
        return _update(self._call("clear-payload", collection, selector, bool(wait)))

    def count(
        self, collection: str, filter: Any = None, *, must: Any = None, exact: bool = True
    ) -> int:
        """Points matching ``filter`` (all points without one); ``exact=False`` allows a
        faster estimate."""
        return int(self._call("count", collection, _filter(filter, must), bool(exact)))

    def scroll(
        self,
        collection: str,
        *,
        filter: Any = None,
        must: Any = None,
        limit: int = 100,
        offset: str | int | None = None,
        with_payload: Any = True,
        with_vectors: Any = False,
    ) -> ScrollPage:
        """One page of points in id order; pass ``next_offset`` back as ``offset``."""
        request = {
            "filter": _filter(filter, must),
            "limit": _integer(limit),
            "offset": None if offset is None else _id(offset, "offset"),
            "with_payload": _payload_selector(with_payload),
            "with_vectors": _vector_selector(with_vectors),
        }
        page = self._call("scroll", collection, request)
        return ScrollPage([_point(p) for p in page["points"]], page["next_offset"])

    def scroll_all(
        self,
        collection: str,
        *,
        filter: Any = None,
        must: Any = None,
        batch_size: int = 256,
        with_payload: Any = True,
        with_vectors: Any = False,
    ) -> Iterator[Point]:
        """Every (matching) point of the collection, one page of ``batch_size`` at a time."""
        offset: str | None = None
        while True:
            page = self.scroll(
                collection,
                filter=filter,
                must=must,
                limit=batch_size,
                offset=offset,
                with_payload=with_payload,
                with_vectors=with_vectors,
            )
            yield from page.points
            if page.next_offset is None:
                return
            offset = page.next_offset
