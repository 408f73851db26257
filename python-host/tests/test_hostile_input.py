"""Hostile input against the engine, one table (the harness: ``hostile_cases.py``): vectors,
collection names, payloads, filters, distances, limits, point ids and the 32 MB request cap."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hostile_cases import (
    BASE_IDS,
    BASE_VECTORS,
    DIM,
    QUERY,
    TYPE_ERROR,
    Case,
    Env,
    MiB,
    check_table,
    params,
    run,
    unit,
)

from qdrant_integration import errors

ONE = [[0.5, 0.5, 0.5, 0.5]]
UUID = "123e4567-e89b-12d3-a456-426614174000"


# ---- inputs ------------------------------------------------------------------------------


def nested_payload(levels: int) -> dict:
    """``levels`` objects, each inside the one before."""
    value: dict = {}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


def nested_filter(levels: int) -> dict:
    """A filter whose ``must`` holds a filter, ``levels`` filters deep."""
    value: dict = {"must": [{"key": "n", "match": {"value": 1}}]}
    for _ in range(levels - 1):
        value = {"must": [value]}
    return value


def ragged(count: int, bad_at: int) -> list[list[float]]:
    rows = [[1.0, 0.0, 0.0, 0.0] for _ in range(count)]
    rows[bad_at] = [1.0, 0.0, 0.0]
    return rows


def ones_with(count: int, at: tuple[int, int], value: float) -> np.ndarray:
    rows = np.ones((count, DIM), dtype=np.float32)
    rows[at] = value
    return rows


def upsert_base(env: Env, ids: Any, vectors: Any, payloads: Any = None, client: str = "client"):
    return getattr(env, client).upsert(env.base, ids, vectors, payloads)


# ---- checks ----------------------------------------------------------------------------


def written(expected: int) -> Callable[[Env, Any], None]:
    def check(env: Env, outcome: Any) -> None:
        assert outcome == expected

    return check


def names_point_9999(env: Env, error: BaseException) -> None:
    """A split upsert names the point within its part and the part's first point."""
    found = re.search(r"vector (\d+) .*counted from point (\d+)", str(error))
    assert found, str(error)
    assert int(found[1]) + int(found[2]) == 9999


def creates_exactly(name: str) -> Callable[[Env, Any], None]:
    def check(env: Env, outcome: Any) -> None:
        assert name in env.client.list_collections()
        assert env.client.collection_exists(name) is True
        for mangled in {name.split("#")[0], name.replace("%2F", "/"), name.split(" ")[0]}:
            if mangled != name:
                assert mangled not in env.client.list_collections()

    return check


def ranked_base(env: Env, hits: Any) -> None:
    assert [p.id for p in hits] == BASE_IDS


def stored_id(given: str, reported: str) -> Callable[[Env, Any], None]:
    def check(env: Env, collection: Any) -> None:
        assert [p.id for p in env.client.scroll_all(collection)] == [reported]
        assert [p.id for p in env.client.get_points(collection, [given])] == [reported]

    return check


def almost_uuid_stays_a_string(env: Env, collection: Any) -> None:
    almost = UUID[:-1]
    assert [p.id for p in env.client.get_points(collection, [almost])] == [almost]
    assert env.client.get_points(collection, [UUID]) == []


def last_write_wins(env: Env, collection: Any) -> None:
    assert env.client.count(collection) == 1
    (point,) = env.client.get_points(collection, ["7"], with_vectors=True)
    assert point.payload == {"w": 2}
    assert unit(point.vector) == unit(BASE_VECTORS[2])


def big_payload_round_trip(env: Env, collection: Any) -> None:
    (point,) = env.roomy.get_points(collection, [1])
    assert point.payload["t"] == "t" * (10 * MiB)


def over_request_cap_round_trip(env: Env, collection: Any) -> None:
    assert env.client.count(collection) == 800
    (point,) = env.client.get_points(collection, [799])
    assert point.payload == {"i": 799, "pad": "p" * 48_000}


def euclid(env: Env, collection: Any) -> None:
    assert env.client.collection_info(collection).vectors[""].distance == "Euclid"


def big_batch(env: Env) -> str:
    collection = env.fresh()
    payloads = [{"i": i, "pad": "p" * 48_000} for i in range(800)]  # 38 MB in all
    assert env.roomy.upsert(collection, list(range(800)), np.ones((800, DIM)), payloads) == 800
    return collection


def fresh_with(ids: list, vectors: Any, payloads: Any = None, client: str = "client"):
    def call(env: Env) -> str:
        collection = env.fresh()
        assert getattr(env, client).upsert(collection, ids, vectors, payloads) == len(ids)
        return collection

    return call


# ---- the table -------------------------------------------------------------------------

CASES = [
    # -- vectors --
    Case(
        "dim-first-point",
        lambda e: upsert_base(e, [100], [[1.0, 0.0, 0.0]]),
        errors.BadRequest,
        "dimension",
        note="one request: the server refuses it whole",
    ),
    Case(
        "dim-all-10000-points",
        lambda e: upsert_base(e, list(range(100, 10_100)), np.ones((10_000, 3))),
        errors.InvalidInput,
        "has dimension 4, the points have 3",
        note="several requests: checked against the collection before the first",
    ),
    Case(
        "dim-10000th-point",
        lambda e: upsert_base(e, list(range(100, 10_100)), ragged(10_000, 9_999)),
        errors.InvalidInput,
        "9999",
    ),
    Case(
        "nan-10000th-point-split-upsert",
        lambda e: upsert_base(
            e, list(range(100, 10_100)), ones_with(10_000, (9_999, 1), np.nan), client="tight"
        ),
        errors.InvalidInput,
        "NaN or infinite value at index 1",
        check=names_point_9999,
        client="tight",
    ),
    Case(
        "nan",
        lambda e: upsert_base(e, [100], [[np.nan, 0.0, 0.0, 0.0]]),
        errors.InvalidInput,
        "NaN or infinite value at index 0",
    ),
    Case(
        "+inf",
        lambda e: upsert_base(e, [100], [[0.0, np.inf, 0.0, 0.0]]),
        errors.InvalidInput,
        "NaN or infinite value at index 1",
    ),
    Case(
        "-inf",
        lambda e: upsert_base(e, [100], [[0.0, 0.0, 0.0, -np.inf]]),
        errors.InvalidInput,
        "NaN or infinite value at index 3",
    ),
    Case(
        "nan-query",
        lambda e: e.client.search(e.base, [np.nan, 1.0, 0.0, 0.0]),
        errors.InvalidInput,
        "NaN or infinite",
    ),
    Case(
        "empty-vector-upsert",
        lambda e: upsert_base(e, [100], [[]]),
        errors.InvalidInput,
        "dimension must be at least 1",
    ),
    Case(
        "empty-vector-query",
        lambda e: e.client.search(e.base, []),
        errors.InvalidInput,
        "got 0",
    ),
    # -- collection names --
    Case("name-empty", lambda e: e.client.collection_exists(""), errors.InvalidInput, "1 to 255"),
    Case("name-256-bytes", lambda e: e.make("x" * 256), errors.InvalidInput, "1 to 255 bytes"),
    Case(
        "name-128-chars-256-utf8-bytes",
        lambda e: e.make("é" * 128),
        errors.InvalidInput,
        "1 to 255 bytes",
    ),
    Case(
        "name-255-bytes",
        lambda e: e.make("n" * 255),
        None,
        check=creates_exactly("n" * 255),
        note="Qdrant's limit is 255 bytes",
    ),
    Case("name-slash", lambda e: e.make("a/b"), errors.InvalidInput, "must not contain '/'"),
    Case(
        "name-dotdot",
        lambda e: e.client.collection_info(".."),
        errors.InvalidInput,
        "must not be `..`",
    ),
    Case(
        "name-dotdot-traversal",
        lambda e: e.client.delete_collection(f"../{e.base}"),
        errors.InvalidInput,
        "must not contain '/'",
    ),
    Case(
        "name-percent-2F",
        lambda e: e.make("a%2Fb"),
        None,
        check=creates_exactly("a%2Fb"),
        note="legitimate: created under exactly that name, not as a/b",
    ),
    Case("name-question-mark", lambda e: e.make("a?b"), errors.InvalidInput, "'?'"),
    Case(
        "name-hash",
        lambda e: e.make("h#x"),
        None,
        check=creates_exactly("h#x"),
        note="legitimate for Qdrant; the # must not start a URL fragment",
    ),
    Case(
        "name-space",
        lambda e: e.make("my docs"),
        None,
        check=creates_exactly("my docs"),
        note="legitimate for Qdrant",
    ),
    Case("name-nul", lambda e: e.make("a\x00b"), errors.InvalidInput, "must not contain"),
    Case(
        "name-crlf-header-injection",
        lambda e: e.client.collection_exists("a\r\napi-key: x"),
        errors.InvalidInput,
        "must not contain",
    ),
    Case(
        "name-lone-surrogate",
        lambda e: e.client.collection_exists("\ud800"),
        errors.InvalidInput,
        "surrogate",
    ),
    Case(
        "name-bytes",
        lambda e: e.client.collection_exists(b"docs"),  # type: ignore[arg-type]
        errors.InvalidInput,
        "expected a string",
    ),
    # -- payloads --
    Case(
        "payload-not-a-dict",
        lambda e: upsert_base(e, [100, 101], ONE * 2, [{"ok": 1}, [1, 2]]),
        errors.InvalidInput,
        "payload 1 is not a JSON object",
    ),
    Case(
        "payload-nested-200",
        lambda e: upsert_base(e, [100, 101], ONE * 2, [{"ok": 1}, nested_payload(200)]),
        errors.InvalidInput,
        "payload 1 is not valid JSON",
        note="the server parses at most 128 levels",
    ),
    Case(
        "payload-nested-1000",
        lambda e: upsert_base(e, [100], ONE, [nested_payload(1000)]),
        errors.InvalidInput,
        "payload 0",
    ),
    Case(
        "payload-10MB-string-default-cap",
        lambda e: upsert_base(e, [100], ONE, [{"t": "t" * (10 * MiB)}]),
        errors.RuntimeFailure,
        "out of memory",
        note="needs more than the 64 MiB cap: the sandbox traps and is replaced",
    ),
    Case(
        "payload-10MB-string-roomy-cap",
        fresh_with([1], ONE, [{"t": "t" * (10 * MiB)}], client="roomy"),
        None,
        check=big_payload_round_trip,
        client="roomy",
    ),
    Case(
        "payload-bytes",
        lambda e: upsert_base(e, [100], ONE, [{"t": b"\xff\xfe"}]),
        TypeError,
        "not JSON serializable",
        note=TYPE_ERROR,
    ),
    Case(
        "payload-invalid-utf8-surrogateescape",
        lambda e: upsert_base(
            e, [100], ONE, [{"t": b"caf\xe9".decode("utf-8", "surrogateescape")}]
        ),
        errors.InvalidInput,
        "payload 0",
    ),
    Case(
        "payload-lone-surrogate",
        lambda e: upsert_base(e, [100], ONE, [{"t": "\ud800"}]),
        errors.InvalidInput,
        "payload 0",
    ),
    Case(
        "payload-lone-surrogate-key",
        lambda e: upsert_base(e, [100], ONE, [{"\udfff": 1}]),
        errors.InvalidInput,
        "payload 0",
    ),
    Case(
        "payload-nan",
        lambda e: upsert_base(e, [100], ONE, [{"x": float("nan")}]),
        errors.InvalidInput,
        "payload 0",
    ),
    # -- filters --
    Case(
        "filter-malformed-json",
        lambda e: e.client.count(e.base, '{"must": ['),
        errors.InvalidInput,
        "filter is not valid JSON",
    ),
    Case(
        "filter-not-an-object",
        lambda e: e.client.count(e.base, [1, 2]),
        errors.InvalidInput,
        "must be a JSON object",
    ),
    Case(
        "filter-condition-not-an-object",
        lambda e: e.client.count(e.base, {"must": "n"}),
        errors.InvalidInput,
        "condition must be an object",
    ),
    Case(
        "filter-unknown-clause",
        lambda e: e.client.count(e.base, {"shoud": []}),
        errors.InvalidInput,
        "unknown clause",
    ),
    Case(
        "filter-1000-deep-json-text",
        lambda e: e.client.count(e.base, '{"must":[' * 1000 + "{}" + "]}" * 1000),
        errors.InvalidInput,
        "recursion limit",
    ),
    Case(
        "filter-1000-deep-dict",
        lambda e: e.client.count(e.base, nested_filter(1000)),
        errors.InvalidInput,
        "filter",
    ),
    Case(
        "filter-and-must",
        lambda e: e.client.count(e.base, {"must": []}, must={"n": "1"}),
        errors.InvalidInput,
        "not both",
    ),
    # -- distance --
    Case(
        "distance-unknown",
        lambda e: e.make("hostile_distance", DIM, "Hamming"),
        errors.InvalidInput,
        "unknown distance",
    ),
    Case(
        "distance-any-case",
        lambda e: e.make(f"hostile_{uuid.uuid4().hex[:8]}", DIM, "eUcLiD"),
        None,
        check=euclid,
        note="names are read case-insensitively",
    ),
    # -- limits --
    Case(
        "limit-0",
        lambda e: e.client.search(e.base, QUERY, 0),
        errors.InvalidInput,
        "limit must be at least 1",
    ),
    Case(
        "limit-2**32-1",
        lambda e: e.client.search(e.base, QUERY, 2**32 - 1),
        None,
        check=ranked_base,
        note="the largest u32: every point, best first",
    ),
    Case(
        "limit-negative",
        lambda e: e.client.search(e.base, QUERY, -1),
        errors.InvalidInput,
        "limit",
    ),
    Case(
        "limit-2**32+1",
        lambda e: e.client.search(e.base, QUERY, 2**32 + 1),
        errors.InvalidInput,
        "limit",
    ),
    Case(
        "offset-negative",
        lambda e: e.client.query(e.base, QUERY, limit=3, offset=-1),
        errors.InvalidInput,
        "offset",
    ),
    # -- point ids --
    Case(
        "id-negative-int",
        lambda e: upsert_base(e, [-1], ONE),
        errors.InvalidInput,
        "-1",
    ),
    Case(
        "id-int-over-u64",
        lambda e: upsert_base(e, [2**64], ONE),
        errors.InvalidInput,
        "18446744073709551616",
    ),
    Case(
        "id-float",
        lambda e: upsert_base(e, [1.5], ONE),
        errors.InvalidInput,
        "1.5",
    ),
    Case(
        "id-none",
        lambda e: upsert_base(e, [None], ONE),
        errors.InvalidInput,
        "None",
    ),
    Case(
        "id-empty-string",
        lambda e: upsert_base(e, [""], ONE),
        errors.InvalidInput,
        "must not be empty",
    ),
    Case(
        "id-negative-string",
        fresh_with(["-1"], ONE),
        None,
        check=stored_id("-1", "-1"),
        note="any non-empty string is an id: stored as given",
    ),
    Case(
        "id-almost-uuid",
        fresh_with([UUID[:-1]], ONE),
        None,
        check=almost_uuid_stays_a_string,
        note="not a UUID: an ordinary string id, kept as given",
    ),
    Case(
        "id-uuid-without-hyphens",
        fresh_with([UUID.replace("-", "")], ONE),
        None,
        check=stored_id(UUID, UUID),
        note="as in Qdrant, any spelling of a UUID is that UUID, reported hyphenated",
    ),
    Case(
        "id-duplicates-in-one-batch",
        fresh_with([7, 7, "7"], BASE_VECTORS, [{"w": 0}, {"w": 1}, {"w": 2}]),
        None,
        check=last_write_wins,
        note="three writes of one point: it holds the last",
    ),
    Case(
        "ids-a-bare-string",
        lambda e: upsert_base(e, "12", ONE * 2),
        errors.InvalidInput,
        "ids",
    ),
    Case(
        "ids-none",
        lambda e: upsert_base(e, None, ONE),
        TypeError,
        "len()",
        note=TYPE_ERROR,
    ),
    # -- the 32 MB request cap --
    Case(
        "batch-over-32MB-request-cap",
        big_batch,
        None,
        check=over_request_cap_round_trip,
        client="roomy",
        note="one call, sent as several requests under the cap",
    ),
    Case(
        "point-over-32MB-request-cap",
        lambda e: upsert_base(e, [100, 101], ONE * 2, [{}, {"t": "x" * (33 * MiB)}], "roomy"),
        errors.InvalidInput,
        "request cap",
        client="roomy",
    ),
]


def test_the_table_is_well_formed() -> None:
    check_table(CASES, 40)


@pytest.mark.parametrize("case", params(CASES))
def test_hostile_input(case: Case, hostile_env: Env) -> None:
    run(case, hostile_env)
