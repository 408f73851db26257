"""``QdrantClient``: a Pythonic client whose Qdrant logic runs in the sandboxed component.

Every method is one call of a component export (see ``wit/qdrant.wit``). Values cross as
plain Python data (:mod:`._wit` adapts them to wasmtime-py); dense vectors cross as one
base64 string each way (WIT ``packed-vectors``), never as lists of floats.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import json
import os
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from typing import Any, Concatenate, ParamSpec, TypeVar

import numpy as np
from wasmtime.component import Variant

from . import errors
from ._convert import (
    _cluster_options,
    _filter,
    _hnsw,
    _info,
    _millis,
    _payload_selector,
    _point,
    _positive,
    _quantization,
    _query_request,
    _retry,
    _scored,
    _selector,
    _shard_key,
    _shard_key_back,
    _snapshot,
    _sparse,
    _sparse_params,
    _update,
    _vector_params,
    _vector_selector,
)
from ._sandbox import DEFAULT_CALL_TIMEOUT, DEFAULT_MEMORY_LIMIT, Instance, pack_vectors
from .embedded import EmbeddedQdrant
from .types import (
    Alias,
    CollectionInfo,
    HnswConfig,
    Point,
    Prefetch,
    Quantization,
    QueryRequest,
    RetryPolicy,
    ScoredPoint,
    ScrollPage,
    ShardKeySelector,
    Snapshot,
    SparseVectorParams,
    UpdateResult,
    VectorParams,
)

_P = ParamSpec("_P")
_R = TypeVar("_R")
_C = TypeVar("_C")


def _in_thread(
    method: Callable[Concatenate[_C, _P], _R],
) -> Callable[Concatenate[_C, _P], Coroutine[Any, Any, _R]]:
    """The asyncio twin of a client method: the same call, in a worker thread."""

    @functools.wraps(method)
    async def twin(self: _C, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        return await asyncio.to_thread(method, self, *args, **kwargs)

    twin.__name__ = twin.__qualname__ = f"a{method.__name__}"
    twin.__doc__ = f":meth:`{method.__name__}` without blocking the event loop."
    return twin


#: ``with_options``' default: keep this client's value.
_KEEP = object()


# ---- the client ----------------------------------------------------------------------

#: ``QdrantClient(":memory:")``: a throwaway local engine, as in qdrant-client.
MEMORY = ":memory:"


class QdrantClient:
    """A Qdrant client backed by the retriever component under wasmtime.

    ``url`` defaults to ``$QDRANT_URL``; ``api_key`` to ``$QDRANT_API_KEY``. ``timeout``
    is the read timeout in seconds (first byte of each answer, and between bytes; default
    30), ``connect_timeout`` the connect timeout (default 5), ``server_timeout`` Qdrant's
    own ``timeout`` for queries, counts, scrolls and collection changes (whole seconds),
    ``retry`` the retries of idempotent calls (a :class:`RetryPolicy`, or the number of
    attempts), ``upsert_retry`` the retries of each upsert request (a :class:`RetryPolicy`;
    default 8 attempts, 0.1 s doubling to 5 s, 60 s per request, so that bulk writes outlast
    transient faults), ``upsert_batch_size`` the points per upsert request (default 256).

    For a Qdrant cluster: ``consistency`` is how many replicas answer each read (a number,
    ``"majority"``, ``"quorum"`` or ``"all"``), ``ordering`` how writes are ordered
    (``"weak"``, ``"medium"``, ``"strong"``), and ``shard_key_selector`` the shards of a
    collection with custom sharding that point operations go to (a key, a list of keys,
    or a :class:`ShardKeyWithFallback`). :meth:`with_options` gives a client that shares
    this one's sandbox with other values, e.g. one per tenant.

    The sandbox's limits: ``memory_limit`` caps each instance's linear memory (bytes,
    default 64 MiB; exceeding it raises :class:`~qdrant_integration.errors.RuntimeFailure`
    and the next call runs in a fresh instance), ``call_timeout`` is each call's deadline
    in seconds (default 120; CPU and network waits together, retries included; exceeding
    it raises :class:`~qdrant_integration.errors.Timeout`).

    **Local mode**, as in qdrant-client: ``QdrantClient(":memory:")`` starts an embedded
    engine on a temporary directory, ``QdrantClient(path="./db")`` one that keeps its
    collections in ``./db`` (a second engine on the same path, in any process, is refused
    with an error that says so). ``close()``, leaving a ``with`` block, or the client being
    garbage-collected stops it.

    Instances are safe to share between threads (concurrent calls overlap their network
    waits), to ``copy.deepcopy`` (a copy gets its own sandbox, and shares a local engine)
    and to pickle (an unpickled local client reaches the engine while the original runs
    it). The ``a*`` methods (``aquery``, ``asearch``, ``aupsert``, ...) are the same calls for
    ``asyncio``: they run in a worker thread and never block the event loop.
    """

    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        server_timeout: float | None = None,
        retry: RetryPolicy | int | None = None,
        upsert_retry: RetryPolicy | None = None,
        upsert_batch_size: int | None = None,
        consistency: int | str | None = None,
        ordering: str | None = None,
        shard_key_selector: ShardKeySelector | None = None,
        memory_limit: int = DEFAULT_MEMORY_LIMIT,
        call_timeout: float = DEFAULT_CALL_TIMEOUT,
    ) -> None:
        self._local: EmbeddedQdrant | None = None
        if url == MEMORY or path is not None:
            if url not in (None, MEMORY) or (url == MEMORY and path is not None):
                raise errors.InvalidInput('pass one of url=, ":memory:" and path=')
            # Local mode: an embedded engine of this client's own, stopped by close().
            self._local = EmbeddedQdrant(data_dir=path)
            url = self._local.start()
        url = url or os.environ.get("QDRANT_URL")
        if not url:
            raise errors.InvalidInput("no Qdrant URL: pass url= or set QDRANT_URL")
        self.url = url
        self._api_key = api_key if api_key is not None else os.environ.get("QDRANT_API_KEY") or None
        if isinstance(retry, int) and not isinstance(retry, bool):
            retry = RetryPolicy(max_attempts=retry)
        self._options: dict[str, Any] = {
            "timeout": timeout,
            "connect_timeout": connect_timeout,
            "server_timeout": server_timeout,
            "retry": retry,
            "upsert_retry": upsert_retry,
            "upsert_batch_size": upsert_batch_size,
            "consistency": consistency,
            "ordering": ordering,
            "shard_key_selector": shard_key_selector,
            "memory_limit": memory_limit,
            "call_timeout": call_timeout,
        }
        if _positive(memory_limit, "memory_limit") < 1024 * 1024:
            raise errors.InvalidInput("memory_limit must be at least 1 MiB")
        if not call_timeout > 0:
            raise errors.InvalidInput(f"call_timeout must be positive, got {call_timeout!r}")
        self._config = {
            "url": url,
            "api_key": self._api_key,
            "timeout_ms": _millis(timeout),
            "connect_timeout_ms": _millis(connect_timeout),
            "server_timeout_s": None if server_timeout is None else max(1, int(server_timeout)),
            "retry": _retry(retry),
            "upsert_retry": _retry(upsert_retry),
            "upsert_batch_size": upsert_batch_size,
        }
        self._config.update(_cluster_options(consistency, ordering, shard_key_selector))
        self._instance = Instance(url, memory_limit, call_timeout)

    @property
    def timeout(self) -> float | None:
        return self._options["timeout"]

    def __repr__(self) -> str:
        return f"QdrantClient(url={self.url!r})"  # never the api-key

    def close(self) -> None:
        """Stops the engine of a local client (``":memory:"`` or ``path=``): its data is
        flushed, a ``":memory:"`` one's is gone. Nothing to do for a client of a server."""
        if self._local is not None:
            self._local.stop()

    def __enter__(self) -> QdrantClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __deepcopy__(self, memo: dict[int, Any]) -> QdrantClient:
        clone = QdrantClient(self.url, self._api_key, **self._options)
        # A local engine is shared, not copied: it runs while any copy is alive (or until
        # one of them is closed).
        clone._local = self._local
        return clone

    def __getstate__(self) -> dict[str, Any]:
        return {"url": self.url, "api_key": self._api_key, **self._options}

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        self.__init__(state.pop("url"), state.pop("api_key"), **state)  # type: ignore[misc]

    def with_options(
        self,
        *,
        consistency: int | str | object | None = _KEEP,
        ordering: str | object | None = _KEEP,
        shard_key_selector: ShardKeySelector | object | None = _KEEP,
    ) -> QdrantClient:
        """A client that shares this one's sandbox and server (and local engine) with other
        cluster parameters: each one given replaces this client's (``None`` unsets it), the
        others are kept. For example ``tenant = client.with_options(shard_key_selector="t7")``."""
        changed = {
            name: value
            for name, value in (
                ("consistency", consistency),
                ("ordering", ordering),
                ("shard_key_selector", shard_key_selector),
            )
            if value is not _KEEP
        }
        options = {**self._options, **changed}
        clone = copy.copy(self)
        clone._options = options
        clone._config = {
            **self._config,
            **_cluster_options(
                options["consistency"], options["ordering"], options["shard_key_selector"]
            ),
        }
        return clone

    def _named(self, kind: str, name: str) -> Any:
        """A user's spelling of a ``kind`` (distance, quantization), read by the component."""
        if not isinstance(name, str):
            raise errors.InvalidInput(f"a {kind} name is a string, not {name!r}")
        return self._call(f"{kind}-named", name)

    def _call(self, name: str, *args: Any, deadline: float | None = None) -> Any:
        return self._instance.call(name, self._config, *args, deadline=deadline)

    # -- service ------------------------------------------------------------------------

    def server_info(self) -> dict[str, str]:
        """``{"title": .., "version": ..}`` from ``GET /``."""
        info = self._call("health-check")
        return {"title": info["title"], "version": info["version"]}

    def health_check(self) -> bool:
        """``True`` when the server answers as Qdrant, ``False`` when it cannot be reached."""
        try:
            self.server_info()
        except (errors.ConnectionFailed, errors.Timeout):
            return False
        return True

    def ready(self) -> bool:
        """``GET /readyz``: whether the server is ready to serve requests."""
        return bool(self._call("ready"))

    # -- collections --------------------------------------------------------------------

    def create_collection(
        self,
        name: str,
        vector_size: int | None = None,
        distance: str = "Cosine",
        *,
        vectors: Mapping[str, VectorParams | int | Mapping[str, Any]] | None = None,
        sparse_vectors: Mapping[str, SparseVectorParams | str | None] | Sequence[str] | None = None,
        on_disk: bool | None = None,
        hnsw: HnswConfig | Mapping[str, Any] | None = None,
        quantization: Quantization | str | None = None,
        on_disk_payload: bool | None = None,
        shard_number: int | None = None,
        replication_factor: int | None = None,
        write_consistency_factor: int | None = None,
        sharding_method: str | None = None,
    ) -> None:
        """Creates a collection.

        ``vector_size`` (with ``distance``) gives it one unnamed dense vector; ``vectors``
        named dense vectors instead (name -> size, :class:`VectorParams` or its fields as
        a dict; a bare size uses ``distance``); ``sparse_vectors`` named sparse vectors
        (names, or name -> :class:`SparseVectorParams` / ``"idf"`` / ``None``). ``hnsw``
        and ``quantization`` apply to the whole collection; ``quantization`` is
        ``"scalar"``, ``"binary"``, ``"product"`` or a quantization dataclass.
        ``sharding_method="custom"`` makes a collection whose points are placed by shard
        key (see :meth:`create_shard_key`).
        """
        if sharding_method is not None and sharding_method not in ("auto", "custom"):
            raise errors.InvalidInput(
                f"unknown sharding_method {sharding_method!r}: use auto or custom"
            )
        if vector_size is not None and vectors is not None:
            raise errors.InvalidInput("give either vector_size or vectors=, not both")
        dense: list[dict[str, Any]] = []
        if vector_size is not None:
            size = _positive(vector_size, "vector_size")
            params = VectorParams(size, distance, on_disk)
            dense.append(_vector_params("", params, distance, self._named))
        elif vectors is not None:
            dense = [_vector_params(str(n), p, distance, self._named) for n, p in vectors.items()]
        else:
            self._named("distance", distance)
        if isinstance(sparse_vectors, Mapping):
            sparse = [_sparse_params(str(n), p) for n, p in sparse_vectors.items()]
        else:
            sparse = [_sparse_params(str(n), None) for n in sparse_vectors or ()]
        if not dense and not sparse:
            raise errors.InvalidInput("a collection needs vector_size, vectors= or sparse_vectors=")
        options = {
            "hnsw": _hnsw(hnsw),
            "quantization": _quantization(quantization, self._named),
            "on_disk_payload": on_disk_payload,
            "shard_number": shard_number,
            "replication_factor": replication_factor,
            "write_consistency_factor": write_consistency_factor,
            "sharding_method": sharding_method,
        }
        simple = vector_size is not None and on_disk is None and not sparse
        if simple and all(v is None for v in options.values()):
            self._call("create-collection", name, dense[0]["size"], dense[0]["distance"])
            return
        config = {"vectors": dense, "sparse_vectors": sparse, **options}
        self._call("create-collection-with", name, config)

    def update_collection(
        self,
        name: str,
        *,
        hnsw: HnswConfig | Mapping[str, Any] | None = None,
        quantization: Quantization | str | bool | None = None,
    ) -> None:
        """Changes HNSW settings and/or quantization (``False`` or ``"disabled"`` turns
        quantization off)."""
        change: Any = None
        if quantization is False or quantization == "disabled":
            change = Variant("disable")
        elif quantization is not None:
            change = Variant("enable", _quantization(quantization, self._named))
        self._call("update-collection", name, {"hnsw": _hnsw(hnsw), "quantization": change})

    def enable_quantization(self, name: str, kind: Quantization | str = "scalar") -> None:
        """Turns on ``"scalar"`` (int8), ``"binary"`` or ``"product"`` (x16) quantization."""
        self.update_collection(name, quantization=kind)

    def disable_quantization(self, name: str) -> None:
        self.update_collection(name, quantization=False)

    def delete_collection(self, name: str) -> bool:
        """Deletes a collection; ``False`` when it did not exist."""
        return bool(self._call("delete-collection", name))

    def collection_exists(self, name: str) -> bool:
        return bool(self._call("collection-exists", name))

    def collection_info(self, name: str) -> CollectionInfo:
        return _info(self._call("get-collection", name))

    def list_collections(self) -> list[str]:
        return list(self._call("list-collections"))

    def create_alias(self, alias: str, collection: str) -> None:
        self._call("create-alias", alias, collection)

    def delete_alias(self, alias: str) -> None:
        self._call("delete-alias", alias)

    def create_shard_key(self, collection: str, key: str | int) -> None:
        """Creates the shards of ``key`` in a collection made with
        ``sharding_method="custom"``."""
        self._call("create-shard-key", collection, _shard_key(key))

    def delete_shard_key(self, collection: str, key: str | int) -> None:
        """Deletes the shards of ``key`` and the points in them."""
        self._call("delete-shard-key", collection, _shard_key(key))

    def list_shard_keys(self, collection: str) -> list[str | int]:
        """The shard keys of a collection (empty for automatic sharding)."""
        return [_shard_key_back(k) for k in self._call("list-shard-keys", collection)]

    def list_aliases(self, collection: str | None = None) -> list[Alias]:
        """All aliases, or those of ``collection``."""
        return [Alias(a["alias"], a["collection"]) for a in self._call("list-aliases", collection)]

    # -- points -------------------------------------------------------------------------

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
        integers, UUIDs or any other non-empty strings (mapped to a deterministic UUID;
        results report the original). With ``wait`` (the default) the call returns once
        the points are searchable. Invalid input raises before anything is written.
        """
        count = len(ids)
        arrays: dict[str, np.ndarray] = {}
        columns = vectors if isinstance(vectors, Mapping) else {"": vectors}
        for name, rows in columns.items():
            if rows is None:
                continue
            array = np.asarray(rows, dtype="<f4")
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
        texts = [] if payloads is None else [json.dumps({} if p is None else p) for p in payloads]
        id_texts = [str(i) for i in ids]
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
            [str(i) for i in ids],
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
            "set-payload", collection, selector, json.dumps(payload), key, bool(wait)
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
            "overwrite-payload", collection, selector, json.dumps(payload), bool(wait)
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
            "limit": int(limit),
            "offset": None if offset is None else str(offset),
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

    # -- queries ------------------------------------------------------------------------

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
        array = np.asarray(vector, dtype=np.float32)
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

    # -- payload indexes and snapshots --------------------------------------------------

    def create_payload_index(
        self, collection: str, field: str, schema: str = "keyword", *, wait: bool = True
    ) -> UpdateResult:
        """Indexes a payload field: ``schema`` is keyword, integer, float, bool, geo,
        datetime, text or uuid."""
        kind = schema.lower()
        kind = "boolean" if kind == "bool" else kind
        return _update(self._call("create-payload-index", collection, field, kind, bool(wait)))

    def delete_payload_index(
        self, collection: str, field: str, *, wait: bool = True
    ) -> UpdateResult:
        return _update(self._call("delete-payload-index", collection, field, bool(wait)))

    def create_snapshot(self, collection: str) -> Snapshot:
        return _snapshot(self._call("create-snapshot", collection))

    def list_snapshots(self, collection: str) -> list[Snapshot]:
        return [_snapshot(s) for s in self._call("list-snapshots", collection)]

    def delete_snapshot(self, collection: str, snapshot: Snapshot | str) -> bool:
        """``False`` when there was no such snapshot."""
        name = snapshot.name if isinstance(snapshot, Snapshot) else snapshot
        return bool(self._call("delete-snapshot", collection, name))

    def restore_snapshot(
        self, collection: str, snapshot: Snapshot | str, *, checksum: str | None = None
    ) -> None:
        """Restores ``collection`` from a snapshot the *server* fetches: a ``file://`` or
        ``http(s)://`` location, or the name (or :class:`Snapshot`) of one of this
        collection's snapshots on this server. Over http the server sends no api-key, so
        a key-protected server restores by name only through ``file://``."""
        if isinstance(snapshot, Snapshot):
            checksum = checksum or snapshot.checksum
            snapshot = snapshot.name
        # The component turns a bare name into that snapshot's URL on this server.
        self._call("recover-snapshot", collection, snapshot, checksum)

    # -- asyncio ------------------------------------------------------------------------
    # ``a`` + the name: the same call in a worker thread (``asyncio.to_thread``), so the event
    # loop keeps running and concurrent calls overlap their network waits.

    aserver_info = _in_thread(server_info)
    ahealth_check = _in_thread(health_check)
    aready = _in_thread(ready)
    acreate_collection = _in_thread(create_collection)
    aupdate_collection = _in_thread(update_collection)
    aenable_quantization = _in_thread(enable_quantization)
    adisable_quantization = _in_thread(disable_quantization)
    adelete_collection = _in_thread(delete_collection)
    acollection_exists = _in_thread(collection_exists)
    acollection_info = _in_thread(collection_info)
    alist_collections = _in_thread(list_collections)
    acreate_alias = _in_thread(create_alias)
    adelete_alias = _in_thread(delete_alias)
    alist_aliases = _in_thread(list_aliases)
    acreate_shard_key = _in_thread(create_shard_key)
    adelete_shard_key = _in_thread(delete_shard_key)
    alist_shard_keys = _in_thread(list_shard_keys)
    aupsert = _in_thread(upsert)
    aget_points = _in_thread(get_points)
    adelete_points = _in_thread(delete_points)
    aset_payload = _in_thread(set_payload)
    aoverwrite_payload = _in_thread(overwrite_payload)
    adelete_payload_keys = _in_thread(delete_payload_keys)
    aclear_payload = _in_thread(clear_payload)
    acount = _in_thread(count)
    ascroll = _in_thread(scroll)
    aquery = _in_thread(query)
    aquery_batch = _in_thread(query_batch)
    asearch = _in_thread(search)
    acreate_payload_index = _in_thread(create_payload_index)
    adelete_payload_index = _in_thread(delete_payload_index)
    acreate_snapshot = _in_thread(create_snapshot)
    alist_snapshots = _in_thread(list_snapshots)
    adelete_snapshot = _in_thread(delete_snapshot)
    arestore_snapshot = _in_thread(restore_snapshot)
