"""The sandbox: loads the retriever component once per process and calls its exports.

Only this module touches wasmtime. The component is the `retriever-hosted` build: it has
deny-all WASI (no files, environment or sockets) and no wasi:http; its only way out is
the `http-transport` import, implemented in :mod:`._transport`, which allows the client's
Qdrant origin only. A wasmtime Store is not thread-safe, and wasmtime-py 50 keeps
module-level state while lowering values, so calls are serialised by one lock; each client
owns its store, which is rebuilt after a trap.
"""

from __future__ import annotations

import base64
import os
import threading
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from wasmtime import Config, Engine, Store, WasiConfig, WasmtimeError
from wasmtime.component import Component, Linker, Record

from . import _transport, _wit, errors

INTERFACE = "qdrant:retriever/client@0.1.0"
TRANSPORT = "qdrant:retriever/http-transport@0.1.0"
#: Every export of ``interface client``.
FUNCTIONS = (
    "health-check",
    "ready",
    "create-collection",
    "create-collection-with",
    "update-collection",
    "delete-collection",
    "collection-exists",
    "get-collection",
    "list-collections",
    "create-alias",
    "delete-alias",
    "list-aliases",
    "upsert-points",
    "get-points",
    "delete-points",
    "set-payload",
    "overwrite-payload",
    "delete-payload-keys",
    "clear-payload",
    "count",
    "scroll",
    "query",
    "query-batch",
    "create-payload-index",
    "delete-payload-index",
    "create-snapshot",
    "list-snapshots",
    "delete-snapshot",
    "recover-snapshot",
)

_CALL_LOCK = threading.RLock()


def component_path() -> Path:
    """The shipped component, or ``QDRANT_COMPONENT_WASM`` when set (for development)."""
    override = os.environ.get("QDRANT_COMPONENT_WASM")
    if override:
        return Path(override)
    path = Path(str(resources.files(__package__).joinpath("qdrant_component.wasm")))
    if not path.exists():
        raise errors.RuntimeFailure(
            f"the component is missing at {path}: build it with `bash scripts/setup.sh`"
        )
    return path


class _Runtime:
    """Engine, compiled component and linker: immutable, shared by every store."""

    def __init__(self) -> None:
        self.engine = Engine(Config())
        self.component = Component.from_file(self.engine, str(component_path()))
        self.linker = Linker(self.engine)
        self.linker.add_wasip2()
        with self.linker.root() as root, root.add_instance(TRANSPORT) as transport:
            transport.add_func("send", _transport.send)
        interface = self.component.get_export_index(INTERFACE)
        if interface is None:
            raise errors.RuntimeFailure(f"the component does not export {INTERFACE}")
        types = self.component.type.exports(self.engine)[INTERFACE].ty.exports(self.engine)
        missing = [name for name in FUNCTIONS if name not in types]
        if missing:
            raise errors.RuntimeFailure(f"the component lacks exports {missing}: rebuild it")
        self.functions = {
            name: self.component.get_export_index(name, interface) for name in FUNCTIONS
        }
        # Codecs between plain Python values and wasmtime-py's, compiled once per process.
        self.codecs = {name: _wit.Function(name, types[name].ty) for name in FUNCTIONS}


_runtime: _Runtime | None = None


def runtime() -> _Runtime:
    global _runtime
    with _CALL_LOCK:
        if _runtime is None:
            _runtime = _Runtime()
        return _runtime


class Instance:
    """One store and instance of the component, allowed to reach ``url``'s origin only;
    replaced after a trap."""

    def __init__(self, url: str) -> None:
        self._origin = _transport.Origin.of_url(url)
        self._store: Store | None = None
        self._funcs: dict[str, Any] = {}

    def _ensure(self) -> None:
        if self._store is not None:
            return
        rt = runtime()
        store = Store(rt.engine)
        # Deny-all WASI: no arguments, environment, preopened directories or sockets.
        store.set_wasi(WasiConfig())
        instance = rt.linker.instantiate(store, rt.component)
        self._funcs = {name: instance.get_func(store, idx) for name, idx in rt.functions.items()}
        self._store = store

    def call(self, name: str, *args: Any) -> Any:
        """Calls an export with plain Python arguments (see :mod:`._wit`); returns its
        ``ok`` value, lifted the same way, or raises the mapped WIT error."""
        codec = runtime().codecs[name]
        lowered = codec.lower(args)
        with _CALL_LOCK, _transport.allow(self._origin):
            try:
                self._ensure()
                result = self._funcs[name](self._store, *lowered)
            except WasmtimeError as e:
                # The store is unusable after a trap: start over on the next call.
                self._store = None
                raise errors.RuntimeFailure(f"{name}: {e}") from e
        if codec.result is None:
            return None
        outcome = codec.result.lift(result)
        if outcome.tag == "err":
            error = outcome.payload
            raise errors.from_wit(error.tag, error.payload)
        return outcome.payload


def record(**fields: Any) -> Record:
    """A WIT record from snake_case keyword arguments (WIT field names are kebab-case)."""
    value = Record()
    for key, field in fields.items():
        setattr(value, key.replace("_", "-"), field)
    return value


def pack_vectors(vectors: Any, dimension: int | None = None) -> tuple[str, int, int]:
    """Packs vectors as the WIT ``packed-vectors`` string: base64 of little-endian f32.

    Returns ``(packed, count, dimension)``. One string crosses into the component in a
    single copy, where a ``list<f32>`` would be lowered float by float.
    """
    array = np.asarray(vectors, dtype="<f4")
    if array.ndim == 1:
        array = array.reshape(1, -1)
    if array.ndim != 2:
        raise errors.InvalidInput(f"vectors must be 1- or 2-dimensional, got shape {array.shape}")
    if dimension is not None and array.shape[1] != dimension:
        raise errors.InvalidInput(f"expected dimension {dimension}, got {array.shape[1]}")
    packed = base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")
    return packed, array.shape[0], array.shape[1]
