"""Tests run against the Qdrant at ``QDRANT_URL`` or a freshly started embedded engine."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from qdrant_integration import EmbeddedQdrant, QdrantClient, errors


@pytest.fixture(scope="session")
def qdrant_url() -> Iterator[str]:
    url = os.environ.get("QDRANT_URL")
    if url:
        yield url
        return
    with EmbeddedQdrant() as embedded_url:
        yield embedded_url


@pytest.fixture
def client(qdrant_url: str) -> QdrantClient:
    return QdrantClient(qdrant_url, os.environ.get("QDRANT_API_KEY"))


@pytest.fixture
def collection(client: QdrantClient) -> Iterator[str]:
    name = f"py_{uuid.uuid4().hex[:12]}"
    yield name
    client.delete_collection(name)


def pytest_report_header() -> str:
    from importlib import metadata

    import wasmtime

    fast = os.environ.get("QDRANT_INTEGRATION_FAST_CALLS", "1") != "0"
    return (
        f"wasmtime-py {metadata.version('wasmtime')} from {os.path.dirname(wasmtime.__file__)}"
        f", {'fast' if fast else 'public'} call path"
    )


# ---- every export is exercised -----------------------------------------------------------
# As wasmtime's `assert_test_exists`: a full run of this suite must call every function the
# component exports (read from the component itself), so a new export cannot ship untested.

_CALLED: set[str] = set()


def _record_calls() -> None:
    from qdrant_integration._sandbox import Instance

    original = Instance.call

    def call(self, name, *args, **kwargs):  # type: ignore[no-untyped-def]
        # Exercised once the component answered: a result, or an error the server sent
        # (refusals of this package's own checks do not count).
        try:
            result = original(self, name, *args, **kwargs)
        except errors.QdrantError as e:
            if not isinstance(e, errors.InvalidInput):
                _CALLED.add(name)
            raise
        _CALLED.add(name)
        return result

    Instance.call = call  # type: ignore[method-assign]


_record_calls()


_RAN: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" or (report.when == "setup" and report.skipped):
        _RAN.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Only a whole run of this directory judges coverage: every collected test ran, none
    # was deselected or skipped by a selection option.
    option = session.config.option
    selected = (
        option.keyword
        or option.markexpr
        or option.maxfail
        or getattr(option, "collectonly", False)
        or getattr(option, "lf", False)
        or getattr(option, "stepwise", False)
        or getattr(option, "deselect", None)
    )
    here = os.path.dirname(__file__)
    whole = all(os.path.abspath(str(a)) == here for a in session.config.args)
    if exitstatus != 0 or selected or not whole or len(set(_RAN)) != session.testscollected:
        return
    from qdrant_integration._sandbox import runtime

    missing = sorted(set(runtime().functions) - _CALLED)
    if missing:
        print(f"\nexports no test called: {missing}")
        session.exitstatus = 1


# ---- a scripted HTTP server (test_hostile.py, test_secrets.py) ---------------------------


class ScriptedServer:
    """A raw-socket HTTP server that answers each request with the next canned answer.

    An answer is the bytes to send, or a callable ``answer(conn, server)`` that writes to
    the connection itself (for bodies that never end, or stall). After each answer the
    connection is closed. Once the script is spent, every request gets ``default`` (a
    Qdrant ``{"exists": true}``). ``requests`` holds each request's raw bytes (head and
    body) and ``connections`` counts accepted connections, so a test can tell that nothing
    at all reached this server.
    """

    EXISTS = b'{"result":{"exists":true},"status":"ok","time":0}'

    def __init__(self, host: str = "127.0.0.1") -> None:
        import socket
        import threading

        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.socket(family, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, 0))
        self._socket.listen(32)
        self._socket.settimeout(0.05)
        self.host = host
        self.port: int = self._socket.getsockname()[1]
        self.url = f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"
        self.default = self.reply(200, self.EXISTS)
        self.requests: list[bytes] = []
        self.connections = 0
        self.stopped = threading.Event()
        self._answers: list[object] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @staticmethod
    def reply(
        status: int,
        body: bytes | str = b"",
        content_type: str = "application/json",
        headers: tuple[tuple[str, str], ...] = (),
    ) -> bytes:
        """One complete HTTP/1.1 answer, with a content-length and ``connection: close``."""
        from http import HTTPStatus

        data = body.encode() if isinstance(body, str) else body
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Status"
        head = [f"HTTP/1.1 {status} {reason}", f"content-type: {content_type}"]
        head += [f"content-length: {len(data)}", "connection: close"]
        head += [f"{name}: {value}" for name, value in headers]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + data

    def script(self, *answers: object) -> None:
        """The answers to the next requests, in order (replacing what was left), and a
        fresh record of requests and connections."""
        with self._lock:
            self._answers = list(answers)
            self.requests.clear()
            self.connections = 0

    def _accept(self) -> None:
        import threading

        while not self.stopped.is_set():
            try:
                conn, _ = self._socket.accept()
            except OSError:
                continue
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: object) -> None:
        import socket

        assert isinstance(conn, socket.socket)
        with conn:
            conn.settimeout(10)
            try:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(body) < length:
                    chunk = conn.recv(1 << 20)
                    if not chunk:
                        break
                    body += chunk
                with self._lock:
                    self.requests.append(head + b"\r\n\r\n" + body)
                    answer = self._answers.pop(0) if self._answers else self.default
                if callable(answer):
                    answer(conn, self)
                else:
                    assert isinstance(answer, bytes)
                    conn.sendall(answer)
            except OSError:
                pass

    def close(self) -> None:
        self.stopped.set()
        self._thread.join()
        self._socket.close()


class ScriptedServers:
    """Makes :class:`ScriptedServer` instances (``make()``, or ``make("::1")``) and closes
    them all at the end."""

    def __init__(self) -> None:
        self.made: list[ScriptedServer] = []

    def __call__(self, host: str = "127.0.0.1") -> ScriptedServer:
        server = ScriptedServer(host)
        self.made.append(server)
        return server

    def close(self) -> None:
        for server in self.made:
            server.close()


@pytest.fixture(scope="module")
def scripted_server() -> Iterator[ScriptedServers]:
    """A factory of scripted servers, closed when the module's tests are done."""
    servers = ScriptedServers()
    yield servers
    servers.close()
