"""Hostile input, one table: every case must end in the library's typed error (or, where the
input is legitimate, in the right result), quickly, with nothing half-written, and the same
client must serve the next call.

Each case names the client it uses: ``client`` (default limits), ``roomy`` (1 GiB memory
cap), ``tight`` (4 MiB cap, so large upserts take several calls), ``remote`` and ``hasty``
(clients of a scripted server that answers with canned, broken replies; ``hasty`` has a
1 s deadline). ``expect`` is the exception class (``None``: the call succeeds) and
``fragment`` a piece of its message; ``check`` looks closer at the result or the exception.
A Python ``TypeError`` is expected only where the input has a wrong Python type that no
JSON or id can be made of (the ``note`` says so); everything else is a
``qdrant_integration.errors`` class. Cases marked ``bug`` assert the correct behaviour and
are strict xfails: they pass once the library is fixed.
"""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pytest

from qdrant_integration import QdrantClient, errors

DIM = 4
MiB = 1024 * 1024
#: The base collection: three points whose order for QUERY is 1, 2, 3.
BASE_IDS = ["1", "2", "3"]
BASE_VECTORS = np.eye(DIM, dtype=np.float32)[:3]
BASE_PAYLOADS = [{"n": 1}, {"n": 2}, {"n": 3}]
QUERY = [0.9, 0.4, 0.1, 0.0]
ONE = [[0.5, 0.5, 0.5, 0.5]]
UUID = "123e4567-e89b-12d3-a456-426614174000"


def unit(row: Any) -> tuple[float, ...]:
    array = np.asarray(row, dtype=np.float64)
    return tuple(np.round(array / np.linalg.norm(array), 5).tolist())


BASE_STATE = {
    pid: (payload, unit(vector))
    for pid, payload, vector in zip(BASE_IDS, BASE_PAYLOADS, BASE_VECTORS, strict=True)
}


@dataclass
class Env:
    client: QdrantClient
    roomy: QdrantClient
    tight: QdrantClient
    remote: QdrantClient
    hasty: QdrantClient
    server: Any  # conftest.ScriptedServer
    base: str
    created: list[str] = field(default_factory=list)

    def make(self, name: str, size: int = DIM, distance: str = "Cosine") -> str:
        """Creates a collection that is deleted after the case (registered first, so that
        one created against expectations is deleted too)."""
        self.created.append(name)
        self.client.create_collection(name, size, distance)
        return name

    def fresh(self) -> str:
        return self.make(f"hostile_{uuid.uuid4().hex[:12]}")

    def state(self, name: str) -> dict[str, tuple[dict, tuple[float, ...]]]:
        points = self.client.scroll_all(name, with_vectors=True)
        return {p.id: (p.payload, unit(p.vector)) for p in points}

    def reset(self) -> None:
        """Puts the base collection back as it was, if a failed case changed it."""
        if self.client.collection_exists(self.base) and self.state(self.base) == BASE_STATE:
            return
        self.client.delete_collection(self.base)
        self.client.create_collection(self.base, DIM)
        self.client.upsert(self.base, BASE_IDS, BASE_VECTORS, BASE_PAYLOADS)

    def cleanup(self) -> None:
        for name in self.created:
            # A name the library refuses was never created.
            with contextlib.suppress(errors.InvalidInput):
                self.client.delete_collection(name)
        self.created.clear()


@pytest.fixture(scope="module")
def env(qdrant_url: str, scripted_server: Any) -> Iterator[Env]:
    server = scripted_server()
    base = f"hostile_base_{uuid.uuid4().hex[:8]}"
    environment = Env(
        client=QdrantClient(qdrant_url),
        roomy=QdrantClient(qdrant_url, memory_limit=1024 * MiB),
        tight=QdrantClient(qdrant_url, memory_limit=4 * MiB),
        remote=QdrantClient(server.url, retry=1, call_timeout=5.0, memory_limit=32 * MiB),
        hasty=QdrantClient(server.url, retry=1, call_timeout=1.0),
        server=server,
        base=base,
    )
    environment.client.create_collection(base, DIM)
    environment.client.upsert(base, BASE_IDS, BASE_VECTORS, BASE_PAYLOADS)
    yield environment
    environment.client.delete_collection(base)


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


# ---- scripted answers ----------------------------------------------------------------------


class Reply(NamedTuple):
    """A canned answer of the scripted server (``ScriptedServer.reply``'s arguments)."""

    status: int
    body: bytes | str = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


def huge_body(size: int) -> Callable[[Any, Any], None]:
    """A 200 whose JSON body is ``size`` bytes: a Qdrant answer padded with one string."""

    def answer(conn: Any, server: Any) -> None:
        prefix, suffix = b'{"result":{"exists":true},"pad":"', b'"}'
        head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {size}"
        conn.sendall(head.encode() + b"\r\nconnection: close\r\n\r\n" + prefix)
        left = size - len(prefix) - len(suffix)
        piece = b"a" * MiB
        while left > 0:
            conn.sendall(piece[: min(left, MiB)])
            left -= MiB
        conn.sendall(suffix)

    return answer


def big_chunks(size: int) -> Callable[[Any, Any], None]:
    """A 200 whose chunked body (no length to refuse it by) is ``size`` bytes of blanks,
    written as fast as the client reads; ``server.body_bytes`` counts what it took."""

    def answer(conn: Any, server: Any) -> None:
        server.body_bytes = 0
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n")
        conn.sendall(b"transfer-encoding: chunked\r\n\r\n")
        chunk = b"100000\r\n" + b" " * MiB + b"\r\n"
        for _ in range(size // MiB):
            conn.sendall(chunk)
            server.body_bytes += MiB
        conn.sendall(b"0\r\n\r\n")

    return answer


def endless_chunks(seconds: float) -> Callable[[Any, Any], None]:
    """A 200 with a chunked body that does not end: chunks keep coming (for ``seconds`` at
    most, so that a client without a deadline fails this case instead of hanging)."""

    def answer(conn: Any, server: Any) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n")
        conn.sendall(b"transfer-encoding: chunked\r\n\r\n5\r\n[    \r\n")
        until = time.monotonic() + seconds
        chunk = b"4000\r\n" + b" " * 0x4000 + b"\r\n"
        while time.monotonic() < until and not server.stopped.is_set():
            conn.sendall(chunk)
            time.sleep(0.005)

    return answer


def stall_after_head(conn: Any, server: Any) -> None:
    """Promises 100 bytes, sends one, and goes silent."""
    conn.sendall(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"
    )
    server.stopped.wait(5)


def hang_up(conn: Any, server: Any) -> None:
    """Reads the request and closes the connection without a word."""


def exists(env: Env, client: str = "remote") -> bool:
    return getattr(env, client).collection_exists("c")


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


def one_request(env: Env, error: BaseException) -> None:
    """The redirect was not followed: the server saw one request, nothing else did."""
    assert len(env.server.requests) == 1


def short_message(env: Env, error: BaseException) -> None:
    assert len(str(error)) < 1200, "a long HTML page is cut, not copied whole"


def mentions_cap(env: Env, error: BaseException) -> None:
    assert "32 MiB" in str(error) and "sandbox was replaced" in str(error)


def stops_reading_at_the_cap(env: Env, error: BaseException) -> None:
    """The client stopped reading at its 32 MiB cap (plus what socket buffers hold)."""
    mentions_cap(env, error)
    assert env.server.body_bytes <= 48 * MiB, f"read {env.server.body_bytes // MiB} MiB"


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

TYPE_ERROR = "a wrong Python type: TypeError, as Python itself raises"


@dataclass(frozen=True)
class Case:
    id: str
    call: Callable[[Env], Any]
    expect: type[BaseException] | None
    fragment: str = ""
    check: Callable[[Env, Any], None] | None = None
    client: str = "client"
    answers: tuple = ()
    seconds: float = 15.0
    bug: str | None = None
    note: str = ""


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
    # -- a server that answers badly --
    Case(
        "answer-not-json",
        exists,
        errors.DecodeError,
        "not JSON",
        client="remote",
        answers=(Reply(200, "hello", "text/plain"),),
    ),
    Case(
        "answer-html",
        exists,
        errors.DecodeError,
        "not JSON",
        client="remote",
        answers=(Reply(200, "<html><body>It works!</body></html>", "text/html"),),
    ),
    Case(
        "answer-empty-body",
        exists,
        errors.DecodeError,
        "EOF",
        client="remote",
        answers=(Reply(200),),
    ),
    Case(
        "answer-200-of-the-wrong-shape",
        exists,
        errors.DecodeError,
        "no `exists` boolean",
        client="remote",
        answers=(Reply(200, '{"result": 5, "status": "ok"}'),),
    ),
    Case(
        "answer-200-without-result",
        lambda e: e.remote.list_collections(),
        errors.DecodeError,
        "no `result`",
        client="remote",
        answers=(Reply(200, "[1, 2, 3]"),),
    ),
    Case(
        "answer-200-points-of-the-wrong-shape",
        lambda e: e.remote.search("c", QUERY),
        errors.DecodeError,
        "unexpected response",
        client="remote",
        answers=(Reply(200, '{"result": {"points": [{"id": 1, "score": "high"}]}}'),),
    ),
    Case(
        "answer-100MB-body",
        exists,
        errors.RuntimeFailure,
        "out of memory",
        check=mentions_cap,
        client="remote",
        answers=(huge_body(100 * MiB),),
    ),
    Case(
        "answer-100MB-chunked-body",
        exists,
        errors.RuntimeFailure,
        "out of memory",
        check=stops_reading_at_the_cap,
        client="remote",
        answers=(big_chunks(100 * MiB),),
        note="no length to refuse it by: reading stops at the memory cap",
    ),
    Case(
        "answer-never-ending-chunked-body",
        lambda e: exists(e, "hasty"),
        errors.Timeout,
        "deadline",
        client="hasty",
        answers=(endless_chunks(4.0),),
        seconds=2.5,
    ),
    Case(
        "answer-stalls-after-the-head",
        lambda e: exists(e, "hasty"),
        errors.Timeout,
        "no answer",
        client="hasty",
        answers=(stall_after_head,),
        seconds=2.5,
    ),
    Case(
        "answer-redirect-to-another-origin",
        exists,
        errors.ServerError,
        "302",
        check=one_request,
        client="remote",
        answers=(Reply(302, headers=(("location", "http://localhost:9/collections/c/exists"),)),),
    ),
    Case(
        "answer-401-with-an-html-page",
        exists,
        errors.Unauthorized,
        'an HTML page titled "401"',
        check=short_message,
        note="the component says what the page is, by its title, rather than quote it",
        client="remote",
        answers=(
            Reply(
                401,
                "<html><head><title>401</title></head><body><h1>Unauthorized</h1>"
                + "<p>Sign in.</p>" * 300
                + "</body></html>",
                "text/html",
            ),
        ),
    ),
    Case(
        "answer-500-html",
        exists,
        errors.ServerError,
        "server error 500: an HTML page",
        client="remote",
        answers=(Reply(500, "<html>Oops</html>", "text/html"),),
    ),
    Case(
        "answer-not-http",
        exists,
        errors.ConnectionFailed,
        "SSH-2.0",
        client="remote",
        answers=(b"SSH-2.0-OpenSSH_9.6\r\n",),
    ),
    Case(
        "answer-hang-up",
        exists,
        errors.ConnectionFailed,
        "closed",
        client="remote",
        answers=(hang_up,),
    ),
]


def _param(case: Case) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=f"BUG: {case.bug}")] if case.bug else []
    return pytest.param(case, id=case.id, marks=marks)


def test_the_table_is_well_formed() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
    for case in CASES:
        assert case.expect is not None or case.check is not None, case.id
        if case.expect is not None and not issubclass(case.expect, errors.QdrantError):
            assert case.note == TYPE_ERROR, case.id


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_hostile_input(case: Case, env: Env) -> None:
    env.reset()
    env.server.script(*(env.server.reply(*a) if isinstance(a, Reply) else a for a in case.answers))
    started = time.monotonic()
    try:
        if case.expect is None:
            outcome = case.call(env)
        else:
            with pytest.raises(case.expect) as raised:
                case.call(env)
            outcome = raised.value
            assert case.fragment in str(outcome)
            assert not type(outcome).__module__.startswith("wasmtime")
            if not isinstance(outcome, errors.QdrantError):
                # A plain Python error: raised by Python's own checks, not by wasmtime-py.
                assert type(outcome) is case.expect
                assert "wasmtime" not in str(raised.traceback[-1].path)
        elapsed = time.monotonic() - started
        assert elapsed < case.seconds, f"took {elapsed:.1f} s"
        if case.check is not None:
            case.check(env, outcome)
        # Nothing half-written: the base collection is as it was.
        assert env.state(env.base) == BASE_STATE
        # The same client serves the next call.
        if case.client in ("remote", "hasty"):
            env.server.script()
            assert exists(env, case.client) is True
        else:
            assert getattr(env, case.client).count(env.base) == len(BASE_IDS)
    finally:
        env.cleanup()
