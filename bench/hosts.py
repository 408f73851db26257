"""Every host of the component side by side, against one engine: artifact sizes, and per host
the time to first answer (process start to the answer of its first top-10 query) and the p50
of a top-10 query, beside the Rust host's figures of the same run.

    bash scripts/hosts.sh        # tools and artifacts (or scripts/tools.sh, scripts/artifacts.sh)
    .venv/bin/python bench/hosts.py [--points 10000] [--queries 200] [--runs 3]

Each host runs a small probe (host/examples/query_latency.rs, the Python one below,
node/latency.js, the composed examples/component-app `query-latency` command) that prints
`first` after its first answer and then `p50_us` over the other queries, each timed inside
the probe; `wasmtime serve` is timed from here over one keep-alive connection, since every
request gets a fresh instance there. Vectors are random normalised 384-d; every host gets the
same queries. Prints a Markdown table (medians over --runs).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from python_retrieval import server  # the same server choice as the other bench

ROOT = Path(__file__).resolve().parents[1]
DIM = 384
COLLECTION = "bench_hosts"
WASMTIME = ROOT / ".tools/bin/wasmtime"
RELEASE = "wasm32-wasip2/release/qdrant_component.wasm"
ARTIFACTS = {
    "retriever-hosted (Rust and Python hosts)": f"target/component-hosted/{RELEASE}",
    "retriever (wasi:http; jco, wac)": f"target/component/{RELEASE}",
    "edge (wasmtime serve, Spin, wasmCloud)": f"target/component-edge/{RELEASE}",
    "app + retriever, composed by wac": "target/hosts/app.wasm",
    "Node: transpiled core module + JS": "node/retriever",
}


def probe_python() -> None:
    """The Python host's probe (run as a child process)."""
    from qdrant_integration import QdrantClient

    rows = np.fromfile(os.environ["BENCH_QUERIES"], dtype="<f4").reshape(-1, DIM)
    client = QdrantClient(os.environ["QDRANT_URL"])
    client.search(COLLECTION, rows[0], 10)
    print("first", flush=True)
    times = []
    for row in rows[1:]:
        started = time.perf_counter_ns()
        client.search(COLLECTION, row, 10)
        times.append((time.perf_counter_ns() - started) // 1000)
    print(f"p50_us {int(statistics.median(times))}", flush=True)


def run_probe(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(ms from spawn to `first`, p50 in ms) of one probe process."""
    started = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    assert process.stdout is not None
    first = None
    p50 = None
    for line in process.stdout:
        if line.strip() == "first":
            first = (time.perf_counter() - started) * 1e3
        elif line.startswith("p50_us "):
            p50 = int(line.split()[1]) / 1e3
    if process.wait() != 0 or first is None or p50 is None:
        raise RuntimeError(f"{args[0]} failed")
    return first, p50


def run_serve(url: str, queries: np.ndarray) -> tuple[float, float]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    bodies = [json.dumps({"vector": q.tolist(), "limit": 10}) for q in queries]
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(WASMTIME), "serve", "-S", "cli", "-S", "http", "--addr", f"127.0.0.1:{port}",
         "--env", f"QDRANT_URL={url}", ARTIFACTS["edge (wasmtime serve, Spin, wasmCloud)"]],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
    )  # fmt: skip
    try:
        path = f"/v1/collections/{COLLECTION}/query"
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                connection.request("POST", path, bodies[0])
                break
            except OSError:
                time.sleep(0.002)
        response = connection.getresponse()
        assert response.status == 200, response.read()
        response.read()
        first = (time.perf_counter() - started) * 1e3
        times = []
        for body in bodies[1:]:
            t0 = time.perf_counter()
            connection.request("POST", path, body)
            response = connection.getresponse()
            response.read()
            assert response.status == 200
            times.append((time.perf_counter() - t0) * 1e3)
        return first, statistics.median(times)
    finally:
        process.terminate()
        process.wait()


def size(path: Path) -> int:
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--probe-python", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe_python:
        probe_python()
        return

    subprocess.run(
        ["cargo", "build", "--release", "--locked", "--quiet", "-p", "qdrant-integration",
         "--example", "query_latency"], check=True, cwd=ROOT,
    )  # fmt: skip
    from qdrant_integration import QdrantClient

    rng = np.random.default_rng(7)

    def normalised(n: int) -> np.ndarray:
        v = rng.standard_normal((n, DIM)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    print("| artifact | size |\n|---|---|")
    for name, path in ARTIFACTS.items():
        print(f"| {name} | {size(ROOT / path) / 1e6:.2f} MB |")

    with server() as url, tempfile.TemporaryDirectory() as tmp:
        client = QdrantClient(url)
        client.delete_collection(COLLECTION)
        client.create_collection(COLLECTION, DIM, "Cosine")
        client.upsert(COLLECTION, list(range(args.points)), normalised(args.points),
                      [{"i": i} for i in range(args.points)])  # fmt: skip
        queries = normalised(args.queries)
        query_file = Path(tmp) / "queries.f32"
        queries.astype("<f4").tofile(query_file)
        env = dict(os.environ, QDRANT_URL=url, BENCH_COLLECTION=COLLECTION,
                   BENCH_DIMENSION=str(DIM), BENCH_QUERIES=str(query_file))  # fmt: skip
        wasm_env = ["--env", f"QDRANT_URL={url}", "--env", f"BENCH_COLLECTION={COLLECTION}",
                    "--env", f"BENCH_DIMENSION={DIM}", "--env", "BENCH_QUERIES=/bench/queries.f32",
                    "--dir", f"{tmp}::/bench"]  # fmt: skip
        hosts = {
            "Rust host (wasmtime 48)": lambda: run_probe(
                [str(ROOT / "target/release/examples/query_latency")], env),
            "Python host (wasmtime-py)": lambda: run_probe(
                [sys.executable, __file__, "--probe-python"], env),
            "wasmtime serve (edge build, HTTP)": lambda: run_serve(url, queries),
            "wasmtime run (composed command)": lambda: run_probe(
                [str(WASMTIME), "run", "-S", "http", *wasm_env, "target/hosts/latency.wasm"], env),
            "Node (jco)": lambda: run_probe(["node", "node/latency.js"], env),
        }  # fmt: skip
        results = {}
        for name, run in hosts.items():
            runs = [run() for _ in range(args.runs)]
            results[name] = (
                statistics.median(r[0] for r in runs),
                statistics.median(r[1] for r in runs),
            )
        client.delete_collection(COLLECTION)

    rust_first, rust_p50 = results["Rust host (wasmtime 48)"]
    print(f"\n{args.points} points, {args.queries} queries, top 10 with payload, "
          f"medians of {args.runs} runs\n")  # fmt: skip
    print("| host | first answer | / Rust host | p50 query | / Rust host |\n|---|---|---|---|---|")
    for name, (first, p50) in results.items():
        print(f"| {name} | {first:.0f} ms | {first / rust_first:.1f}x | {p50:.2f} ms "
              f"| {p50 / rust_p50:.2f}x |")  # fmt: skip


if __name__ == "__main__":
    main()
