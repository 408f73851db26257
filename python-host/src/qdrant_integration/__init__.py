"""A sandboxed Qdrant client and DSPy retriever: all Qdrant logic runs in a WebAssembly
component under wasmtime.

Importing the package loads nothing else: each name loads its module on first use
(``QdrantClient`` loads wasmtime and numpy; ``QdrantRM`` loads DSPy; ``MiniLMEmbedder``
loads onnxruntime and tokenizers when it first embeds).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import errors
    from .client import QdrantClient
    from .dspy_rm import QdrantRM
    from .embedded import EmbeddedQdrant
    from .embeddings import MiniLMEmbedder
    from .errors import FastCallsUnavailable, QdrantError
    from .types import (
        Alias,
        BinaryQuantization,
        CollectionInfo,
        HnswConfig,
        Point,
        Prefetch,
        ProductQuantization,
        QueryRequest,
        RetryPolicy,
        ScalarQuantization,
        ScoredPoint,
        ScrollPage,
        ShardKeyWithFallback,
        Snapshot,
        SparseVector,
        SparseVectorParams,
        UpdateResult,
        VectorParams,
    )

#: Where each public name lives.
_MODULES = {
    "Alias": "types",
    "BinaryQuantization": "types",
    "CollectionInfo": "types",
    "EmbeddedQdrant": "embedded",
    "FastCallsUnavailable": "errors",
    "HnswConfig": "types",
    "MiniLMEmbedder": "embeddings",
    "Point": "types",
    "Prefetch": "types",
    "ProductQuantization": "types",
    "QdrantClient": "client",
    "QdrantError": "errors",
    "QdrantRM": "dspy_rm",
    "QueryRequest": "types",
    "RetryPolicy": "types",
    "ScalarQuantization": "types",
    "ScoredPoint": "types",
    "ScrollPage": "types",
    "ShardKeyWithFallback": "types",
    "Snapshot": "types",
    "SparseVector": "types",
    "SparseVectorParams": "types",
    "UpdateResult": "types",
    "VectorParams": "types",
}

__all__ = [
    "Alias",
    "BinaryQuantization",
    "CollectionInfo",
    "EmbeddedQdrant",
    "FastCallsUnavailable",
    "HnswConfig",
    "MiniLMEmbedder",
    "Point",
    "Prefetch",
    "ProductQuantization",
    "QdrantClient",
    "QdrantError",
    "QdrantRM",
    "QueryRequest",
    "RetryPolicy",
    "ScalarQuantization",
    "ScoredPoint",
    "ScrollPage",
    "ShardKeyWithFallback",
    "Snapshot",
    "SparseVector",
    "SparseVectorParams",
    "UpdateResult",
    "VectorParams",
    "errors",
]


def __getattr__(name: str) -> Any:
    if name == "errors":
        return importlib.import_module(".errors", __name__)
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # the next lookup skips this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
