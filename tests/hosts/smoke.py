"""The retrieval smoke test's data, as every host's test computes it (scripts/hosts.sh).

Vectors are small integers from one linear congruential sequence (x <- (75x + 74) mod 65537,
value x mod 17 - 8), so Rust, Python and JavaScript compute the same floats exactly.
"""

from __future__ import annotations

import math

DIMENSION = 8
POINTS = 50
GROUPS = ("red", "green", "blue")
LIMIT = 5


def smoke_data() -> tuple[list[list[float]], list[float]]:
    x = 1

    def row() -> list[float]:
        nonlocal x
        values = []
        for _ in range(DIMENSION):
            x = (x * 75 + 74) % 65537
            values.append(float(x % 17 - 8))
        return values

    vectors = [row() for _ in range(POINTS)]
    return vectors, row()


def payload(i: int) -> dict:
    return {"group": GROUPS[i % 3], "n": i}


def expected_hits(vectors: list[list[float]], query: list[float]) -> list[tuple[int, float]]:
    """Ids and cosine scores of the LIMIT red points nearest to ``query``, best first."""

    def norm(v: list[float]) -> float:
        return math.sqrt(sum(x * x for x in v))

    scored = [
        (i + 1, sum(a * b for a, b in zip(v, query, strict=True)) / norm(v) / norm(query))
        for i, v in enumerate(vectors)
        if i % 3 == 0
    ]
    scored.sort(key=lambda hit: -hit[1])
    return scored[:LIMIT]


def check_hits(hits: list[tuple[object, float, dict]], vectors, query) -> None:
    """``hits`` as (id, score, payload): the expected ids in order, their scores, red payloads."""
    expected = expected_hits(vectors, query)
    assert [str(h[0]) for h in hits] == [str(i) for i, _ in expected]
    for (hit_id, score, body), (_, want) in zip(hits, expected, strict=True):
        assert abs(score - want) < 1e-4, (hit_id, score, want)
        assert body["group"] == "red", body
