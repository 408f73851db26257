"""The api-key stays secret.

The key never appears in a log record, in what the process prints, in an exception's
message, arguments or traceback, or in ``repr()`` of a client (a pickled client carries it,
by design: it must work in a worker process). Where it may go (the configured origin only)
is ``test_egress.py``'s subject; what the sandbox holds, ``test_sandbox.py``'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import pickle
import traceback
import uuid
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from secret_key import KEY, WRONG_KEY, assert_no_secret, transport_request
from wasmtime.component import Variant

from qdrant_integration import QdrantClient, _egress, errors

MiB = 1024 * 1024


# ---- where a key could show up -----------------------------------------------------------


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def every_log_record() -> Iterator[list[logging.LogRecord]]:
    """Every record any logger emits at DEBUG or above, while active."""
    handler = _Records()
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
        logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        for logger, level, disabled in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.disabled = disabled


def record_text(record: logging.LogRecord) -> str:
    parts = [record.getMessage(), repr(record.args), record.exc_text or ""]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append("".join(traceback.format_exception(record.exc_info[1])))
    return "\n".join(parts)


def exception_text(error: BaseException) -> str:
    """Everything an exception shows: message, repr, arguments, attributes, and the whole
    formatted traceback with its causes and contexts."""
    parts = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts += [str(current), repr(current), repr(current.args), repr(vars(current))]
        current = current.__cause__ or current.__context__
    parts.append("".join(traceback.format_exception(error)))
    return "\n".join(parts)


def stall(conn: Any, server: Any) -> None:
    server.stopped.wait(3)


# ---- logs, output, messages, tracebacks --------------------------------------------------


def test_key_never_reaches_logs_output_or_errors(
    guarded_url: str, scripted_server: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    failures: list[BaseException] = []

    def expect(kind: type[BaseException], call: Callable[[], Any]) -> None:
        with pytest.raises(kind) as raised:
            call()
        failures.append(raised.value)

    silent = scripted_server()
    silent.default = stall  # type: ignore[assignment]
    listener = scripted_server()
    listener.default = listener.reply(404, "no such snapshot", "text/plain")
    with every_log_record() as records, warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        client = QdrantClient(guarded_url, KEY)
        assert client.health_check() and client.ready()
        name = f"secret_{uuid.uuid4().hex[:8]}"
        client.create_collection(name, 4)
        vectors = np.random.default_rng(1).normal(size=(20, 4)).astype(np.float32)
        ids = [f"doc-{i}" for i in range(20)]
        assert client.upsert(name, ids, vectors, [{"n": i} for i in range(20)]) == 20
        assert client.search(name, vectors[3], 1)[0].id == "doc-3"
        assert len(client.query_batch(name, [{"query": vectors[0], "limit": 2}])[0]) == 2
        assert client.count(name) == 20 and len(client.scroll(name, limit=5).points) == 5
        client.set_payload(name, {"tag": "x"}, ids[:2])
        client.create_payload_index(name, "tag")
        snapshot = client.create_snapshot(name)
        assert snapshot.name in [s.name for s in client.list_snapshots(name)]
        assert client.delete_snapshot(name, snapshot.name)
        assert asyncio.run(client.acount(name)) == 20
        # Failures of every kind, each with the key configured.
        expect(errors.NotFound, lambda: client.collection_info(f"{name}_missing"))
        expect(errors.Conflict, lambda: client.create_collection(name, 4))
        expect(errors.InvalidInput, lambda: client.upsert(name, [1], [[np.nan] * 4]))
        expect(errors.BadRequest, lambda: client.search(name, [1.0, 0.0], 1))
        expect(errors.Unauthorized, lambda: QdrantClient(guarded_url, WRONG_KEY).count(name))
        expect(errors.Unauthorized, lambda: QdrantClient(guarded_url, "").count(name))
        tight = QdrantClient(guarded_url, KEY, memory_limit=8 * MiB)
        expect(
            errors.RuntimeFailure,
            lambda: tight.upsert(name, [1], np.ones((1, 4)), [{"t": "x" * (24 * MiB)}]),
        )
        expect(errors.Timeout, lambda: QdrantClient(silent.url, KEY, call_timeout=0.5).count("c"))
        expect(
            errors.BadRequest,
            lambda: client.restore_snapshot(name, f"{listener.url}/snapshots/s.snapshot"),
        )
        assert client.delete_collection(name)
    for record in records:
        assert_no_secret(record_text(record), f"log record {record.name}")
    for warning in warned:
        assert_no_secret(str(warning.message), "a warning")
    for failure in failures:
        assert_no_secret(exception_text(failure), f"{type(failure).__name__}")
    out, err = capfd.readouterr()
    assert_no_secret(out + err, "the process's output")


def qdrant_error(text: str) -> str:
    return json.dumps({"status": {"error": text}, "time": 0})


def qdrant_result(result: object) -> str:
    return json.dumps({"result": result, "status": "ok", "time": 0})


# A server (or a proxy in front of it) that echoes the key: the client must not pass it on.
# (id, the answer: ScriptedServer.reply's arguments, the call, the error expected)
ECHOES = [
    ("401-text", (401, f"invalid api-key {KEY}", "text/plain"), "count", errors.Unauthorized),
    ("403-json", (403, qdrant_error(f"key {KEY} is read-only")), "count", errors.Forbidden),
    ("404-json", (404, qdrant_error(f"{KEY}: not found")), "count", errors.NotFound),
    ("400-json", (400, qdrant_error(f"bad {KEY}")), "count", errors.BadRequest),
    ("409-json", (409, qdrant_error(f"{KEY} exists")), "count", errors.Conflict),
    ("500-html", (500, f"<html>{KEY}</html>", "text/html"), "count", errors.ServerError),
    ("503-html", (503, f"<html>{KEY}</html>", "text/html"), "count", errors.ServerError),
    ("200-not-json", (200, f"<html>{KEY}</html>", "text/html"), "count", errors.DecodeError),
    ("200-count-echo", (200, qdrant_result({"count": KEY})), "count", errors.DecodeError),
    (
        "200-update-status-echo",
        (200, qdrant_result({"operation_id": 1, "status": KEY})),
        "delete",
        errors.DecodeError,
    ),
    (
        "200-point-id-echo",
        (200, qdrant_result({"points": [{"id": {"k": KEY}, "payload": {}}]})),
        "scroll",
        errors.DecodeError,
    ),
]
CALLS: dict[str, Callable[[QdrantClient], Any]] = {
    "count": lambda c: c.count("c"),
    "delete": lambda c: c.delete_points("c", [1]),
    "scroll": lambda c: c.scroll("c"),
}


@pytest.mark.parametrize(
    ("case", "answer", "call", "kind"), [pytest.param(*c, id=c[0]) for c in ECHOES]
)
def test_an_echoed_key_is_kept_out_of_errors(
    case: str, answer: tuple, call: str, kind: type[BaseException], scripted_server: Any
) -> None:
    server = scripted_server()
    client = QdrantClient(server.url, KEY, retry=1)
    server.script(server.reply(*answer))
    with every_log_record() as records, pytest.raises(kind) as raised:
        CALLS[call](client)
    # The key went to the configured origin, and came back...
    assert KEY.encode() in server.requests[0]
    # ...but no further.
    assert_no_secret(exception_text(raised.value), type(raised.value).__name__)
    for record in records:
        assert_no_secret(record_text(record), f"log record {record.name}")


@pytest.mark.parametrize(
    ("bad_key", "kind"),
    [
        pytest.param(f"{KEY}\r\nX-Injected: 1", errors.InvalidInput, id="crlf"),
        pytest.param(f"{KEY}-ключ", errors.InvalidInput, id="not-latin-1"),
        # A wrong Python type: TypeError, as Python itself raises, naming the type only.
        pytest.param(KEY.encode(), TypeError, id="bytes"),
    ],
)
def test_a_malformed_key_is_refused_without_an_echo(
    bad_key: Any, kind: type[BaseException], scripted_server: Any
) -> None:
    server = scripted_server()
    server.script()
    with pytest.raises(kind) as raised:
        QdrantClient(server.url, bad_key, retry=1).collection_exists("c")
    assert_no_secret(exception_text(raised.value), type(raised.value).__name__)
    assert not any(b"X-Injected" in request for request in server.requests)


def test_an_unsendable_header_is_refused_by_the_transport_without_an_echo(
    scripted_server: Any,
) -> None:
    """Below the component's own check: ``http.client`` refuses a header value with CR/LF
    or beyond Latin-1 with an error that quotes it; the transport answers a
    ``connection`` error that names the header only, and sends nothing."""
    server = scripted_server()
    origin = _egress.Origin.of_url(server.url)
    for bad in (f"{KEY}\r\nX-Injected: 1", f"{KEY}-ключ", f"{KEY}\r"):
        server.script()
        request = transport_request(f"{server.url}/collections/c/exists")
        request.headers = [("accept", "application/json"), ("api-key", bad)]
        with _egress.allow(origin):
            answer = _egress.send(None, request)
        assert isinstance(answer, Variant) and answer.tag == "connection", answer
        assert "api-key" in answer.payload
        assert_no_secret(answer.payload, "the transport's error")
        assert not any(b"X-Injected" in r for r in server.requests)
    # The connection it gave up is not reused: the next request goes through.
    server.script()
    with _egress.allow(origin):
        answer = _egress.send(None, transport_request(f"{server.url}/collections/c/exists"))
    assert not isinstance(answer, Variant) and answer.status == 200  # type: ignore[attr-defined]


# ---- repr and pickle ---------------------------------------------------------------------


def test_repr_of_a_client_hides_the_key(guarded_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QDRANT_API_KEY", WRONG_KEY)
    for client in (
        QdrantClient(guarded_url, KEY),
        QdrantClient(guarded_url),  # the key from QDRANT_API_KEY
        QdrantClient(guarded_url, KEY).with_options(consistency="all"),
        copy.deepcopy(QdrantClient(guarded_url, KEY)),
    ):
        shown = f"{client!r} {client!s} {client:}"
        assert_no_secret(shown, "repr() of a client")
        assert guarded_url in repr(client)


def test_a_pickled_client_carries_its_key_and_never_shows_it(guarded_url: str) -> None:
    """By design (see ``QdrantClient``): a pickled client works in a worker process, so the
    pickle holds the api-key; ``repr()`` of the unpickled client still hides it."""
    client = QdrantClient(guarded_url, KEY)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        data = pickle.dumps(client, protocol)
        assert KEY.encode() in data
        clone = pickle.loads(data)
        assert clone.ready() is True and clone.list_collections() is not None  # authorised
        assert_no_secret(f"{clone!r} {clone!s}", "repr() of an unpickled client")


def test_every_error_survives_pickling() -> None:
    """An error raised in a worker process reaches its parent whole (multiprocessing,
    concurrent.futures): the same class, message, arguments and attributes."""
    made = [
        errors.QdrantError("base"),
        errors.ConnectionFailed("refused"),
        errors.Timeout("deadline"),
        errors.Unauthorized("no key"),
        errors.Forbidden("read-only"),
        errors.NotFound("no such collection"),
        errors.BadRequest("wrong dimension"),
        errors.Conflict("exists"),
        errors.RateLimited(7),
        errors.RateLimited(None),
        errors.ServerError(503, "unavailable"),
        errors.InvalidInput("limit"),
        errors.DecodeError("not JSON"),
        errors.RuntimeFailure("trapped"),
        errors.from_wit("server", {"status": 500, "message": "boom"}),
        errors.from_wit("rate-limited", 3),
    ]
    classes = {type(error) for error in made}
    every = {errors.QdrantError, *errors.QdrantError.__subclasses__(), errors.InvalidInput}
    assert every <= classes, every - classes
    for error in made:
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
            back = pickle.loads(pickle.dumps(error, protocol))
            assert type(back) is type(error)
            assert str(back) == str(error) and back.args == error.args
            assert vars(back) == vars(error)
