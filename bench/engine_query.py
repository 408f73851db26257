"""Search quality and speed of the embedded engine: HNSW vs exact full scan, in the same run.

Starts the engine (`qdrant-integration serve-embedded`, or `QDRANT_INTEGRATION_BIN`), fills a
collection with normalised 384-d vectors (Cosine), waits until the background optimizer has
indexed every point (status green, `indexed_vectors_count` >= points), then times the same
queries with `params.exact=true` (the baseline: a full scan) and without it (HNSW), and
measures recall@10 of HNSW against the exact answers.

Two data shapes (`--data`): `uniform` (random directions: every point is almost equally far
from a query, the worst case for HNSW) and `clusters` (a mixture of Gaussians around 200
centres, with queries from the same mixture: shaped like real embeddings, where recall means
something). With `--compare URL` (default `$QDRANT_URL`), the same data and queries also go to
that server, e.g. a real Qdrant, and both are reported.

    .venv/bin/python bench/engine_query.py [--sizes 10000 100000] [--data clusters uniform]

Not a test and not part of CI: the figures depend on the machine. docs/benchmarks.md has them.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np
import requests

from qdrant_integration import EmbeddedQdrant


def percentile(values: list[float], p: float) -> float:
    return float(np.percentile(np.array(values), p))


def dataset(
    kind: str, n: int, queries: int, dim: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """`n` points and `queries` queries of one shape, normalised."""
    if kind == "uniform":
        points = rng.normal(size=(n, dim))
        asked = rng.normal(size=(queries, dim))
    else:
        centres = rng.normal(size=(200, dim))
        centres /= np.linalg.norm(centres, axis=1, keepdims=True)
        spread = 0.6 / np.sqrt(dim)  # noise of norm ~0.6 around a unit centre
        points = centres[rng.integers(200, size=n)] + rng.normal(scale=spread, size=(n, dim))
        asked = centres[rng.integers(200, size=queries)]
        asked = asked + rng.normal(scale=spread, size=(queries, dim))
    points = points.astype(np.float32)
    asked = asked.astype(np.float32)
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    asked /= np.linalg.norm(asked, axis=1, keepdims=True)
    return points, asked


def fill(session: requests.Session, url: str, name: str, vectors: np.ndarray) -> float:
    started = time.perf_counter()
    session.delete(f"{url}/collections/{name}").raise_for_status()
    session.put(
        f"{url}/collections/{name}",
        json={"vectors": {"size": vectors.shape[1], "distance": "Cosine"}},
    ).raise_for_status()
    batch = 1000
    for start in range(0, len(vectors), batch):
        chunk = vectors[start : start + batch]
        body = {
            "batch": {
                "ids": list(range(start + 1, start + 1 + len(chunk))),
                "vectors": np.round(chunk, 6).tolist(),
            }
        }
        session.put(f"{url}/collections/{name}/points?wait=true", json=body).raise_for_status()
    return time.perf_counter() - started


def wait_indexed(session: requests.Session, url: str, name: str, n: int, limit: float) -> float:
    """Seconds until the collection is green with every vector indexed."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        info = session.get(f"{url}/collections/{name}").json()["result"]
        if info["status"] == "green" and (info.get("indexed_vectors_count") or 0) >= n:
            return time.perf_counter() - started
        time.sleep(0.5)
    raise TimeoutError(f"{name}: not indexed after {limit:.0f}s: {info}")


def time_queries(
    session: requests.Session,
    url: str,
    name: str,
    queries: np.ndarray,
    exact: bool,
    hnsw_ef: int | None = None,
) -> tuple[list[float], list[list[int]]]:
    latencies: list[float] = []
    results: list[list[int]] = []
    path = f"{url}/collections/{name}/points/query"
    params: dict = {"exact": exact}
    if hnsw_ef:
        params["hnsw_ef"] = hnsw_ef
    for q in queries:
        body = {"query": q.tolist(), "limit": 10, "params": params}
        started = time.perf_counter()
        response = session.post(path, json=body)
        latencies.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        results.append([p["id"] for p in response.json()["result"]["points"]])
    return latencies, results


def measure(
    session: requests.Session,
    url: str,
    name: str,
    vectors: np.ndarray,
    queries: np.ndarray,
    efs: list[int],
    index_timeout: float,
) -> list[dict]:
    """One server, one data set: upload, index build, then exact and HNSW queries."""
    upload = fill(session, url, name, vectors)
    indexing = wait_indexed(session, url, name, len(vectors), index_timeout)
    # Warm both paths (page cache, allocator) before timing.
    time_queries(session, url, name, queries[:20], exact=True)
    time_queries(session, url, name, queries[:20], exact=False)
    exact, truth = time_queries(session, url, name, queries, exact=True)
    rows = []
    for ef in [None, *efs]:
        hnsw, found = time_queries(session, url, name, queries, False, ef)
        recall = statistics.mean(
            len(set(t) & set(f)) / len(t) for t, f in zip(truth, found, strict=True)
        )
        rows.append(
            {
                "ef": ef or "default",
                "upload_s": upload,
                "index_s": indexing,
                "exact_p50": percentile(exact, 50),
                "hnsw_p50": percentile(hnsw, 50),
                "hnsw_p95": percentile(hnsw, 95),
                "recall": recall,
            }
        )
    session.delete(f"{url}/collections/{name}").raise_for_status()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--data", nargs="+", choices=["clusters", "uniform"], default=["clusters"])
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--hnsw-ef",
        type=int,
        nargs="*",
        default=[128, 256],
        help="also time HNSW with these `params.hnsw_ef` (besides the default)",
    )
    parser.add_argument("--index-timeout", type=float, default=1800)
    parser.add_argument("--url", help="an engine already running (default: start one)")
    parser.add_argument(
        "--compare",
        default=os.environ.get("QDRANT_URL"),
        help="another server to run the same on, e.g. a real Qdrant (default $QDRANT_URL)",
    )
    args = parser.parse_args()

    engine = None if args.url else EmbeddedQdrant()
    servers = {"engine": args.url or engine.start()}
    if args.compare:
        servers["compare"] = args.compare
    session = requests.Session()
    rows = []
    try:
        for kind in args.data:
            for n in args.sizes:
                rng = np.random.default_rng(7)
                vectors, queries = dataset(kind, n, args.queries, args.dim, rng)
                for server, url in servers.items():
                    name = f"bench_{kind}_{n}"
                    for row in measure(
                        session, url, name, vectors, queries, args.hnsw_ef, args.index_timeout
                    ):
                        row.update(server=server, data=kind, points=n)
                        rows.append(row)
                        print(row, file=sys.stderr, flush=True)
    finally:
        if engine:
            engine.stop()

    print(f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"{args.dim}-d Cosine, {args.queries} queries, limit 10, one client\n")  # fmt: skip
    print(
        "| server | data | points | hnsw_ef | exact p50 | HNSW p50 | HNSW p95 | p50 speed-up "
        "| recall@10 | upload | index build |"
    )
    print("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['server']} | {r['data']} | {r['points']:,} | {r['ef']} "
            f"| {r['exact_p50']:.2f} ms | {r['hnsw_p50']:.2f} ms | {r['hnsw_p95']:.2f} ms "
            f"| {r['exact_p50'] / r['hnsw_p50']:.1f}x | {r['recall']:.3f} "
            f"| {r['upload_s']:.0f} s | {r['index_s']:.0f} s |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
