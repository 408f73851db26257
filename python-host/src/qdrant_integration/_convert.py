"""Conversions between the client's Python values and the component's WIT values (the
plain forms :mod:`._wit` lowers): user spellings of distances, quantization and selectors on
the way in, typed results on the way out.
"""

from __future__ import annotations

import base64
import json
import operator
import reprlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from typing import Any

import numpy as np
from wasmtime.component import Variant

from . import errors
from ._sandbox import pack_vectors
from .types import (
    BinaryQuantization,
    CollectionInfo,
    HnswConfig,
    Point,
    Prefetch,
    ProductQuantization,
    Quantization,
    QueryRequest,
    RetryPolicy,
    ScalarQuantization,
    ScoredPoint,
    ShardKeySelector,
    ShardKeyWithFallback,
    Snapshot,
    SparseVector,
    SparseVectorParams,
    UpdateResult,
    VectorParams,
)

#: Resolves a user's spelling with the component's own rule: ``named("distance", "COSINE")``
#: calls its ``distance-named`` export (and ``quantization-named``), so every host reads
#: names the same way.
Named = Callable[[str, str], Any]

# ---- conversions to the component's values -------------------------------------------


def _positive(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise errors.InvalidInput(f"{what} must be a positive int, got {value!r}")
    return int(value)


#: The largest integer point id (Qdrant's ids are u64).
MAX_ID = (1 << 64) - 1


def _id(value: Any, where: str) -> str:
    """A point id as the component's string: an ``int`` (not a ``bool``) in 0..2**64-1, a
    ``str`` (the component says what it means) or a ``uuid.UUID``."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        if 0 <= value <= MAX_ID:
            return str(int(value))
        raise errors.InvalidInput(f"{where}: the id {int(value)} is outside 0..{MAX_ID}")
    if isinstance(value, uuid.UUID):
        return str(value)
    raise errors.InvalidInput(
        f"{where}: the id {reprlib.repr(value)} is a {type(value).__name__}: an id is an "
        "unsigned integer, a string or a uuid.UUID"
    )


def _ids(ids: Any, what: str) -> list[str]:
    """A sequence of point ids as the component's strings (see :func:`_id`); ``what``
    names each one in a refusal (``point 3``)."""
    if isinstance(ids, (str, bytes, bytearray)):
        raise errors.InvalidInput(
            f"ids: expected a sequence of ids, got a bare {type(ids).__name__} "
            "(put a single id in a list)"
        )
    if isinstance(ids, np.ndarray):
        ids = ids.tolist()  # numpy integers become ints, in one C-level pass
    values = list(ids)
    if not values:
        return values
    kinds = set(map(type, values))
    if kinds == {str}:
        return values
    if kinds == {int} and min(values) >= 0 and max(values) <= MAX_ID:
        return list(map(str, values))
    return [_id(value, f"{what} {index}") for index, value in enumerate(values)]


def _integer(value: Any) -> int:
    """An integer option (``limit``, ``offset``): ``operator.index``, so ``1.5`` or
    ``"3"`` is a ``TypeError``, as Python's own ``range(1.5)``; the component's type
    checks the range."""
    return operator.index(value)


def _json(value: Any, what: str) -> str:
    """``value`` as JSON text; one that nests too deeply for Python's recursion limit, or
    holds itself, is :class:`~qdrant_integration.errors.InvalidInput` naming ``what``."""
    try:
        return json.dumps(value)
    except RecursionError:
        problem = "nests too deeply to be written as JSON"
    except ValueError as e:
        if "Circular reference" not in str(e):
            raise
        problem = "holds itself, which JSON cannot"
    # Raised outside the handlers: no chain of a thousand frames.
    raise errors.InvalidInput(f"{what} {problem}")


def _payload_texts(payloads: Sequence[Any]) -> list[str]:
    """Each payload as JSON text (``None`` as ``{}``); a refusal names the payload."""
    dumps = json.dumps
    try:
        return [dumps({} if p is None else p) for p in payloads]
    except (RecursionError, ValueError):
        pass
    return [_json({} if p is None else p, f"payload {i}") for i, p in enumerate(payloads)]


def _hnsw(hnsw: HnswConfig | Mapping[str, Any] | None) -> dict[str, Any] | None:
    if hnsw is None:
        return None
    if isinstance(hnsw, Mapping):
        hnsw = HnswConfig(**hnsw)
    return {f.name: getattr(hnsw, f.name) for f in fields(hnsw)}


def _quantization(quantization: Any, named: Named) -> Variant | None:
    """A name (``"scalar"``, ``"binary"``, ``"product"``, ...: the component's rule) or one
    of the quantization dataclasses."""
    if quantization is None:
        return None
    if isinstance(quantization, str):
        return named("quantization", quantization)
    tag = {
        ScalarQuantization: "scalar",
        ProductQuantization: "product",
        BinaryQuantization: "binary",
    }.get(type(quantization))
    if tag is None:
        raise errors.InvalidInput(f"not a quantization: {quantization!r}")
    return Variant(tag, {f.name: getattr(quantization, f.name) for f in fields(quantization)})


def _vector_params(name: str, params: Any, distance: str, named: Named) -> dict[str, Any]:
    if isinstance(params, Mapping):
        params = VectorParams(**params)
    elif not isinstance(params, VectorParams):
        params = VectorParams(_positive(params, f"size of vector {name!r}"), distance)
    return {
        "name": name,
        "size": _positive(params.size, f"size of vector {name!r}"),
        "distance": named("distance", str(params.distance)),
        "on_disk": params.on_disk,
        "hnsw": _hnsw(params.hnsw),
        "quantization": _quantization(params.quantization, named),
    }


def _sparse_params(name: str, params: Any) -> dict[str, Any]:
    if params is None:
        params = SparseVectorParams()
    elif isinstance(params, str):
        params = SparseVectorParams(modifier=params)
    elif isinstance(params, Mapping):
        params = SparseVectorParams(**params)
    modifier = (params.modifier or "none").lower()
    if modifier not in ("none", "idf"):
        raise errors.InvalidInput(f"unknown sparse modifier {params.modifier!r}: use idf")
    return {"name": name, "modifier": modifier, "on_disk": params.on_disk}


def _sparse(vector: Any) -> dict[str, Any]:
    """A sparse vector from ``SparseVector``, ``(indices, values)`` or a mapping."""
    if isinstance(vector, SparseVector):
        indices, values = vector.indices, vector.values
    elif isinstance(vector, Mapping):
        indices, values = vector["indices"], vector["values"]
    else:
        indices, values = vector
    return {"indices": indices, "values": values}


def _is_sparse(value: Any) -> bool:
    if isinstance(value, (SparseVector, Mapping)):
        return True
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and all(isinstance(part, (list, tuple, np.ndarray)) for part in value)
    )


def _query_vector(query: Any) -> Variant:
    """A dense vector, a sparse vector or a point id (``str`` or ``int``)."""
    if isinstance(query, (str, int, np.integer, uuid.UUID)) and not isinstance(query, bool):
        return Variant("point", _id(query, "query"))
    if _is_sparse(query):
        return Variant("sparse", _sparse(query))
    packed, count, _ = pack_vectors(query)
    if count != 1:
        raise errors.InvalidInput("a query takes one vector")
    return Variant("dense", packed)


def _filter(
    filter: Any = None, must: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None
) -> Variant | None:
    """``filter`` is a Qdrant filter (dict or JSON text, or a WIT ``filter`` Variant);
    ``must`` the shortcut for exact keyword matches. Not both."""
    if filter is not None and must is not None:
        raise errors.InvalidInput("give either filter= or must=, not both")
    if filter is not None:
        if isinstance(filter, Variant):
            return filter
        return Variant("json", filter if isinstance(filter, str) else _json(filter, "filter"))
    if must is not None:
        pairs = must.items() if isinstance(must, Mapping) else must
        return Variant("must-match", [(str(k), str(v)) for k, v in pairs])
    return None


def _payload_selector(with_payload: Any) -> Variant:
    """``True``/``False``, a list of keys to include, or ``{"include"|"exclude": [...]}``."""
    if with_payload is True:
        return Variant("all")
    if with_payload is False or with_payload is None:
        return Variant("none")
    if isinstance(with_payload, str):
        return Variant("include", [with_payload])
    if isinstance(with_payload, Mapping):
        if set(with_payload) in ({"include"}, {"exclude"}):
            ((case, keys),) = with_payload.items()
            return Variant(case, [keys] if isinstance(keys, str) else list(keys))
        raise errors.InvalidInput(f"with_payload: use include or exclude, got {with_payload!r}")
    return Variant("include", list(with_payload))


def _vector_selector(with_vectors: Any) -> Variant:
    """``True``/``False``, one vector name or a list of names."""
    if with_vectors is True:
        return Variant("all")
    if with_vectors is False or with_vectors is None:
        return Variant("none")
    if isinstance(with_vectors, str):
        return Variant("only", [with_vectors])
    return Variant("only", list(with_vectors))


def _params(hnsw_ef: int | None, exact: bool) -> dict[str, Any] | None:
    if hnsw_ef is None and not exact:
        return None
    return {"hnsw_ef": hnsw_ef, "exact": bool(exact)}


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _prefetch(stage: Prefetch | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(stage, Mapping):
        stage = Prefetch(**stage)
    return {
        "query": _query_vector(stage.query),
        "using": stage.using,
        "filter": _filter(stage.filter),
        "limit": _integer(stage.limit),
        "score_threshold": _float(stage.score_threshold),
        "params": _params(stage.hnsw_ef, stage.exact),
    }


def _query_request(request: QueryRequest | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(request, Mapping):
        request = QueryRequest(**request)
    if request.fusion is not None:
        if request.query is not None:
            raise errors.InvalidInput("give either a query vector or fusion=, not both")
        fusion = str(request.fusion).lower()
        if fusion not in ("rrf", "dbsf"):
            raise errors.InvalidInput(f"unknown fusion {request.fusion!r}: use rrf or dbsf")
        query = Variant("fusion", fusion)
    elif request.query is None:
        raise errors.InvalidInput("a query needs a vector, a point id or fusion=")
    else:
        query = Variant("nearest", _query_vector(request.query))
    return {
        "query": query,
        "using": request.using,
        "prefetch": [_prefetch(p) for p in request.prefetch],
        "filter": _filter(request.filter, request.must),
        "limit": _integer(request.limit),
        "offset": _integer(request.offset),
        "score_threshold": _float(request.score_threshold),
        "with_payload": _payload_selector(request.with_payload),
        "with_vectors": _vector_selector(request.with_vectors),
        "params": _params(request.hnsw_ef, request.exact),
    }


def _selector(ids: Sequence[str | int] | None, filter: Any, must: Any) -> Variant:
    chosen = _filter(filter, must)
    if (ids is None) == (chosen is None):
        raise errors.InvalidInput("select points by ids or by filter=/must=: exactly one")
    if chosen is not None:
        return Variant("filter", chosen)
    return Variant("ids", _ids(ids, "ids item"))


# ---- conversions from the component's values -----------------------------------------


def unpack_vector(packed: Variant) -> np.ndarray:
    """A WIT ``packed-vectors`` value as a float32 array (the component answers in base64)."""
    raw = base64.b64decode(packed.payload) if packed.tag == "base64" else bytes(packed.payload)
    return np.frombuffer(raw, dtype="<f4").astype(np.float32)


def _vectors(named: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for entry in named:
        data = entry["vector"]
        if data.tag == "dense":
            out[entry["name"]] = unpack_vector(data.payload)
        else:
            out[entry["name"]] = SparseVector(data.payload["indices"], data.payload["values"])
    return out


def _scored(p: dict[str, Any]) -> ScoredPoint:
    return ScoredPoint(p["id"], p["score"], json.loads(p["payload"]), _vectors(p["vectors"]))


def _point(p: dict[str, Any]) -> Point:
    return Point(p["id"], json.loads(p["payload"]), _vectors(p["vectors"]))


def _update(result: dict[str, Any]) -> UpdateResult:
    return UpdateResult(result["operation_id"], result["completed"])


def _snapshot(s: dict[str, Any]) -> Snapshot:
    return Snapshot(s["name"], s["creation_time"], s["size"], s["checksum"])


def _quantization_back(q: Variant | None) -> Quantization | None:
    if q is None:
        return None
    cls = {
        "scalar": ScalarQuantization,
        "product": ProductQuantization,
        "binary": BinaryQuantization,
    }[q.tag]
    return cls(**q.payload)


def _hnsw_back(h: dict[str, Any] | None) -> HnswConfig | None:
    return None if h is None else HnswConfig(**h)


def _info(info: dict[str, Any]) -> CollectionInfo:
    return CollectionInfo(
        status=info["status"],
        points_count=info["points_count"],
        indexed_vectors_count=info["indexed_vectors_count"],
        segments_count=info["segments_count"],
        vectors={
            v["name"]: VectorParams(
                v["size"],
                v["distance"].capitalize(),  # Qdrant's name: Cosine, Dot, Euclid, Manhattan
                v["on_disk"],
                _hnsw_back(v["hnsw"]),
                _quantization_back(v["quantization"]),
            )
            for v in info["vectors"]
        },
        sparse_vectors={
            s["name"]: SparseVectorParams(
                None if s["modifier"] == "none" else s["modifier"], s["on_disk"]
            )
            for s in info["sparse_vectors"]
        },
        shard_number=info["shard_number"],
        replication_factor=info["replication_factor"],
        payload_schema=dict(info["payload_schema"]),
        config=json.loads(info["config_json"]),
    )


READ_CONSISTENCIES = ("majority", "quorum", "all")
WRITE_ORDERINGS = ("weak", "medium", "strong")


def _consistency(consistency: int | str | None) -> Variant | None:
    """A replica count, or ``"majority"``, ``"quorum"`` or ``"all"``."""
    if consistency is None:
        return None
    if isinstance(consistency, str):
        if consistency.lower() not in READ_CONSISTENCIES:
            raise errors.InvalidInput(
                f"unknown consistency {consistency!r}: use a number, majority, quorum or all"
            )
        return Variant(consistency.lower())
    return Variant("factor", _positive(consistency, "consistency"))


def _ordering(ordering: str | None) -> str | None:
    if ordering is None:
        return None
    if not isinstance(ordering, str) or ordering.lower() not in WRITE_ORDERINGS:
        raise errors.InvalidInput(f"unknown ordering {ordering!r}: use weak, medium or strong")
    return ordering.lower()


def _shard_key(key: Any) -> Variant:
    if isinstance(key, str):
        return Variant("keyword", key)
    if isinstance(key, int | np.integer) and not isinstance(key, bool) and key >= 0:
        return Variant("number", int(key))
    raise errors.InvalidInput(f"a shard key is a string or a non-negative integer, not {key!r}")


def _shard_key_back(key: Variant) -> str | int:
    return key.payload


def _shard_selector(selector: ShardKeySelector | None) -> Variant | None:
    if selector is None:
        return None
    if isinstance(selector, ShardKeyWithFallback):
        target, fallback = _shard_key(selector.target), _shard_key(selector.fallback)
        return Variant("with-fallback", {"target": target, "fallback": fallback})
    if isinstance(selector, Sequence) and not isinstance(selector, str):
        return Variant("keys", [_shard_key(k) for k in selector])
    return Variant("keys", [_shard_key(selector)])


def _retry(policy: RetryPolicy | None, default: dict[str, int]) -> dict[str, Any] | None:
    """``policy`` as the WIT record; a field left ``None`` takes ``default``'s value (the
    component's own for that budget, from its ``default-config``)."""
    if policy is None:
        return None
    if not isinstance(policy, RetryPolicy):
        raise errors.InvalidInput(f"not a RetryPolicy: {type(policy).__name__}")
    given = {
        "max_attempts": None if policy.max_attempts is None else int(policy.max_attempts),
        "initial_backoff_ms": _millis(policy.initial_backoff),
        "max_backoff_ms": _millis(policy.max_backoff),
        "max_elapsed_ms": _millis(policy.max_elapsed),
    }
    return {name: default[name] if value is None else value for name, value in given.items()}


def _millis(seconds: float | None) -> int | None:
    return None if seconds is None else max(1, int(seconds * 1000))


def _cluster_options(
    consistency: int | str | None, ordering: str | None, selector: ShardKeySelector | None
) -> dict[str, Any]:
    """The cluster members of the component's ``config``."""
    return {
        "read_consistency": _consistency(consistency),
        "write_ordering": _ordering(ordering),
        "shard_key": _shard_selector(selector),
    }
