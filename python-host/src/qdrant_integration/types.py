"""The client's value types: what callers build (vector parameters, quantization, queries,
retry policy, shard-key selectors) and what calls return (points, scored points, collection
info, snapshots). Plain frozen dataclasses; importing them loads neither wasmtime nor numpy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SparseVector:
    """A sparse vector: ``values[i]`` at dimension ``indices[i]``."""

    indices: list[int]
    values: list[float]


@dataclass(frozen=True)
class HnswConfig:
    """HNSW index settings; ``None`` keeps the server's value."""

    m: int | None = None
    ef_construct: int | None = None
    full_scan_threshold: int | None = None
    on_disk: bool | None = None


@dataclass(frozen=True)
class ScalarQuantization:
    """int8 quantization; ``quantile`` e.g. 0.99."""

    quantile: float | None = None
    always_ram: bool | None = None


@dataclass(frozen=True)
class ProductQuantization:
    """Product quantization; ``compression`` is ``"x4"``, ``"x8"``, ``"x16"``, ``"x32"``
    or ``"x64"``."""

    compression: str = "x16"
    always_ram: bool | None = None


@dataclass(frozen=True)
class BinaryQuantization:
    always_ram: bool | None = None


Quantization = ScalarQuantization | ProductQuantization | BinaryQuantization


@dataclass(frozen=True)
class VectorParams:
    """One dense vector space of a collection."""

    size: int
    distance: str = "Cosine"
    on_disk: bool | None = None
    hnsw: HnswConfig | None = None
    quantization: Quantization | None = None


@dataclass(frozen=True)
class SparseVectorParams:
    """One sparse vector space; ``modifier="idf"`` lets the server apply IDF (BM25-style)."""

    modifier: str | None = None
    on_disk: bool | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """Retries: attempts in all, then exponential backoff with jitter (times in seconds).

    A field left ``None`` takes the component's default for the budget the policy is given
    to: for ``retry``, 3 attempts, 0.05 s doubling to 2 s, 10 s in all; for ``upsert_retry``,
    8 attempts, 0.1 s doubling to 5 s, 60 s per request."""

    max_attempts: int | None = None
    initial_backoff: float | None = None
    max_backoff: float | None = None
    max_elapsed: float | None = None


@dataclass(frozen=True)
class ShardKeyWithFallback:
    """Writes go to ``target``'s shard when that shard key exists, else to ``fallback``'s."""

    target: str | int
    fallback: str | int


#: A shard-key selector: one key, several keys, or a key with a fallback.
ShardKeySelector = str | int | Sequence[str | int] | ShardKeyWithFallback


@dataclass(frozen=True)
class ScoredPoint:
    """A query result: the id as upserted, its score, payload and (when asked) vectors.

    ``vectors`` maps a vector name (``""`` for the unnamed vector) to a float32 numpy
    array (dense) or a :class:`SparseVector`.
    """

    id: str
    score: float
    payload: dict[str, Any] = field(default_factory=dict)
    vectors: dict[str, Any] = field(default_factory=dict)

    @property
    def vector(self) -> Any:
        """The unnamed vector, if it was returned."""
        return self.vectors.get("")


@dataclass(frozen=True)
class Point:
    """A stored point, as :meth:`QdrantClient.get_points` and scrolls return it."""

    id: str
    payload: dict[str, Any] = field(default_factory=dict)
    vectors: dict[str, Any] = field(default_factory=dict)

    @property
    def vector(self) -> Any:
        return self.vectors.get("")


@dataclass(frozen=True)
class UpdateResult:
    """What a write reports; ``completed`` is ``False`` when it was only acknowledged."""

    operation_id: int | None
    completed: bool


@dataclass(frozen=True)
class ScrollPage:
    points: list[Point]
    #: Pass as ``offset`` for the next page; ``None`` on the last page.
    next_offset: str | None


@dataclass(frozen=True)
class Alias:
    alias: str
    collection: str


@dataclass(frozen=True)
class Snapshot:
    name: str
    creation_time: str | None
    size: int
    checksum: str | None


@dataclass(frozen=True)
class CollectionInfo:
    """Status, counts and configuration of a collection.

    ``vectors`` maps vector names (``""`` for the unnamed vector) to their parameters;
    ``payload_schema`` maps indexed fields to their type; ``config`` is Qdrant's whole
    ``config`` object.
    """

    status: str
    points_count: int | None
    indexed_vectors_count: int | None
    segments_count: int
    vectors: dict[str, VectorParams]
    sparse_vectors: dict[str, SparseVectorParams]
    shard_number: int | None
    replication_factor: int | None
    payload_schema: dict[str, str]
    config: dict[str, Any]


@dataclass(frozen=True)
class Prefetch:
    """A first stage of a query, whose results the main query fuses or re-scores.

    ``query`` is a dense vector, a sparse vector (``SparseVector`` or ``(indices,
    values)``) or a point id; ``using`` names the vector space.
    """

    query: Any
    using: str | None = None
    filter: Mapping[str, Any] | str | None = None
    limit: int = 10
    score_threshold: float | None = None
    hnsw_ef: int | None = None
    exact: bool = False


@dataclass(frozen=True)
class QueryRequest:
    """One Query API request; the keyword arguments of :meth:`QdrantClient.query`."""

    query: Any = None
    using: str | None = None
    prefetch: Sequence[Prefetch | Mapping[str, Any]] = ()
    fusion: str | None = None
    filter: Mapping[str, Any] | str | None = None
    must: Mapping[str, str] | Sequence[tuple[str, str]] | None = None
    limit: int = 10
    offset: int = 0
    score_threshold: float | None = None
    with_payload: Any = True
    with_vectors: Any = False
    hnsw_ef: int | None = None
    exact: bool = False
