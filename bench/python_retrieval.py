"""Python host vs qdrant-client / dspy-qdrant: retrieve latency, upsert throughput and the
per-call host overhead, on the same server with the same vectors and queries.

    python bench/python_retrieval.py [--points 10000] [--queries 300] [--rounds 5]

Needs ``pip install dspy-qdrant qdrant-client`` (not in CI). Uses ``$QDRANT_URL`` or a
freshly started embedded engine. Vectors are random normalised 384-d, and both retrievers
get the same precomputed query vectors from the same vectorizer, so no time goes to
embedding. Prints a Markdown table (medians of per-call times; throughput is the best of
``--rounds``).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import http.client
import json
import os
import pstats
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from urllib.parse import urlsplit

import numpy as np

from qdrant_integration import EmbeddedQdrant, QdrantClient, QdrantRM

DIM = 384
K = 5


@contextlib.contextmanager
def server() -> Iterator[str]:
    url = os.environ.get("QDRANT_URL")
    if url:
        yield url
        return
    with EmbeddedQdrant() as embedded:
        yield embedded


def unit(n: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


class Precomputed:
    """A vectorizer that looks up precomputed query vectors (no embedding cost)."""

    def __init__(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        self.table = dict(zip(texts, vectors, strict=True))

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self.table[t] for t in texts])


def per_call(fn: Callable[[int], object], n: int) -> list[float]:
    times = []
    for i in range(n):
        started = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - started)
    return times


def interleaved(fns: dict[str, Callable[[int], object]], n: int, rounds: int) -> dict[str, float]:
    """Median seconds per call of each function, alternating them round by round (the
    machine's noise hits all of them alike)."""
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():  # warm up connections and caches
        per_call(fn, min(n, 20))
    for _ in range(rounds):
        for name, fn in fns.items():
            samples[name] += per_call(fn, n)
    return {name: statistics.median(times) for name, times in samples.items()}


def raw_query(url: str, collection: str) -> Callable[[np.ndarray], object]:
    """The same query as one plain ``http.client`` POST: the floor for any client."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port)
    path = f"/collections/{collection}/points/query"
    headers = {"content-type": "application/json"}

    def query(vector: np.ndarray) -> object:
        body = json.dumps({"query": vector.tolist(), "limit": K, "with_payload": True})
        conn.request("POST", path, body, headers)
        return json.loads(conn.getresponse().read())

    return query


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile our search calls")
    args = parser.parse_args()

    from qdrant_client import QdrantClient as NativeClient
    from qdrant_client import models

    try:
        from dspy_qdrant import QdrantRM as TheirRM
    except ImportError:
        TheirRM = None  # noqa: N806

    vectors = unit(args.points, 1)
    texts = [f"document {i}" for i in range(args.points)]
    queries = [f"query {i}" for i in range(args.queries)]
    query_vectors = unit(args.queries, 2)
    vectorizer = Precomputed(queries, query_vectors)
    rows: list[tuple[str, str, str, str]] = []

    with server() as url:
        ours = QdrantClient(url)
        native = NativeClient(url=url, prefer_grpc=False, timeout=60)
        collection = "bench_retrieval"
        if ours.collection_exists(collection):
            ours.delete_collection(collection)
        ours.create_collection(collection, DIM)
        ours.upsert(collection, list(range(args.points)), vectors, [{"text": t} for t in texts])

        # -- retrieve: our QdrantRM vs dspy-qdrant's --------------------------------------
        our_rm = QdrantRM(collection_name=collection, client=ours, vectorizer=vectorizer, k=K)
        if TheirRM is not None:
            their_rm = TheirRM(
                collection, native, k=K, document_field="text", vectorizer=vectorizer
            )
            their_name = "dspy-qdrant `QdrantRM`"
        else:

            def their_rm(query: str | list[str]) -> list[str]:
                batch = [query] if isinstance(query, str) else query
                return [
                    native.query_points(collection, query=v.tolist(), limit=K).points
                    for v in vectorizer(batch)
                ]

            their_name = "qdrant-client `query_points` (dspy-qdrant missing)"
        triples = [queries[i : i + 3] for i in range(0, len(queries) - 2, 3)]
        medians = interleaved(
            {
                "ours": lambda i: our_rm(queries[i]),
                "theirs": lambda i: their_rm(queries[i]),
                "ours3": lambda i: our_rm(triples[i % len(triples)]),
                "theirs3": lambda i: their_rm(triples[i % len(triples)]),
            },
            args.queries,
            args.rounds,
        )
        for label, a, b in (("1 query", "ours", "theirs"), ("3 queries", "ours3", "theirs3")):
            rows.append(
                (
                    f"retrieve, {label}, k={K} (ms/call)",
                    f"{medians[a] * 1e3:.3f}",
                    f"{medians[b] * 1e3:.3f}",
                    f"{medians[a] / medians[b]:.2f}x (target <= 1.0x)",
                )
            )

        # -- host overhead: our search vs a raw POST of the same JSON ---------------------
        raw = raw_query(url, collection)
        host = interleaved(
            {
                "search": lambda i: ours.search(collection, query_vectors[i], K),
                "raw": lambda i: raw(query_vectors[i]),
            },
            args.queries,
            args.rounds,
        )
        overhead = (host["search"] - host["raw"]) * 1e3
        rows.append(
            (
                "`search` vs raw `http.client` POST (ms/call)",
                f"{host['search'] * 1e3:.3f}",
                f"{host['raw'] * 1e3:.3f}",
                f"overhead {overhead:.3f} ms (target <= 0.3 ms)",
            )
        )

        # -- upsert throughput ------------------------------------------------------------
        payloads = [{"text": t} for t in texts]
        ids = list(range(args.points))

        def our_upsert(name: str) -> None:
            ours.upsert(name, ids, vectors, payloads)

        def their_upsert(name: str) -> None:
            native.upload_points(
                name,
                [
                    models.PointStruct(id=i, vector=vectors[i].tolist(), payload=payloads[i])
                    for i in ids
                ],
                wait=True,
            )

        best = {"ours": float("inf"), "theirs": float("inf")}
        for r in range(max(2, args.rounds // 2)):
            for who, upsert in (("ours", our_upsert), ("theirs", their_upsert)):
                name = f"bench_upsert_{who}_{r}"
                ours.create_collection(name, DIM)
                started = time.perf_counter()
                upsert(name)
                best[who] = min(best[who], time.perf_counter() - started)
                assert ours.count(name) == args.points
                ours.delete_collection(name)
        rate = {who: args.points / seconds for who, seconds in best.items()}
        rows.append(
            (
                f"upsert {args.points:,} x {DIM}-d, wait=true (points/s)",
                f"{rate['ours']:,.0f}",
                f"{rate['theirs']:,.0f} (`upload_points`)",
                f"{rate['ours'] / rate['theirs']:.2f}x (target >= 1.0x)",
            )
        )

        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            for i in range(args.queries):
                ours.search(collection, query_vectors[i], K)
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
        ours.delete_collection(collection)

    print(f"\nqdrant-integration vs {their_name}, {args.points:,} points, {args.queries} queries\n")
    print("| measure | ours | theirs | ratio |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
