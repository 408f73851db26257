"""The data of the client-surface tests (``test_query.py``, ``test_points.py``,
``test_collections.py``): expected answers are computed from it."""

from __future__ import annotations

import uuid

import numpy as np

from qdrant_integration.types import SparseVector

DIM = 8
VOCAB = 40


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


def dataset(n: int, seed: int = 3) -> tuple[list[str], np.ndarray, list[SparseVector], list[dict]]:
    """Mixed ids (integers, arbitrary strings, UUIDs), dense rows, sparse rows, payloads."""
    rng = np.random.default_rng(seed)
    ids = []
    for i in range(n):
        if i % 3 == 0:
            ids.append(str(i))
        elif i % 3 == 1:
            ids.append(f"doc-{i}")
        else:
            ids.append(str(uuid.UUID(int=i + 1)))
    dense = rng.normal(size=(n, DIM)).astype(np.float32)
    sparse = []
    for _ in range(n):
        indices = sorted(int(x) for x in rng.choice(VOCAB, size=5, replace=False))
        values = [float(v) for v in rng.uniform(0.1, 1.0, size=5).astype(np.float32)]
        sparse.append(SparseVector(indices, values))
    payloads = [{"group": "a" if i % 4 == 0 else "b", "n": i, "tag": f"t{i % 5}"} for i in range(n)]
    return ids, dense, sparse, payloads
