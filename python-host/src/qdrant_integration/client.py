"""``QdrantClient``: a Pythonic client whose Qdrant logic runs in the sandboxed component.

Every method is one call of a component export (see ``wit/qdrant.wit``). Values cross as
plain Python data (:mod:`._wit` adapts them to wasmtime-py); dense vectors cross as one
base64 string each way (WIT ``packed-vectors``), never as lists of floats.

The calls are split by area, as in the component and the Rust host: :mod:`._service`,
:mod:`._collections` (with aliases, shard keys and payload indexes), :mod:`._points`,
:mod:`._query` and :mod:`._snapshots`. This module holds the client that composes them:
its options, its sandbox, and the ``a*`` twins of every call.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import os
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, TypeVar

from . import errors
from ._collections import CollectionsArea
from ._convert import _cluster_options, _millis, _positive, _retry
from ._points import PointsArea
from ._query import QueryArea
from ._sandbox import DEFAULT_CALL_TIMEOUT, DEFAULT_MEMORY_LIMIT, Instance
from ._service import ServiceArea
from ._snapshots import SnapshotsArea
from .embedded import EmbeddedQdrant

# The types in this module's signatures before the calls were split by area stay importable
# from here (``from qdrant_integration.client import Point``).
from .types import (  # noqa: F401
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


class QdrantClient(ServiceArea, CollectionsArea, PointsArea, QueryArea, SnapshotsArea):
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
    it). A pickled client carries its api-key, so that it works in a worker process: keep
    its pickles where the key may be (``repr()`` never shows it). The ``a*`` methods
    (``aquery``, ``asearch``, ``aupsert``, ...) are the same calls for ``asyncio``: they run
    in a worker thread and never block the event loop.
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
        if api_key is not None and not isinstance(api_key, str):
            # The type only, never the value: a key given as bytes is still a key.
            raise TypeError(f"api_key must be a str, not {type(api_key).__name__}")
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
        self._instance = Instance(url, memory_limit, call_timeout)
        # What a policy leaves unset is the component's default for that budget.
        defaults = (
            self._instance.call("default-config", url)
            if retry is not None or upsert_retry is not None
            else None
        )
        self._config = {
            "url": url,
            "api_key": self._api_key,
            "timeout_ms": _millis(timeout),
            "connect_timeout_ms": _millis(connect_timeout),
            "server_timeout_s": None if server_timeout is None else max(1, int(server_timeout)),
            "retry": _retry(retry, defaults and defaults["retry"]),
            "upsert_retry": _retry(upsert_retry, defaults and defaults["upsert_retry"]),
            "upsert_batch_size": upsert_batch_size,
        }
        self._config.update(_cluster_options(consistency, ordering, shard_key_selector))

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

    # -- asyncio ------------------------------------------------------------------------
    # ``a`` + the name: the same call in a worker thread (``asyncio.to_thread``), so the event
    # loop keeps running and concurrent calls overlap their network waits.

    aserver_info = _in_thread(ServiceArea.server_info)
    ahealth_check = _in_thread(ServiceArea.health_check)
    aready = _in_thread(ServiceArea.ready)
    acreate_collection = _in_thread(CollectionsArea.create_collection)
    aupdate_collection = _in_thread(CollectionsArea.update_collection)
    aenable_quantization = _in_thread(CollectionsArea.enable_quantization)
    adisable_quantization = _in_thread(CollectionsArea.disable_quantization)
    adelete_collection = _in_thread(CollectionsArea.delete_collection)
    acollection_exists = _in_thread(CollectionsArea.collection_exists)
    acollection_info = _in_thread(CollectionsArea.collection_info)
    alist_collections = _in_thread(CollectionsArea.list_collections)
    acreate_alias = _in_thread(CollectionsArea.create_alias)
    adelete_alias = _in_thread(CollectionsArea.delete_alias)
    alist_aliases = _in_thread(CollectionsArea.list_aliases)
    acreate_shard_key = _in_thread(CollectionsArea.create_shard_key)
    adelete_shard_key = _in_thread(CollectionsArea.delete_shard_key)
    alist_shard_keys = _in_thread(CollectionsArea.list_shard_keys)
    acreate_payload_index = _in_thread(CollectionsArea.create_payload_index)
    adelete_payload_index = _in_thread(CollectionsArea.delete_payload_index)
    aupsert = _in_thread(PointsArea.upsert)
    aget_points = _in_thread(PointsArea.get_points)
    adelete_points = _in_thread(PointsArea.delete_points)
    aset_payload = _in_thread(PointsArea.set_payload)
    aoverwrite_payload = _in_thread(PointsArea.overwrite_payload)
    adelete_payload_keys = _in_thread(PointsArea.delete_payload_keys)
    aclear_payload = _in_thread(PointsArea.clear_payload)
    acount = _in_thread(PointsArea.count)
    ascroll = _in_thread(PointsArea.scroll)
    aquery = _in_thread(QueryArea.query)
    aquery_batch = _in_thread(QueryArea.query_batch)
    asearch = _in_thread(QueryArea.search)
    acreate_snapshot = _in_thread(SnapshotsArea.create_snapshot)
    alist_snapshots = _in_thread(SnapshotsArea.list_snapshots)
    adelete_snapshot = _in_thread(SnapshotsArea.delete_snapshot)
    arestore_snapshot = _in_thread(SnapshotsArea.restore_snapshot)
