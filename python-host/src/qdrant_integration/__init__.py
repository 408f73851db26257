"""A sandboxed Qdrant client and DSPy retriever: all Qdrant logic runs in a WebAssembly
component under wasmtime.

``QdrantClient`` needs only wasmtime; ``QdrantRM`` needs DSPy (imported on first use).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import errors
from .client import (
    Alias,
    BinaryQuantization,
    CollectionInfo,
    HnswConfig,
    Point,
    Prefetch,
    ProductQuantization,
    QdrantClient,
    QueryRequest,
    RetryPolicy,
    ScalarQuantization,
    ScoredPoint,
    ScrollPage,
    Snapshot,
    SparseVector,
    SparseVectorParams,
    UpdateResult,
    VectorParams,
)
from .embedded import EmbeddedQdrant
from .embeddings import MiniLMEmbedder
from .errors import QdrantError

if TYPE_CHECKING:
    from .dspy_rm import QdrantRM

__all__ = [
    "Alias",
    "BinaryQuantization",
    "CollectionInfo",
    "EmbeddedQdrant",
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
    "Snapshot",
    "SparseVector",
    "SparseVectorParams",
    "UpdateResult",
    "VectorParams",
    "errors",
]


def __getattr__(name: str) -> Any:
    if name == "QdrantRM":
        from .dspy_rm import QdrantRM

        return QdrantRM
    raise AttributeError(name)
