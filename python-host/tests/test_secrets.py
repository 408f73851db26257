"""The api-key stays secret, and the sandbox holds nothing to steal with.

The key never appears in a log record, in what the process prints, in an exception's
message, arguments or traceback, or in ``repr()`` of a client (a pickled client carries it,
by design: it must work in a worker process); it goes to the configured origin only:
neither a server that fetches a snapshot from elsewhere nor a redirect gets it, and the
transport refuses every other origin, however it is spelled.

``test_sandbox.py`` checks that the component imports no ``wasi:filesystem``,
``wasi:sockets`` or ``wasi:http``. The probes here check the rest of the sandbox: a
component linked and stored exactly as the client's sees no environment variables, no
arguments and no directories, and cannot open a socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import json
import logging
import pickle
import socket
import time
import traceback
import types
import uuid
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from wasmtime import Store, WasiConfig
from wasmtime.component import Component, Variant

from qdrant_integration import EmbeddedQdrant, QdrantClient, _egress, _sandbox, errors

KEY = f"sk-secret-{uuid.uuid4().hex}"
WRONG_KEY = f"sk-wrong-{uuid.uuid4().hex}"
SECRETS = (KEY, WRONG_KEY)
MiB = 1024 * 1024


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


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


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"the api-key appears in {where}"


# ---- servers -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def guarded_url() -> Iterator[str]:
    """An embedded engine that wants KEY on every request but the health endpoints."""
    engine = EmbeddedQdrant(api_key=KEY)
    try:
        yield engine.start()
    finally:
        engine.stop()


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
        request = _request(f"{server.url}/collections/c/exists")
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
        answer = _egress.send(None, _request(f"{server.url}/collections/c/exists"))
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
            assert back.kind == error.kind


# ---- the key goes to the configured origin only ------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_a_snapshot_from_another_origin_is_fetched_without_the_key(
    host: str, guarded_url: str, scripted_server: Any
) -> None:
    if host == "::1" and not ipv6_loopback():
        pytest.skip("no IPv6 loopback")
    listener = scripted_server("::1" if host == "::1" else "127.0.0.1")
    listener.script(listener.reply(404, "no such snapshot", "text/plain"))
    client = QdrantClient(guarded_url, KEY)
    name = f"secret_{uuid.uuid4().hex[:8]}"
    client.create_collection(name, 4)
    try:
        location = f"http://{'[::1]' if host == '::1' else host}:{listener.port}/s/x.snapshot"
        # The engine took the key (a 400, not a 401) and fetched the snapshot itself.
        with pytest.raises(errors.BadRequest, match="snapshot"):
            client.restore_snapshot(name, location)
        (request,) = listener.requests
        assert request.startswith(b"GET /s/x.snapshot ")
        assert b"api-key" not in request.lower()
        assert KEY.encode() not in request
        assert client.count(name) == 0  # the collection is untouched, the client goes on
    finally:
        client.delete_collection(name)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed(status: int, scripted_server: Any) -> None:
    server = scripted_server()
    elsewhere = scripted_server()
    client = QdrantClient(server.url, KEY, retry=1)
    for target in (
        f"{elsewhere.url}/collections/c/exists",
        f"http://localhost:{server.port}/collections/c/exists",  # the same server, respelled
    ):
        server.script(server.reply(status, headers=(("location", target),)))
        elsewhere.script()
        with pytest.raises(errors.ServerError, match=str(status)):
            client.collection_exists("c")
        (request,) = server.requests
        assert f"api-key: {KEY}".encode() in request  # the configured origin gets the key
        assert elsewhere.connections == 0
    assert client.collection_exists("c") is True


# ---- the transport refuses every other origin, however it is spelled ---------------------


@pytest.fixture(scope="module")
def listeners(scripted_server: Any) -> dict[str, Any]:
    found = {"v4": scripted_server("127.0.0.1"), "other": scripted_server("127.0.0.1")}
    if ipv6_loopback():
        found["v6"] = scripted_server("::1")
    return found


def _request(url: str) -> object:
    return _sandbox.record(
        method="GET",
        url=url,
        headers=[("accept", "application/json"), ("api-key", KEY)],
        body="",
        connect_timeout_ms=2000,
        read_timeout_ms=2000,
    )


# (configured origin, URL asked for, allowed). {v4}, {v6}: the ports of listeners on
# 127.0.0.1 and [::1]; {other}: another port on 127.0.0.1.
SPELLINGS = [
    ("http://127.0.0.1:{v4}", "http://127.0.0.1:{v4}/", True),
    ("http://127.0.0.1:{v4}", "HTTP://127.0.0.1:{v4}/collections", True),
    ("http://127.0.0.1:{v4}", "http://localhost:{v4}/", False),
    ("http://127.0.0.1:{v4}", "http://[::1]:{v4}/", False),
    ("http://127.0.0.1:{v4}", "http://127.0.0.1:{other}/", False),
    ("http://127.0.0.1:{v4}", "https://127.0.0.1:{v4}/", False),
    ("http://127.0.0.1:{v4}", "http://127.1:{v4}/", False),
    ("http://127.0.0.1:{v4}", "http://2130706433:{v4}/", False),
    ("http://127.0.0.1:{v4}", "http://0x7f000001:{v4}/", False),
    ("http://127.0.0.1:{v4}", "http://127.0.0.1.:{v4}/", False),
    ("http://127.0.0.1:{v4}", "http://[::ffff:127.0.0.1]:{v4}/", False),
    ("http://127.0.0.1:{v4}", "http://127.0.0.1:{v4}@localhost:{v4}/", False),
    ("http://127.0.0.1:{v4}", "http://localhost:{v4}#@127.0.0.1:{v4}/", False),
    ("http://127.0.0.1:{v4}", "http://127.0.0.1/", False),
    ("http://localhost:{v4}", "http://LOCALHOST:{v4}/", True),
    ("http://localhost:{v4}", "http://127.0.0.1:{v4}/", False),
    ("http://localhost:{v4}", "http://[::1]:{v4}/", False),
    ("http://localhost:{v4}", "http://localhost:{other}/", False),
    ("http://[::1]:{v6}", "http://[::1]:{v6}/", True),
    ("http://[::1]:{v6}", "http://localhost:{v6}/", False),
    ("http://[::1]:{v6}", "http://127.0.0.1:{v6}/", False),
    ("http://[::1]:{v6}", "http://[0:0:0:0:0:0:0:1]:{v6}/", False),
]


@pytest.mark.parametrize(
    ("configured", "asked", "allowed"),
    [pytest.param(*s, id=f"{s[0]}->{s[1]}".replace("http://", "")) for s in SPELLINGS],
)
def test_egress_reaches_the_configured_origin_only(
    configured: str, asked: str, allowed: bool, listeners: dict[str, Any]
) -> None:
    if "{v6}" in configured + asked and "v6" not in listeners:
        pytest.skip("no IPv6 loopback")
    ports = {name: server.port for name, server in listeners.items()}
    configured, asked = configured.format(**ports), asked.format(**ports)
    for server in listeners.values():
        server.script()
    origin = _egress.Origin.of_url(configured)
    assert origin is not None
    with _egress.allow(origin):
        answer = _egress.send(None, _request(asked))
    reached = [server for server in listeners.values() if server.connections]
    if allowed:
        assert not isinstance(answer, Variant), answer
        assert answer.status == 200  # type: ignore[attr-defined]
        (server,) = reached
        (request,) = server.requests
        assert f"api-key: {KEY}".encode() in request
    else:
        assert isinstance(answer, Variant) and answer.tag == "denied", answer
        time.sleep(0.05)  # a connection would have been accepted by now
        assert not [server for server in listeners.values() if server.connections]


# ---- the sandbox: no environment, arguments, directories or sockets ----------------------

WASI = "0.2.12"

# A component that asks WASI for what the retriever's sandbox must not give: the
# environment and arguments (wasi:cli/environment, which the retriever imports) and the
# preopened directories (wasi:filesystem, which it does not). Each export returns a count.
CAPABILITIES_WAT = """
(component $C
  (import "wasi:cli/environment@V" (instance $env
    (export "get-environment" (func (result (list (tuple string string)))))
    (export "get-arguments" (func (result (list string))))))
  (import "wasi:filesystem/types@V" (instance $fs
    (export "descriptor" (type (sub resource)))))
  (alias export $fs "descriptor" (type $descriptor))
  (import "wasi:filesystem/preopens@V" (instance $preopens
    (alias outer $C $descriptor (type $d))
    (export "descriptor" (type $d2 (eq $d)))
    (export "get-directories" (func (result (list (tuple (own $d2) string)))))))
  (core module $Mem
    (memory (export "memory") 1)
    (global $next (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $next) (i32.const 7)) (i32.const -8)))
      (global.set $next (i32.add (local.get $p) (local.get 3)))
      (if (i32.gt_u (global.get $next) (i32.mul (memory.size) (i32.const 65536)))
        (then (drop (memory.grow
          (i32.add (i32.div_u (global.get $next) (i32.const 65536)) (i32.const 1))))))
      (local.get $p)))
  (core instance $mem (instantiate $Mem))
  (alias core export $mem "memory" (core memory $memory))
  (alias core export $mem "realloc" (core func $realloc))
  (alias export $env "get-environment" (func $env_f))
  (alias export $env "get-arguments" (func $args_f))
  (alias export $preopens "get-directories" (func $dirs_f))
  (core func $env_c (canon lower (func $env_f) (memory $memory) (realloc $realloc)))
  (core func $args_c (canon lower (func $args_f) (memory $memory) (realloc $realloc)))
  (core func $dirs_c (canon lower (func $dirs_f) (memory $memory) (realloc $realloc)))
  (core module $Main
    (import "mem" "memory" (memory 1))
    (import "wasi" "env" (func $env (param i32)))
    (import "wasi" "args" (func $args (param i32)))
    (import "wasi" "dirs" (func $dirs (param i32)))
    (func (export "environment") (result i32)
      (call $env (i32.const 16)) (i32.load (i32.const 20)))
    (func (export "arguments") (result i32)
      (call $args (i32.const 16)) (i32.load (i32.const 20)))
    (func (export "directories") (result i32)
      (call $dirs (i32.const 16)) (i32.load (i32.const 20))))
  (core instance $wasi
    (export "env" (func $env_c)) (export "args" (func $args_c)) (export "dirs" (func $dirs_c)))
  (core instance $main
    (instantiate $Main (with "mem" (instance $mem)) (with "wasi" (instance $wasi))))
  (alias core export $main "environment" (core func $e))
  (alias core export $main "arguments" (core func $a))
  (alias core export $main "directories" (core func $d))
  (func (export "environment") (result u32) (canon lift (core func $e)))
  (func (export "arguments") (result u32) (canon lift (core func $a)))
  (func (export "directories") (result u32) (canon lift (core func $d)))
)
""".replace("@V", f"@{WASI}")

# A component that opens a TCP socket (wasi:sockets) to 127.0.0.1:port. `connect` returns
# 0 once a connect has started, 100 + the error code if the socket cannot be created,
# 200 + the code if the connect is refused (1 is access-denied).
SOCKET_WAT = """
(component $C
  (import "wasi:sockets/network@V" (instance $network
    (export "network" (type (sub resource)))
    (type $ec (enum "unknown" "access-denied" "not-supported" "invalid-argument"
      "out-of-memory" "timeout" "concurrency-conflict" "not-in-progress" "would-block"
      "invalid-state" "new-socket-limit" "address-not-bindable" "address-in-use"
      "remote-unreachable" "connection-refused" "connection-reset" "connection-aborted"
      "datagram-too-large" "name-unresolvable" "temporary-resolver-failure"
      "permanent-resolver-failure"))
    (export "error-code" (type (eq $ec)))
    (type $family (enum "ipv4" "ipv6"))
    (export "ip-address-family" (type (eq $family)))
    (type $v4 (record (field "port" u16) (field "address" (tuple u8 u8 u8 u8))))
    (export "ipv4-socket-address" (type $v4e (eq $v4)))
    (type $v6 (record (field "port" u16) (field "flow-info" u32)
      (field "address" (tuple u16 u16 u16 u16 u16 u16 u16 u16)) (field "scope-id" u32)))
    (export "ipv6-socket-address" (type $v6e (eq $v6)))
    (type $sa (variant (case "ipv4" $v4e) (case "ipv6" $v6e)))
    (export "ip-socket-address" (type (eq $sa)))))
  (alias export $network "network" (type $net))
  (alias export $network "error-code" (type $ec))
  (alias export $network "ip-address-family" (type $family))
  (alias export $network "ip-socket-address" (type $sa))
  (import "wasi:sockets/instance-network@V" (instance $inet
    (alias outer $C $net (type $n))
    (export "network" (type $n2 (eq $n)))
    (export "instance-network" (func (result (own $n2))))))
  (import "wasi:sockets/tcp@V" (instance $tcp
    (alias outer $C $net (type $n))
    (alias outer $C $ec (type $e))
    (alias outer $C $sa (type $a))
    (export "network" (type $n2 (eq $n)))
    (export "error-code" (type $e2 (eq $e)))
    (export "ip-socket-address" (type $a2 (eq $a)))
    (export "tcp-socket" (type $s (sub resource)))
    (export "[method]tcp-socket.start-connect" (func (param "self" (borrow $s))
      (param "network" (borrow $n2)) (param "remote-address" $a2) (result (result (error $e2)))))))
  (alias export $tcp "tcp-socket" (type $socket))
  (import "wasi:sockets/tcp-create-socket@V" (instance $create
    (alias outer $C $ec (type $e))
    (alias outer $C $family (type $f))
    (alias outer $C $socket (type $s))
    (alias outer $C $net (type $n))
    (export "network" (type $n2 (eq $n)))
    (export "error-code" (type $e2 (eq $e)))
    (export "ip-address-family" (type $f2 (eq $f)))
    (export "tcp-socket" (type $s2 (eq $s)))
    (export "create-tcp-socket"
      (func (param "address-family" $f2) (result (result (own $s2) (error $e2)))))))
  (core module $Mem (memory (export "memory") 1))
  (core instance $mem (instantiate $Mem))
  (alias core export $mem "memory" (core memory $memory))
  (alias export $inet "instance-network" (func $inet_f))
  (alias export $create "create-tcp-socket" (func $create_f))
  (alias export $tcp "[method]tcp-socket.start-connect" (func $connect_f))
  (core func $inet_c (canon lower (func $inet_f)))
  (core func $create_c (canon lower (func $create_f) (memory $memory)))
  (core func $connect_c (canon lower (func $connect_f) (memory $memory)))
  (core module $Main
    (import "mem" "memory" (memory 1))
    (import "wasi" "inet" (func $inet (result i32)))
    (import "wasi" "create" (func $create (param i32 i32)))
    (import "wasi" "connect" (func $connect
      (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
    (func (export "connect") (param $port i32) (result i32)
      (local $net i32)
      (local.set $net (call $inet))
      (call $create (i32.const 0) (i32.const 32))
      (if (i32.load8_u (i32.const 32))
        (then (return (i32.add (i32.const 100) (i32.load8_u (i32.const 36))))))
      (call $connect (i32.load (i32.const 36)) (local.get $net) (i32.const 0) (local.get $port)
        (i32.const 127) (i32.const 0) (i32.const 0) (i32.const 1)
        (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
        (i32.const 48))
      (if (i32.load8_u (i32.const 48))
        (then (return (i32.add (i32.const 200) (i32.load8_u (i32.const 49))))))
      (i32.const 0)))
  (core instance $wasi
    (export "inet" (func $inet_c)) (export "create" (func $create_c))
    (export "connect" (func $connect_c)))
  (core instance $main
    (instantiate $Main (with "mem" (instance $mem)) (with "wasi" (instance $wasi))))
  (alias core export $main "connect" (core func $cc))
  (func (export "connect") (param "port" u16) (result u32) (canon lift (core func $cc)))
)
""".replace("@V", f"@{WASI}")


def sandboxed(wat: str) -> tuple[Any, dict[str, Callable[..., Any]]]:
    """The probe in a store made exactly as the client makes its own (the package's engine,
    linker, WASI configuration and memory cap): the store and the probe's exports."""
    rt = _sandbox.runtime()
    probe = Component(rt.engine, wat)
    exports = probe.type.exports(rt.engine)
    as_runtime = types.SimpleNamespace(
        engine=rt.engine,
        linker=rt.linker,
        component=probe,
        functions={name: probe.get_export_index(name) for name in exports},
    )
    sandbox = _sandbox._Sandbox(as_runtime, _sandbox.DEFAULT_MEMORY_LIMIT)  # type: ignore[arg-type]
    calls = {name: functools.partial(func, sandbox.store) for name, func in sandbox.funcs.items()}
    return sandbox.store, calls


def test_the_sandbox_has_no_environment_arguments_or_directories(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("QDRANT_API_KEY", KEY)
    _, probe = sandboxed(CAPABILITIES_WAT)
    assert probe["environment"]() == 0
    assert probe["arguments"]() == 0
    assert probe["directories"]() == 0
    # The probe does see them where a store grants them.
    rt = _sandbox.runtime()
    component = Component(rt.engine, CAPABILITIES_WAT)
    store = Store(rt.engine)
    wasi = WasiConfig()
    wasi.inherit_env()
    wasi.argv = ["probe", KEY]
    wasi.preopen_dir(str(tmp_path), "/data")
    store.set_wasi(wasi)
    store.set_epoch_deadline(1 << 40)
    instance = rt.linker.instantiate(store, component)

    def granted(name: str) -> int:
        func = instance.get_func(store, component.get_export_index(name))
        assert func is not None
        return func(store)

    assert granted("environment") >= 1
    assert granted("arguments") == 2
    assert granted("directories") == 1


def test_the_sandbox_cannot_open_a_socket(scripted_server: Any) -> None:
    # wasmtime-py grants no sockets to any store, so there is no store to compare with:
    # the probe's answer is WASI's own access-denied (error code 1), and no connection
    # reaches the listener.
    listener = scripted_server()
    _, probe = sandboxed(SOCKET_WAT)
    assert probe["connect"](listener.port) in (101, 201)
    time.sleep(0.05)
    assert listener.connections == 0
