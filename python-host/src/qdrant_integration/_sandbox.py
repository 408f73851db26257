"""The sandbox: loads the retriever component once per process and calls its exports.

Only this module touches wasmtime. The component is the `retriever-hosted` build: it has
deny-all WASI (no files, environment or sockets) and no wasi:http; its only way out is
the `http-transport` import, implemented in :mod:`._egress`, which allows the client's
Qdrant origin only.

Limits: each store has a memory cap (``Store.set_limits``) and each call a deadline:
epoch interruption for CPU (a daemon thread ticks the engine's epoch every 10 ms while
calls run; the store's deadline is set before each call), and for I/O the transport's connect/read
timeouts, cut to what is left of the call's budget (a spent budget fails the next request
with a timeout instead of sending it, and cuts off an answer still arriving), and a body
larger than the memory cap is not read at all: that traps the call, as lowering it into
the instance would. A trap (memory, deadline, a guest panic) discards
that store; the next call instantiates a fresh one.

Threads: a wasmtime Store is not thread-safe, and wasmtime-py keeps module-level
state while converting values (``case_test_cache``, ``LAST_EXCEPTION``), so every
wasmtime-py operation runs under one process-wide lock. The lock is released while the
transport waits on the network (no wasmtime-py state is touched then), and each client
keeps a pool of stores, one per concurrent call: many threads (or ``asyncio`` tasks, via
worker threads) calling one client overlap their network waits.
"""

from __future__ import annotations

import atexit
import base64
import itertools
import os
import threading
import time
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from wasmtime import Config, Engine, Store, WasiConfig, WasmtimeError
from wasmtime.component import Component, FuncType, Linker, Record, Variant

from . import _calls, _egress, _wit, errors

INTERFACE = "qdrant:retriever/client@0.1.0"
TRANSPORT = "qdrant:retriever/http-transport@0.1.0"
#: Serialises every use of wasmtime-py (see the module docstring); released during I/O.
_CALL_LOCK = threading.Lock()
_RUNTIME_LOCK = threading.Lock()

#: Default per-store memory cap and per-call deadline (as the Rust host).
DEFAULT_MEMORY_LIMIT = 64 * 1024 * 1024
DEFAULT_CALL_TIMEOUT = 120.0
#: Idle sandboxes a client keeps for its next calls (more are dropped after use).
MAX_IDLE_SANDBOXES = 8
#: The epoch ticks every this many seconds.
EPOCH_SECONDS = 0.01
#: The CPU deadline trails the I/O deadline a little, so that a call whose last request
#: timed out reports the transport's timeout instead of trapping.
_EPOCH_GRACE = 0.25


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


def _send(_store: object, request: Record) -> Any:
    """The ``http-transport.send`` import: the network wait runs without the call lock."""
    _CALL_LOCK.release()
    try:
        return _egress.send(_store, request)
    finally:
        _CALL_LOCK.acquire()


#: Requests begun with ``http-transport.start``, by ticket, until ``finish``.
_started: dict[int, Record] = {}
_tickets = itertools.count()


def _start(_store: object, request: Record) -> int:
    """The ``http-transport.start`` import. This host sends at ``finish``: no overlap with
    the component's work, the same answers in the same order."""
    ticket = next(_tickets)
    _started[ticket] = request
    return ticket


def _finish(store: object, ticket: int) -> Any:
    """The ``http-transport.finish`` import."""
    request = _started.pop(ticket, None)
    if request is None:
        return Variant("connection", f"no request was started as ticket {ticket}")
    return _send(store, request)


#: Calls in flight; the epoch ticker sleeps while there are none.
_active = 0
_active_lock = threading.Lock()
_busy = threading.Event()


def _ticker(engine: Engine) -> None:
    while True:
        _busy.wait()
        time.sleep(EPOCH_SECONDS)
        engine.increment_epoch()


class _Active:
    def __enter__(self) -> None:
        global _active
        with _active_lock:
            _active += 1
            _busy.set()

    def __exit__(self, *exc: object) -> None:
        global _active
        with _active_lock:
            _active -= 1
            if _active == 0:
                _busy.clear()


class _Runtime:
    """Engine, compiled component and linker: immutable, shared by every store."""

    def __init__(self) -> None:
        config = Config()
        config.epoch_interruption = True
        self.engine = Engine(config)
        self.component = Component.from_file(self.engine, str(component_path()))
        interface = self.component.get_export_index(INTERFACE)
        if interface is None:
            raise errors.RuntimeFailure(f"the component does not export {INTERFACE}")
        # The functions of ``interface client``, as the component itself declares them.
        items = self.component.type.exports(self.engine)[INTERFACE].ty.exports(self.engine)
        types = {name: item.ty for name, item in items.items() if isinstance(item.ty, FuncType)}
        self.functions = {name: self.component.get_export_index(name, interface) for name in types}
        # Codecs between plain Python values and wasmtime-py's, compiled once per process.
        self.codecs = {name: _wit.Function(name, ty) for name, ty in types.items()}
        calls = _calls.preferred()
        if calls is _calls.Public:
            self._link(calls)
        else:
            try:
                self._link(calls)
                problem = self._disagreement()
            except Exception as e:  # the fast path's own setup failed
                problem = f"linking failed: {type(e).__name__}: {e}"
            if problem is not None:
                self._link(_calls.fallback(problem))
        threading.Thread(
            target=_ticker, args=(self.engine,), name="qdrant-integration-epoch", daemon=True
        ).start()

    def _link(self, calls: _calls.Calls) -> None:
        """The linker and signatures for one way of calling (see :mod:`._calls`)."""
        self.calls = calls
        self.linker = Linker(self.engine)
        self.linker.add_wasip2()
        imports = self.component.type.imports(self.engine)
        transport_types = imports[TRANSPORT].ty.exports(self.engine)
        with self.linker.root() as root, root.add_instance(TRANSPORT) as transport:
            for name, func in (("send", _send), ("start", _start), ("finish", _finish)):
                calls.define(transport, name, transport_types[name].ty, func)
        # Fresh types: the fast path freezes the ones it is given.
        types = self.component.type.exports(self.engine)[INTERFACE].ty.exports(self.engine)
        self.signatures = {name: calls.signature(types[name].ty) for name in self.functions}

    def _disagreement(self) -> str | None:
        """``None`` when this runtime's calls (the fast path) convert values as the public
        API does: ``validate-points`` (no I/O) must answer the same both ways for a valid
        and an invalid batch, and its arguments must read back as they were written."""
        name = "validate-points"
        codec, sig = self.codecs[name], self.signatures[name]
        retry = {
            "max_attempts": 3,
            "initial_backoff_ms": 1,
            "max_backoff_ms": 2,
            "max_elapsed_ms": 3,
        }
        config = {"url": "http://127.0.0.1:6333", "api_key": "k", "retry": retry}
        dense = [
            {"name": "", "dimension": 2, "data": Variant("le-bytes", bytes(16))},
            {"name": "d", "dimension": 1, "data": Variant("base64", "AACAPwAAAEA=")},
        ]
        sparse = [{"name": "s", "vectors": [{"indices": [1, 5], "values": [0.5, -2.0]}] * 2}]
        batches = [
            {"ids": ["1", "a"], "dense": dense, "sparse": sparse, "payloads": ['{"k":1}', "{}"]},
            {"ids": ["1"], "dense": [], "sparse": [], "payloads": ["[not json"]},
        ]
        try:
            sandbox = _Sandbox(self, DEFAULT_MEMORY_LIMIT)
            for batch in batches:
                args = (config, batch)
                for index, (value, (param, param_codec)) in enumerate(
                    zip(codec.lower(args), codec.params, strict=True)
                ):
                    back = self.calls.read_back(sandbox.store, sig, index, value)
                    if param_codec.lift(back) != param_codec.lift(value):
                        return f"{name}'s {param} reads back as {back!r}"
                lowered = codec.lower(args)
                lowered[0] = self.calls.prepared(sandbox.store, sig, 0, lowered[0])
                fast = self.calls.call(sandbox.funcs[name], sandbox.store, sig, lowered)
                public = sandbox.funcs[name](sandbox.store, *codec.lower(args))
                fast, public = codec.result.lift(fast), codec.result.lift(public)
                if (fast.tag, fast.payload) != (public.tag, public.payload):
                    return f"{name} answered {fast!r}, not {public!r}"
        except Exception as e:
            return f"a test call failed: {type(e).__name__}: {e}"
        return None


_runtime: _Runtime | None = None


def _leak_linker_at_exit() -> None:
    """Lets the process end without deleting the linker: its host functions hold ctypes
    callbacks (the fast call path) that interpreter teardown may free first, and deleting
    it then crashes the exit. The process is ending; the memory goes with it."""
    if _runtime is not None:
        _runtime.linker._consume()


atexit.register(_leak_linker_at_exit)


def runtime() -> _Runtime:
    global _runtime
    if _runtime is None:
        with _RUNTIME_LOCK:
            if _runtime is None:
                with _CALL_LOCK:
                    _runtime = _Runtime()
    return _runtime


class _Sandbox:
    """One store and instance of the component."""

    def __init__(self, rt: _Runtime, memory_limit: int) -> None:
        store = Store(rt.engine)
        store.set_limits(memory_size=memory_limit)
        # Deny-all WASI: no arguments, environment, preopened directories or sockets.
        store.set_wasi(WasiConfig())
        store.set_epoch_deadline(int(60 / EPOCH_SECONDS))
        instance = rt.linker.instantiate(store, rt.component)
        self.store = store
        self.funcs = {name: instance.get_func(store, idx) for name, idx in rt.functions.items()}


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB"


class Instance:
    """The sandboxes of one client, allowed to reach ``url``'s origin only: a pool of
    stores (one per concurrent call), each replaced after a trap."""

    def __init__(
        self,
        url: str,
        memory_limit: int = DEFAULT_MEMORY_LIMIT,
        call_timeout: float = DEFAULT_CALL_TIMEOUT,
    ) -> None:
        self._origin = _egress.Origin.of_url(url)
        self.memory_limit = int(memory_limit)
        self.call_timeout = float(call_timeout)
        self._idle: list[_Sandbox] = []
        self._pool_lock = threading.Lock()
        #: The client's config (every export's first argument), converted once.
        self._config: tuple[object, Any] | None = None

    def _take(self, rt: _Runtime) -> _Sandbox:
        with self._pool_lock:
            if self._idle:
                return self._idle.pop()
        return _Sandbox(rt, self.memory_limit)

    def call(self, name: str, *args: Any, deadline: float | None = None) -> Any:
        """Calls an export with plain Python arguments (see :mod:`._wit`); returns its
        ``ok`` value, lifted the same way, or raises the mapped WIT error. The first
        argument is the client's config: it is converted for wasmtime once and reused
        while the same object is passed. ``deadline`` (``time.monotonic()``) defaults to
        ``call_timeout`` from now; one client method making several calls passes one."""
        rt = runtime()
        codec = rt.codecs.get(name)
        if codec is None:  # a component older than this package
            raise errors.RuntimeFailure(f"the component has no export {name!r}: rebuild it")
        config = args[0]
        cached = self._config
        lowered = codec.lower(args)
        if deadline is None:
            deadline = time.monotonic() + self.call_timeout
        left = deadline - time.monotonic()
        ticks = max(1, int((left + _EPOCH_GRACE) / EPOCH_SECONDS))
        with _Active(), _CALL_LOCK, _egress.allow(self._origin, deadline, self.memory_limit):
            try:
                sandbox = self._take(rt)
                if isinstance(config, dict):  # every export but `default-config` takes it
                    if cached is None or cached[0] is not config:
                        prepared = rt.calls.prepared(
                            sandbox.store, rt.signatures[name], 0, lowered[0]
                        )
                        cached = (config, prepared)
                        self._config = cached
                    lowered[0] = cached[1]
                sandbox.store.set_epoch_deadline(ticks)
                result = rt.calls.call(
                    sandbox.funcs[name], sandbox.store, rt.signatures[name], lowered
                )
            except WasmtimeError as e:
                # A trapped store is unusable: it is dropped, the next call gets a new one.
                raise self._trap(name, e) from e
            except _egress.BodyTooLarge:
                # The transport trapped the component rather than read the body whole.
                too_large = True
            else:
                too_large = False
        if too_large:  # raised outside the handler, as a trap's error
            raise errors.RuntimeFailure(
                f"{name}: out of memory: the answer's body is larger than the sandbox's "
                f"memory cap of {_mib(self.memory_limit)} (QdrantClient(memory_limit=...)), "
                "so it was not read; the sandbox was replaced."
            )
        with self._pool_lock:
            if len(self._idle) < MAX_IDLE_SANDBOXES:
                self._idle.append(sandbox)
        if codec.result is None:
            return None
        outcome = codec.result.lift(result)
        if not isinstance(codec.result, _wit.Result):  # a plain value: `default-config`
            return outcome
        if outcome.tag == "err":
            error = outcome.payload
            raise errors.from_wit(error.tag, error.payload)
        return outcome.payload

    def _trap(self, name: str, e: WasmtimeError) -> errors.QdrantError:
        message = str(e)
        if "interrupt" in message:
            return errors.Timeout(
                f"{name}: the call's deadline of {self.call_timeout:g} s passed "
                "(the sandbox was replaced)"
            )
        lowered = message.lower()
        if any(word in lowered for word in ("alloc", "oom", "out of memory")):
            return errors.RuntimeFailure(
                f"{name}: out of memory: the call needs more than the sandbox's memory "
                f"cap of {_mib(self.memory_limit)} (QdrantClient(memory_limit=...)); "
                f"the sandbox was replaced. {message}"
            )
        return errors.RuntimeFailure(f"{name}: the component trapped: {message}")


def record(**fields: Any) -> Record:
    """A WIT record from snake_case keyword arguments (WIT field names are kebab-case)."""
    value = Record()
    for key, field in fields.items():
        setattr(value, key.replace("_", "-"), field)
    return value


def as_vectors(vectors: Any, what: str = "vectors") -> np.ndarray:
    """``vectors`` (one vector or a sequence of them) as a little-endian float32 array.
    What numpy cannot make one array of numbers of is
    :class:`~qdrant_integration.errors.InvalidInput` naming the first vector that is
    not like the first one (e.g. shorter) or holds something other than numbers."""
    try:
        return np.asarray(vectors, dtype="<f4")
    except (TypeError, ValueError):
        pass  # explained below, outside the handler
    raise errors.InvalidInput(f"{what}: {_not_an_array(vectors)}")


def _not_an_array(vectors: Any) -> str:
    """Why numpy cannot make one array of numbers of ``vectors``."""
    if isinstance(vectors, (str, bytes, Mapping)) or not isinstance(vectors, Iterable):
        return f"expected numbers, got {type(vectors).__name__}"
    first: np.ndarray | None = None
    for index, vector in enumerate(vectors):
        try:
            array = np.asarray(vector, dtype="<f4")
        except (TypeError, ValueError):
            return f"vector {index} is not a sequence of numbers"
        if first is None:
            first = array
        elif array.shape != first.shape:
            if array.ndim == first.ndim == 1:
                return f"vector {index} has {array.shape[0]} values, vector 0 has {first.shape[0]}"
            return f"vector {index} has the shape {array.shape}, vector 0 {first.shape}"
    return "not an array of numbers"


def pack_vectors(vectors: Any, dimension: int | None = None) -> tuple[Variant, int, int]:
    """Packs vectors as WIT ``packed-vectors``, case ``base64``: little-endian f32, base64.

    Returns ``(packed, count, dimension)``. One string crosses into the component in a
    single copy, where wasmtime-py lowers a ``list<f32>`` or ``list<u8>`` (the ``le-bytes``
    case) value by value.
    """
    array = as_vectors(vectors)
    if array.ndim == 1:
        array = array.reshape(1, -1)
    if array.ndim != 2:
        raise errors.InvalidInput(f"vectors must be 1- or 2-dimensional, got shape {array.shape}")
    if dimension is not None and array.shape[1] != dimension:
        raise errors.InvalidInput(f"expected dimension {dimension}, got {array.shape[1]}")
    packed = base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")
    return Variant("base64", packed), array.shape[0], array.shape[1]
