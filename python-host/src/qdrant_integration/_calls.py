"""How values cross between Python and the component.

Two ways with one interface (``signature``, ``prepared``, ``call``, ``define``):
:class:`Public`, wasmtime-py's public API, and :mod:`._fastcall`, which reaches into
wasmtime-py's internals to convert values several times faster (it also has ``read_back``,
for the check below). The fast way is used when those internals have the shape it was
written for (:func:`preferred`) and when a call through it answers as the public way does;
both are checked once per process, when the component is first loaded. Otherwise the
package warns once and uses the public way: slower, never broken by a new wasmtime-py.
``QDRANT_INTEGRATION_FAST_CALLS=0`` chooses the public way.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from importlib import metadata
from types import ModuleType
from typing import Any

from .errors import FastCallsUnavailable

#: Set to ``0`` to use wasmtime-py's public API only.
ENV = "QDRANT_INTEGRATION_FAST_CALLS"


class Public:
    """wasmtime-py's public API: ``Func.__call__`` and ``LinkerInstance.add_func``, which
    read the function's type at every call."""

    NAME = "public"

    @staticmethod
    def signature(ty: Any) -> None:
        return None

    @staticmethod
    def prepared(store: Any, sig: None, index: int, value: Any) -> Any:
        return value

    @staticmethod
    def call(func: Any, store: Any, sig: None, args: list[Any]) -> Any:
        return func(store, *args)

    @staticmethod
    def define(linker_instance: Any, name: str, ty: Any, func: Callable[..., Any]) -> None:
        linker_instance.add_func(name, func)


Calls = ModuleType | type[Public]


def fallback(reason: str) -> type[Public]:
    """Warns once that calls take the public path, and why; returns it."""
    try:
        version = metadata.version("wasmtime")
    except metadata.PackageNotFoundError:
        version = "?"
    warnings.warn(
        f"qdrant_integration: calls use wasmtime-py's public API (slower) because the fast "
        f"path does not fit wasmtime-py {version}: {reason}",
        FastCallsUnavailable,
        stacklevel=3,
    )
    return Public


def preferred() -> Calls:
    """The fast path when it is allowed and fits the installed wasmtime-py, else
    :class:`Public`."""
    if os.environ.get(ENV, "1") == "0":
        return Public
    try:
        from . import _fastcall
    except Exception as e:  # a private module or name that moved
        return fallback(f"{type(e).__name__}: {e}")
    problem = _fastcall.check()
    if problem is not None:
        return fallback(problem)
    return _fastcall
