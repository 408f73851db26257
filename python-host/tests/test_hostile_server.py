"""A scripted server's bad answers, one table (the harness: ``hostile_cases.py``): bodies
that are not JSON, of the wrong shape, too large or never ending, stalls, redirects, error
pages and hang-ups."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from hostile_cases import QUERY, Case, Env, MiB, Reply, check_table, exists, params, run

from qdrant_integration import errors

# ---- scripted answers ----------------------------------------------------------------------


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


# ---- checks ----------------------------------------------------------------------------


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


# ---- the table -------------------------------------------------------------------------

CASES = [
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


def test_the_table_is_well_formed() -> None:
    check_table(CASES, 10)


@pytest.mark.parametrize("case", params(CASES))
def test_hostile_server(case: Case, hostile_env: Env) -> None:
    run(case, hostile_env)
