"""Faults on the wire: the fault proxy (``tests/fault-proxy``, a Rust binary) between the
client and the engine answers 503, answers 429 with ``Retry-After``, resets connections before
and after forwarding, stalls past the read timeout and truncates bodies, on 20 % of requests.
A bulk upsert must still land every point exactly once with its payload."""

from __future__ import annotations

import collections
import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from qdrant_integration import QdrantClient, errors

ROOT = Path(__file__).resolve().parents[2]
DIM = 4


def _proxy_binary() -> str:
    """The proxy from this checkout's build; built on first use when missing."""
    binary = os.environ.get("FAULT_PROXY_BIN") or str(ROOT / "target/release/fault-proxy")
    if not os.path.exists(binary):
        subprocess.run(
            ["cargo", "build", "--release", "--locked", "-p", "fault-proxy"],
            cwd=ROOT,
            check=True,
        )
    return binary


class FaultProxy:
    """The proxy process; its log holds one JSON record per request."""

    def __init__(
        self,
        upstream: str,
        log: Path,
        rate: float,
        seed: int,
        faults: str | None = None,
        clean_first: int = 0,
    ) -> None:
        self.log = log
        log.touch()
        self.process = subprocess.Popen(
            [_proxy_binary(), "--upstream", upstream, "--rate", str(rate), "--seed", str(seed)]
            + ["--stall-ms", "3000", "--log", str(log)]
            + (["--faults", faults] if faults else [])
            + ["--clean-first", str(clean_first)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.startswith("listening on "), line
        self.url = line.removeprefix("listening on ").strip()

    def records(self, at_least: int = 0) -> list[dict]:
        """The requests so far; a request is logged once answered (a stall: once it ends)."""
        deadline = time.monotonic() + 10
        while True:
            # The last line may be half-written while the proxy appends it.
            lines = self.log.read_text().split("\n")[:-1]
            records = [json.loads(line) for line in lines]
            if len(records) >= at_least or time.monotonic() > deadline:
                return records
            time.sleep(0.05)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture
def faulty_proxy(qdrant_url: str, tmp_path: Path) -> Iterator[FaultProxy]:
    proxy = FaultProxy(qdrant_url, tmp_path / "requests.jsonl", rate=0.2, seed=11)
    yield proxy
    proxy.close()


def _payload(i: int) -> dict:
    return {"n": i, "text": f"point {i}"}


def test_upsert_of_20k_points_lands_every_point_once_through_faults(
    client: QdrantClient, collection: str, faulty_proxy: FaultProxy
) -> None:
    n = 20_000
    client.create_collection(collection, DIM, "Cosine")
    faulty = QdrantClient(faulty_proxy.url, timeout=2.0)
    vectors = [[float((i * 31 + j * 7) % 97) / 97 + 0.01 for j in range(DIM)] for i in range(n)]
    started = time.monotonic()
    written = faulty.upsert(collection, list(range(n)), vectors, [_payload(i) for i in range(n)])
    elapsed = time.monotonic() - started
    faulty.close()

    # Read back in full, straight from the engine.
    seen = collections.Counter()
    wrong = 0
    for point in client.scroll_all(collection, batch_size=5000):
        seen[int(point.id)] += 1
        wrong += point.payload != _payload(int(point.id))
    lost = sum(1 for i in range(n) if i not in seen)
    duplicated = sum(c - 1 for c in seen.values())
    records = faulty_proxy.records()
    faults = collections.Counter(r["fault"] for r in records if r["fault"])
    sent = collections.Counter((r["method"], r["target"], r["body_digest"]) for r in records)
    print(
        f"python upsert: {n} points in {elapsed:.1f} s; {len(records)} requests, "
        f"{sum(faults.values())} faulted {dict(faults)}, {len(records) - len(sent)} resent; "
        f"points lost: {lost}, duplicated: {duplicated}, wrong payload: {wrong}"
    )
    assert written == n
    assert (lost, duplicated, wrong) == (0, 0, 0)
    assert client.count(collection) == n
    assert sum(faults.values()) * 10 >= len(records)
    # Retry discipline: no request sent more often than the bulk policy's 8 attempts.
    assert max(sent.values()) <= 8


def test_a_create_is_sent_once_whatever_the_fault(qdrant_url: str, tmp_path: Path) -> None:
    """Faulted on a pooled connection (after one clean request), where a transport might be
    tempted to resend on a fresh one: the create still reaches the server once."""
    for fault in ["503", "429", "reset-before", "reset-after", "stall", "truncate"]:
        proxy = FaultProxy(
            qdrant_url, tmp_path / f"{fault}.jsonl", 1.0, 1, faults=fault, clean_first=1
        )
        faulty = QdrantClient(proxy.url, timeout=2.0)
        try:
            assert faulty.health_check()  # clean: the connection is pooled
            with pytest.raises(errors.QdrantError):
                faulty.create_collection(f"py_{uuid.uuid4().hex[:12]}", DIM, "Cosine")
            # A request is logged once answered: a stalled one after its stall (3 s).
            time.sleep(3.5 if fault == "stall" else 0.5)
            records = [r for r in proxy.records(at_least=2) if r["method"] == "PUT"]
            assert len(records) == 1, (fault, records)
        finally:
            faulty.close()
            proxy.close()
