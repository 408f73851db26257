"""The collection calls of :class:`~qdrant_integration.client.QdrantClient`: collections,
aliases, shard keys and payload indexes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from wasmtime.component import Variant

from . import errors
from ._area import ClientArea
from ._convert import (
    _hnsw,
    _info,
    _positive,
    _quantization,
    _shard_key,
    _shard_key_back,
    _sparse_params,
    _update,
    _vector_params,
)
from .types import (
    Alias,
    CollectionInfo,
    HnswConfig,
    Quantization,
    SparseVectorParams,
    UpdateResult,
    VectorParams,
)


class CollectionsArea(ClientArea):
    """Creating, changing and listing collections, their aliases, shard keys and payload
    indexes."""

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
