"""Converts between plain Python values and wasmtime-py's representation of WIT values.

wasmtime-py's representation depends on the *shape* of each type, not just on its kind:

- a record is a ``wasmtime.component.Record`` whose attributes are the kebab-case field
  names (set with ``setattr``);
- a variant is ``Variant(tag, payload)`` only when its cases' Python classes overlap
  ("tagged"); when they are disjoint it is the bare payload, matched by ``isinstance``
  (``filter`` is a bare ``str``, ``list`` or ``Record``; a payload-less case is ``None``);
- ``option<T>`` is ``None`` or the bare value, unless ``T`` can itself be ``None`` (then
  ``Variant("none")`` / ``Variant("some", value)``, e.g. ``option<quantization-change>``);
- ``result<T, E>`` follows the variant rule (all our exports: bare ok value, tagged error).

The client should not care, so this module compiles each exported function's WIT types
once into codecs over one canonical form: records are dicts (snake_case or kebab-case
keys, a missing ``option`` field is ``none``), variants are always ``Variant(tag,
payload)`` (a payload-less case may be given as its tag string), options are ``None`` or
the value, enums are strings. Lifted records are dicts with snake_case keys.

Primitive values are coerced (``operator.index()``, ``float()``, ``bool()``) so numpy
scalars work: wasmtime-py accepts only exact ``int``/``float``/``bool`` instances. Every
integer is checked against its WIT type's range (wasmtime-py would wrap ``-1`` to
``4294967295``), every string must be one UTF-8 can carry (no lone surrogates). A refusal
is :class:`~qdrant_integration.errors.InvalidInput` naming the function, parameter, record
field and list item, and the wrong value's type or range, never the value itself: the
config holds the api-key.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from itertools import repeat
from typing import Any

from wasmtime import component as t
from wasmtime.component import Record, Variant

from . import errors


def _snake(name: str) -> str:
    return name.replace("-", "_")


class Codec:
    def lower(self, value: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def lift(self, value: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError


def _kind(value: Any) -> str:
    """What a refused value is, for a message: its type, never the value."""
    return "None" if value is None else type(value).__name__


def _within(error: errors.InvalidInput, where: str) -> None:
    """Puts ``where`` (a parameter, field or item) before ``error``'s message; the caller
    re-raises the same exception, so no chain of half-messages builds up."""
    error.args = (f"{where}: {error}",)


class _Prim(Codec):
    def __init__(self, coerce: Callable[[Any], Any], name: str) -> None:
        self.coerce = coerce
        self.name = name

    def lower(self, value: Any) -> Any:
        try:
            return self.coerce(value)
        except (TypeError, ValueError):
            pass  # raised below, outside the handler: no chain that could show the value
        raise errors.InvalidInput(f"expected {self.name}, got {_kind(value)}")

    def lower_list(self, values: list[Any]) -> list[Any]:
        try:
            return [self.coerce(v) for v in values]
        except (TypeError, ValueError):
            pass
        return _each(repeat(self), values)

    def lift(self, value: Any) -> Any:
        return value


def _each(
    codecs: Iterable[Codec], values: Iterable[Any], labels: list[str] | None = None
) -> list[Any]:
    """Each of ``values`` lowered by the codec beside it (``itertools.repeat(codec)`` for a
    list's); a refusal names the value by its label, or as ``item N``."""
    out = []
    for index, (codec, value) in enumerate(zip(codecs, values, strict=False)):
        try:
            out.append(codec.lower(value))
        except errors.InvalidInput as e:
            _within(e, f"item {index}" if labels is None else labels[index])
            raise
    return out


class _Int(Codec):
    """A WIT integer type: an ``int`` (or numpy integer, through ``operator.index``; not a
    ``bool``) within the type's range."""

    def __init__(self, wit: str, low: int, high: int) -> None:
        self.wit = wit
        self.low = low
        self.high = high

    def lower(self, value: Any) -> int:
        if value.__class__ is not int:
            value = self._integer(value)
        if self.low <= value <= self.high:
            return value
        raise errors.InvalidInput(self._outside(value))

    def lower_list(self, values: list[Any]) -> list[int]:
        if not values:
            return values
        if set(map(type, values)) == {int} and self.low <= min(values) <= max(values) <= self.high:
            return values
        return _each(repeat(self), values)

    def _integer(self, value: Any) -> int:
        if not isinstance(value, bool):
            try:
                return operator.index(value)
            except TypeError:
                pass
        raise errors.InvalidInput(f"expected an integer ({self.wit}), got {_kind(value)}")

    def _outside(self, value: int) -> str:
        return f"{value} is outside the range of {self.wit}, {self.low}..{self.high}"

    def lift(self, value: Any) -> Any:
        return value


def _integer_codec(wit: str) -> _Int:
    bits = int(wit[1:])
    if wit[0] == "u":
        return _Int(wit, 0, (1 << bits) - 1)
    return _Int(wit, -(1 << (bits - 1)), (1 << (bits - 1)) - 1)


_INTS = {wit: _integer_codec(wit) for wit in ("u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64")}


class _Str(Codec):
    """A WIT ``string`` (or ``char``): a ``str`` that UTF-8 can carry."""

    def lower(self, value: Any) -> str:
        if value.__class__ is str and value.isascii():
            return value
        if not isinstance(value, str):
            raise errors.InvalidInput(f"expected a string, got {_kind(value)}")
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError as e:
            at = e.start
        # Outside the handler: the UnicodeEncodeError holds the whole string.
        raise errors.InvalidInput(
            f"a string holds a lone surrogate at index {at}, which UTF-8 cannot carry"
        )

    def lower_list(self, values: list[Any]) -> list[str]:
        try:
            if all(map(str.isascii, values)):  # a TypeError for an item that is no str
                return values
        except TypeError:
            pass
        return _each(repeat(self), values)

    def lift(self, value: Any) -> Any:
        return value


_BOOL = _Prim(bool, "bool")
_FLOAT = _Prim(float, "a number")
_STRING = _Str()


class _Enum(Codec):
    def __init__(self, names: list[str]) -> None:
        self.names = frozenset(names)

    def lower(self, value: Any) -> Any:
        if isinstance(value, str) and value in self.names:
            return value
        got = "another string" if isinstance(value, str) else _kind(value)
        raise errors.InvalidInput(f"expected one of {sorted(self.names)}, got {got}")

    def lift(self, value: Any) -> Any:
        return value


class _List(Codec):
    def __init__(self, element: Codec, is_bytes: bool) -> None:
        self.element = element
        self.is_bytes = is_bytes

    def lower(self, value: Any) -> Any:
        if self.is_bytes:
            if isinstance(value, (bytes, bytearray, memoryview)):
                return bytes(value)
            raise errors.InvalidInput(f"expected bytes, got {_kind(value)}")
        if isinstance(value, (str, bytes, Mapping)):
            raise errors.InvalidInput(f"expected a list, got {_kind(value)}")
        if hasattr(value, "tolist"):  # numpy: one C-level conversion to Python scalars
            value = value.tolist()
        try:
            values = list(value)
        except TypeError:
            values = None
        if values is None:  # raised outside the handler: no chain
            raise errors.InvalidInput(f"expected a list, got {_kind(value)}")
        lower_list = getattr(self.element, "lower_list", None)
        if lower_list is not None:  # primitives: checked in bulk, one by one on a refusal
            return lower_list(values)
        return _each(repeat(self.element), values)

    def lift(self, value: Any) -> Any:
        if isinstance(self.element, (_Prim, _Int, _Str)):
            return value
        return [self.element.lift(v) for v in value]


class _Tuple(Codec):
    def __init__(self, elements: list[Codec]) -> None:
        self.elements = elements

    def lower(self, value: Any) -> Any:
        try:
            values = tuple(value)
        except TypeError:
            values = None
        if values is None:
            raise errors.InvalidInput(f"expected a tuple, got {_kind(value)}")
        value = values
        if len(value) != len(self.elements):
            raise errors.InvalidInput(f"expected {len(self.elements)} values, got {len(value)}")
        return tuple(_each(self.elements, value))

    def lift(self, value: Any) -> Any:
        return tuple(c.lift(v) for c, v in zip(self.elements, value, strict=True))


class _Record(Codec):
    def __init__(self) -> None:
        # (wit name, snake name, codec, optional); filled after construction (recursion).
        self.fields: list[tuple[str, str, Codec, bool]] = []

    def lower(self, value: Any) -> Any:
        if isinstance(value, Record):
            return value
        if not isinstance(value, Mapping):
            raise errors.InvalidInput(f"expected a mapping for a record, got {_kind(value)}")
        out = Record()
        for wit_name, py_name, codec, optional in self.fields:
            if py_name in value:
                field = value[py_name]
            elif wit_name in value:
                field = value[wit_name]
            elif optional:
                field = None
            else:
                raise errors.InvalidInput(f"missing field {py_name!r}")
            try:
                setattr(out, wit_name, codec.lower(field))
            except errors.InvalidInput as e:
                _within(e, py_name)
                raise
        return out

    def lift(self, value: Any) -> Any:
        return {
            py_name: codec.lift(getattr(value, wit_name))
            for wit_name, py_name, codec, _ in self.fields
        }


class _Variant(Codec):
    def __init__(self, tagged: bool) -> None:
        self.tagged = tagged
        # tag -> (payload codec or None, Python classes wasmtime-py matches the payload by)
        self.cases: dict[str, tuple[Codec | None, tuple[type, ...]]] = {}

    def lower(self, value: Any) -> Any:
        if isinstance(value, str):
            tag, payload = value, None
        elif isinstance(value, Variant):
            tag, payload = value.tag, value.payload
        else:
            raise errors.InvalidInput(f"expected a Variant, got {_kind(value)}")
        case = self.cases.get(tag)
        if case is None:
            raise errors.InvalidInput(
                f"not a case of this variant: use one of {sorted(self.cases)}"
            )
        codec = case[0]
        if codec is None:
            return Variant(tag) if self.tagged else None
        try:
            lowered = codec.lower(payload)
        except errors.InvalidInput as e:
            _within(e, tag)
            raise
        return Variant(tag, lowered) if self.tagged else lowered

    def lift(self, value: Any) -> Any:
        if self.tagged:
            codec = self.cases[value.tag][0]
            return Variant(value.tag, None if codec is None else codec.lift(value.payload))
        for tag, (codec, classes) in self.cases.items():
            if codec is None:
                if value is None:
                    return Variant(tag)
            elif isinstance(value, classes):
                return Variant(tag, codec.lift(value))
        raise errors.DecodeError(f"no variant case holds {value!r}")


class _Option(Codec):
    def __init__(self, inner: Codec, tagged: bool) -> None:
        self.inner = inner
        self.tagged = tagged

    def lower(self, value: Any) -> Any:
        if value is None:
            return Variant("none") if self.tagged else None
        lowered = self.inner.lower(value)
        return Variant("some", lowered) if self.tagged else lowered

    def lift(self, value: Any) -> Any:
        if self.tagged:
            return None if value.tag == "none" else self.inner.lift(value.payload)
        return None if value is None else self.inner.lift(value)


class Result(Codec):
    """``result<T, E>``; :meth:`lift` returns ``Variant("ok" | "err", value)``."""

    def __init__(self, ok: Codec | None, err: Codec | None, tagged: bool) -> None:
        self.variant = _Variant(tagged)
        self.variant.cases["ok"] = (ok, ())
        self.variant.cases["err"] = (err, ())
        self.tagged = tagged
        self.ok_classes: tuple[type, ...] = ()
        self.err_classes: tuple[type, ...] = ()

    def lower(self, value: Any) -> Any:  # pragma: no cover - only lifted
        return self.variant.lower(value)

    def lift(self, value: Any) -> Any:
        if self.tagged:
            return self.variant.lift(value)
        ok, err = self.variant.cases["ok"][0], self.variant.cases["err"][0]
        if err is not None and isinstance(value, self.err_classes):
            return Variant("err", err.lift(value))
        if err is None and value is None and ok is not None:
            return Variant("err")
        return Variant("ok", None if ok is None else ok.lift(value))


def _classes(ty: t.ValType | None) -> tuple[type, ...]:
    found: set[type] = set()
    if ty is None:
        found.add(object)
    else:
        ty.add_classes(found)
    return tuple(found)


def _tagged(payloads: list[t.ValType | None]) -> bool:
    """Whether wasmtime-py represents a variant with these case payloads as ``Variant``
    objects: when two cases' payloads are held by the same Python class, a bare value
    could not say which case it is (wasmtime-py's own rule, from its public
    ``add_classes``)."""
    seen: set[type] = set()
    for payload in payloads:
        case = set(_classes(payload))
        if case & seen:
            return True
        seen |= case
    return False


def compile_type(ty: t.ValType) -> Codec:
    """The codec of one WIT type (as wasmtime-py describes it)."""
    if isinstance(ty, t.Bool):
        return _BOOL
    for wit, codec in _INTS.items():
        if isinstance(ty, getattr(t, wit.upper())):
            return codec
    if isinstance(ty, (t.F32, t.F64)):
        return _FLOAT
    if isinstance(ty, (t.String, t.Char)):
        return _STRING
    if isinstance(ty, t.EnumType):
        return _Enum(ty.names)
    if isinstance(ty, t.ListType):
        return _List(compile_type(ty.element), isinstance(ty.element, t.U8))
    if isinstance(ty, t.TupleType):
        return _Tuple([compile_type(e) for e in ty.elements])
    if isinstance(ty, t.RecordType):
        record = _Record()
        for name, field in ty.fields:
            record.fields.append(
                (name, _snake(name), compile_type(field), isinstance(field, t.OptionType))
            )
        return record
    if isinstance(ty, t.OptionType):
        return _Option(compile_type(ty.payload), _tagged([None, ty.payload]))
    if isinstance(ty, t.ResultType):
        ok, err = ty.ok, ty.err
        result = Result(
            None if ok is None else compile_type(ok),
            None if err is None else compile_type(err),
            _tagged([ok, err]),
        )
        result.ok_classes, result.err_classes = _classes(ok), _classes(err)
        return result
    if isinstance(ty, t.VariantType):
        variant = _Variant(_tagged([payload for _, payload in ty.cases]))
        for name, payload in ty.cases:
            variant.cases[name] = (
                None if payload is None else compile_type(payload),
                _classes(payload),
            )
        return variant
    if isinstance(ty, t.FlagsType):
        return _Prim(set, "a set of flag names")
    raise errors.RuntimeFailure(f"unsupported WIT type {ty!r}")


class Function:
    """One export: lowers its arguments and lifts its result."""

    def __init__(self, name: str, ty: t.FuncType) -> None:
        self.name = name
        self.params = [(_snake(n), compile_type(p)) for n, p in ty.params]
        self._codecs = [codec for _, codec in self.params]
        self._labels = [f"{name}: {param}" for param, _ in self.params]
        result = ty.result
        self.result = None if result is None else compile_type(result)

    def lower(self, args: tuple[Any, ...]) -> list[Any]:
        if len(args) != len(self.params):
            raise TypeError(f"{self.name} takes {len(self.params)} arguments, got {len(args)}")
        return _each(self._codecs, args, self._labels)
