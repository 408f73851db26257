"""Calls into a wasmtime-py component without re-reading its types on every call.

wasmtime-py's ``Func.__call__`` asks the C API for the function's type on each call, and
every ``fields`` / ``cases`` / ``element`` / ``payload`` access while converting a value
builds new type objects through several FFI calls: about 150 of them for one ``query``.
Types never change, so :func:`freeze` walks a type tree once and turns those properties
into plain attributes (on a per-class subclass, so wasmtime-py's own conversion code runs
on them), and :func:`call` is ``Func.__call__`` over the frozen parameter and result
types. :func:`host_func` does the same for a host-implemented import. Records and
``list<string>`` get their own lowering (field names encoded once; strings written straight
into the C array). Values arrive here lowered by :mod:`._wit`, which has checked every
integer's range and every string's encoding; this module checks again only where it
writes strings itself.

This module reaches into wasmtime-py's private modules (written against 50 and 51), so
importing it can fail on another version, and :func:`check` tests the rest of what it
uses; :mod:`._calls` then falls back to the public API.
"""

from __future__ import annotations

import ctypes
import inspect
import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from wasmtime import Store, WasmtimeError
from wasmtime import _ffi as ffi
from wasmtime.component import LinkerInstance, Record
from wasmtime.component import _types as t
from wasmtime.component._enter import catch_exceptions, enter_wasm

from . import errors

NAME = "fast"

#: Type properties that go through the C API on each access.
_PROPERTIES = ("fields", "cases", "element", "elements", "payload", "ok", "err", "names")
_frozen_classes: dict[type, type] = {}


_byte_vec_new = ffi.wasm_byte_vec_new
_U8P = ctypes.POINTER(ctypes.c_uint8)


def _record_to_c(self: Any, store: Any, val: Any, ptr: Any) -> None:
    """``RecordType.convert_to_c`` with the field names encoded once."""
    fields = self.fields
    names = self._c_names
    raw = ffi.wasmtime_component_valrecord_t()
    ffi.wasmtime_component_valrecord_new_uninit(raw, len(fields))
    i = 0
    try:
        for name, ty in fields:
            entry = raw.data[i]
            ty.convert_to_c(store, getattr(val, name), ctypes.pointer(entry.val))
            size, buffer = names[i]
            _byte_vec_new(ctypes.byref(entry.name), size, buffer)
            i += 1
    except BaseException:
        for j in range(i, len(fields)):
            raw.data[j].val.kind = ffi.WASMTIME_COMPONENT_BOOL
            raw.data[j].val.of.boolean = False
            _byte_vec_new(ctypes.byref(raw.data[j].name), 0, None)
        ffi.wasmtime_component_valrecord_delete(ctypes.byref(raw))
        raise
    ptr.contents.kind = ffi.WASMTIME_COMPONENT_RECORD
    ptr.contents.of.record = raw


# `wasm_byte_vec_new` again, taking plain addresses and bytes: no ctypes object per call.
_byte_vec_new_at = ffi.dll["wasm_byte_vec_new"]
_byte_vec_new_at.restype = None
_byte_vec_new_at.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
_VAL_SIZE = ctypes.sizeof(ffi.wasmtime_component_val_t)
_KIND_AT = ffi.wasmtime_component_val_t.kind.offset
_OF_AT = ffi.wasmtime_component_val_t.of.offset
_STRING = ffi.WASMTIME_COMPONENT_STRING.value
_BOOL = ffi.WASMTIME_COMPONENT_BOOL.value


def _list_to_c(self: Any, store: Any, val: Any, ptr: Any) -> None:
    """``ListType.convert_to_c``; a ``list<string>`` (a bulk upsert's ids and payloads)
    is written straight into the C array, one FFI call per string, instead of building
    ctypes objects for every element."""
    if not self._strings:
        t.ListType.convert_to_c(self, store, val, ptr)
        return
    if not isinstance(val, list):
        raise TypeError("expected list value")
    count = len(val)
    raw = ffi.wasmtime_component_vallist_t()
    ffi.wasmtime_component_vallist_new_uninit(raw, count)
    base = ctypes.cast(raw.data, ctypes.c_void_p).value or 0
    layout = np.ctypeslib.as_array((ctypes.c_uint8 * (count * _VAL_SIZE)).from_address(base))
    kinds = layout[_KIND_AT::_VAL_SIZE]
    done = 0
    try:
        at = base + _OF_AT
        # Never more than the `count` slots allocated, even if another thread grows the
        # list meanwhile (each FFI call releases the GIL).
        for text in itertools.islice(val, count):
            if not isinstance(text, str):
                raise TypeError("expected string type")
            try:
                data = text.encode("utf-8")
            except UnicodeEncodeError:
                data = None  # refused below, outside the handler: the error holds the text
            if data is None:
                raise errors.InvalidInput("a string holds a lone surrogate: UTF-8 cannot carry it")
            _byte_vec_new_at(at, len(data), data)
            at += _VAL_SIZE
            done += 1
        if done != count:
            raise RuntimeError("the list changed while it was lowered")
    except BaseException:
        # The strings written so far are freed with the list; the rest hold nothing.
        kinds[:done] = _STRING
        kinds[done:] = _BOOL
        layout[_OF_AT + done * _VAL_SIZE :: _VAL_SIZE] = 0
        ffi.wasmtime_component_vallist_delete(ctypes.byref(raw))
        raise
    kinds[:] = _STRING
    ptr.contents.kind = ffi.WASMTIME_COMPONENT_LIST
    ptr.contents.of.list = raw


def _record_from_c(self: Any, c: Any) -> Any:
    """``RecordType.convert_from_c`` without re-reading and checking each field name
    (the component's type fixes them)."""
    try:
        ret = Record()
        record = c.of.record
        data = record.data
        for i, (name, ty) in zip(range(record.size), self.fields, strict=False):
            raw_field = data[i]
            setattr(ret, name, ty.convert_from_c(raw_field.val))
            raw_field.val.kind = ffi.WASMTIME_COMPONENT_BOOL
            raw_field.val.of.boolean = False
        return ret
    finally:
        ffi.wasmtime_component_valrecord_delete(c.of.record)


def _frozen_class(cls: type) -> type:
    frozen = _frozen_classes.get(cls)
    if frozen is None:
        overrides: dict[str, Any] = {
            p: None for p in _PROPERTIES if isinstance(getattr(cls, p, None), property)
        }
        if issubclass(cls, t.RecordType):
            overrides["convert_to_c"] = _record_to_c
            overrides["convert_from_c"] = _record_from_c
        if issubclass(cls, t.ListType):
            overrides["convert_to_c"] = _list_to_c
        frozen = type(f"Frozen{cls.__name__}", (cls,), overrides)
        _frozen_classes[cls] = frozen
    return frozen


def freeze(ty: Any) -> Any:
    """``ty`` (a wasmtime-py component value type, or ``None``) with its structure cached;
    returns the same object."""
    if ty is None or getattr(ty, "_frozen", False):
        return ty
    cls = type(ty)
    properties = [p for p in _PROPERTIES if isinstance(getattr(cls, p, None), property)]
    if not properties:
        return ty  # a primitive: nothing to look up
    values = {}
    for name in properties:
        value = getattr(ty, name)
        if name in ("fields", "cases"):
            value = [(n, freeze(v)) for n, v in value]
        elif name == "elements":
            value = [freeze(v) for v in value]
        elif name != "names":
            value = freeze(value)
        values[name] = value
    ty.__class__ = _frozen_class(cls)
    ty.__dict__.update(values)
    ty._frozen = True
    if isinstance(ty, t.VariantLikeType):
        tagged = t.VariantLikeType._tagged(ty)
        ty._tagged = lambda: tagged
    if isinstance(ty, t.RecordType):
        buffers = [ctypes.create_string_buffer(n.encode("utf-8")) for n, _ in ty.fields]
        ty._c_buffers = buffers  # keeps the names' memory alive
        ty._c_names = [(len(b) - 1, ctypes.cast(b, _U8P)) for b in buffers]
    if isinstance(ty, t.ListType):
        is_bytes = isinstance(ty.element, t.U8)
        ty._is_bytes = lambda: is_bytes
        ty._strings = isinstance(ty.element, t.String)
    return ty


class Signature:
    """The frozen parameter and result types of one function."""

    def __init__(self, ty: t.FuncType) -> None:
        self.params = [freeze(p) for _, p in ty.params]
        self.result = freeze(ty.result)


class CValue:
    """A value converted to the C API's form once, passed to many calls: a call only
    borrows its arguments (``wasmtime_component_func_call`` takes them ``const``)."""

    def __init__(self, store: Any, ty: Any, value: Any) -> None:
        self.val = ffi.wasmtime_component_val_t()
        ty.convert_to_c(store, value, ctypes.pointer(self.val))

    def __del__(self) -> None:
        ffi.wasmtime_component_val_delete(ctypes.byref(self.val))


def call(func: Any, store: Any, signature: Signature, args: Sequence[Any]) -> Any:
    """``func(store, *args)`` for a ``wasmtime.component.Func`` whose type is
    ``signature`` (as wasmtime-py's ``Func.__call__``); an argument may be a
    :class:`CValue` of the parameter's type."""
    params = signature.params
    if len(args) != len(params):
        raise TypeError(f"expected {len(params)} arguments, got {len(args)}")
    param_capi = (ffi.wasmtime_component_val_t * len(args))()
    owned = [False] * len(args)
    n = 0
    try:
        for ty, value in zip(params, args, strict=True):
            if isinstance(value, CValue):
                param_capi[n] = value.val  # a shallow copy: borrowed, not deleted here
            else:
                ty.convert_to_c(store, value, ctypes.pointer(param_capi[n]))
                owned[n] = True
            n += 1
        result_ty = signature.result
        result_space = ffi.wasmtime_component_val_t() if result_ty is not None else None
        result_ptr = ctypes.byref(result_space) if result_space is not None else None

        def run() -> Any:
            return ffi.wasmtime_component_func_call(
                ctypes.byref(func._func),
                store._context(),
                param_capi,
                n,
                result_ptr,
                0 if result_space is None else 1,
            )

        enter_wasm(run)
        if result_ty is None:
            return None
        return result_ty.convert_from_c(result_space)
    finally:
        for i in range(n):
            if owned[i]:
                ffi.wasmtime_component_val_delete(ctypes.byref(param_capi[i]))


#: Host callbacks and finalizers must outlive every linker that holds them.
_KEEP_ALIVE: list[Any] = []


@ctypes.CFUNCTYPE(None, ctypes.c_void_p)
def _no_finalize(_data: Any) -> None:
    return None


def host_func(
    linker_instance: Any, name: str, signature: Signature, func: Callable[..., Any]
) -> None:
    """Defines ``name`` in ``linker_instance`` as ``func(store, *args)``, converting
    arguments and result with ``signature``'s frozen types."""
    params, result_ty = signature.params, signature.result

    def run(store: Any, args: Any, nargs: int, results: Any) -> None:
        values = [params[i].convert_from_c(args[i]) for i in range(nargs)]
        result = func(store, *values)
        if result_ty is not None:
            result_ty.convert_to_c(store, result, results)

    @ffi.wasmtime_component_func_callback_t
    def callback(_data, context, _ty, args, nargs, results, _nresults):  # type: ignore[no-untyped-def]
        return catch_exceptions(context, lambda store: run(store, args, nargs, results))

    _KEEP_ALIVE.append(callback)
    encoded = name.encode("utf-8")
    error = ffi.wasmtime_component_linker_instance_add_func(
        linker_instance.ptr(),
        ctypes.create_string_buffer(encoded),
        len(encoded),
        callback,
        None,
        _no_finalize,
    )
    if error:
        raise WasmtimeError._from_ptr(error)


#: What this module uses of wasmtime-py beyond what importing it already touched.
_FFI_NAMES = (
    "wasmtime_component_val_t",
    "wasmtime_component_valrecord_t",
    "wasmtime_component_valrecord_new_uninit",
    "wasmtime_component_valrecord_delete",
    "wasmtime_component_vallist_t",
    "wasmtime_component_vallist_new_uninit",
    "wasmtime_component_vallist_delete",
    "wasmtime_component_val_delete",
    "wasmtime_component_func_call",
    "wasmtime_component_func_callback_t",
    "wasmtime_component_linker_instance_add_func",
    "WASMTIME_COMPONENT_RECORD",
    "WASMTIME_COMPONENT_LIST",
)
_C_FIELDS = {
    "wasmtime_component_val_t": ("kind", "of"),
    "wasmtime_component_valrecord_t": ("size", "data"),
    "wasmtime_component_vallist_t": ("size", "data"),
}
#: (class, method, parameter names after ``self``) this module calls or overrides.
_METHODS = (
    (t.ValType, "convert_to_c", ("store", "val", "ptr")),
    (t.ValType, "convert_from_c", ("c",)),
    (t.ListType, "convert_to_c", ("store", "val", "ptr")),
    (t.RecordType, "convert_to_c", ("store", "val", "ptr")),
    (t.RecordType, "convert_from_c", ("c",)),
    (t.VariantLikeType, "_tagged", ()),
    (t.ListType, "_is_bytes", ()),
    (t.FuncType, "params", None),
    (t.FuncType, "result", None),
    (Store, "_context", ()),
    (LinkerInstance, "ptr", ()),
    (WasmtimeError, "_from_ptr", None),
)


def check() -> str | None:
    """``None`` when wasmtime-py has the shape this module was written for, else what
    differs."""
    missing = [name for name in _FFI_NAMES if not hasattr(ffi, name)]
    if missing:
        return f"wasmtime._ffi lacks {', '.join(missing)}"
    for struct, fields in _C_FIELDS.items():
        have = {name for name, *_ in getattr(ffi, struct)._fields_}
        if not set(fields) <= have:
            return f"wasmtime._ffi.{struct} has fields {sorted(have)}, not {list(fields)}"
    of = {name for name, *_ in type(ffi.wasmtime_component_val_t().of)._fields_}
    if not {"record", "list", "string", "boolean"} <= of:
        return f"wasmtime._ffi.wasmtime_component_val_t.of has fields {sorted(of)}"
    for cls, name, params in _METHODS:
        member = getattr(cls, name, None)
        if member is None:
            return f"{cls.__module__}.{cls.__qualname__} has no {name}"
        if params is not None:
            found = tuple(inspect.signature(member).parameters)[1:]
            if found != params:
                return f"{cls.__module__}.{cls.__qualname__}.{name} takes {found}, not {params}"
    for cls in (t.RecordType, t.ListType, t.VariantType, t.OptionType, t.ResultType):
        for name in _PROPERTIES:
            if name in cls.__dict__ and not isinstance(cls.__dict__[name], property):
                return f"{cls.__module__}.{cls.__qualname__}.{name} is no longer a property"
    return None


def signature(ty: t.FuncType) -> Signature:
    return Signature(ty)


def prepared(store: Any, sig: Signature, index: int, value: Any) -> CValue:
    """Argument ``index`` of ``sig`` converted once, to be passed to many calls."""
    return CValue(store, sig.params[index], value)


def read_back(store: Any, sig: Signature, index: int, value: Any) -> Any:
    """Argument ``index`` of ``sig`` converted to the C API's form and back."""
    ty = sig.params[index]
    slot = ffi.wasmtime_component_val_t()
    ty.convert_to_c(store, value, ctypes.pointer(slot))
    return ty.convert_from_c(slot)  # takes ownership: frees what it read


def define(linker_instance: Any, name: str, ty: t.FuncType, func: Callable[..., Any]) -> None:
    host_func(linker_instance, name, Signature(ty), func)
