"""The component's outbound HTTP (the WIT ``http-transport`` import), sent by Python.

wasmtime-py has no hook to police ``wasi:http``, so the Python host links no wasi:http at
all: the component reaches the network only through :func:`send`, which refuses every
origin but the client's and reuses keep-alive connections.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from wasmtime.component import Record, Variant

#: Drop pooled connections idle this long: Qdrant closes idle connections after 5 s.
IDLE_SECONDS = 4.0


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int

    @classmethod
    def of_url(cls, url: str) -> Origin | None:
        """The origin of an http(s) URL, or ``None`` when it has none."""
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            return None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            return None
        return cls(scheme, parts.hostname.lower(), port or (443 if scheme == "https" else 80))

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


class _Pool(threading.local):
    """Keep-alive connections of the current thread, by origin: (connection, last used)."""

    def __init__(self) -> None:
        self.connections: dict[Origin, tuple[http.client.HTTPConnection, float]] = {}
        self.allowed: Origin | None = None
        #: ``time.monotonic()`` by which the current call must be done, if any.
        self.deadline: float | None = None


_pool = _Pool()


class allow:  # noqa: N801 - used as a context manager, like a function
    """While active, the current thread's component calls may reach ``origin`` only, and
    (with a ``deadline``, a ``time.monotonic()`` value) only until then."""

    def __init__(self, origin: Origin | None, deadline: float | None = None) -> None:
        self._origin = origin
        self._deadline = deadline

    def __enter__(self) -> None:
        self._previous = (_pool.allowed, _pool.deadline)
        _pool.allowed, _pool.deadline = self._origin, self._deadline

    def __exit__(self, *exc: object) -> None:
        _pool.allowed, _pool.deadline = self._previous


class _OneWrite:
    """Sends a request's head and body in one write, with Nagle off: ``http.client``
    writes them separately, which can stall a small request on a delayed ACK."""

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # type: ignore[attr-defined]

    def _send_output(self, message_body: bytes | None = None, encode_chunked: bool = False) -> None:
        buffer = self._buffer  # type: ignore[attr-defined]
        buffer.extend((b"", b""))
        message = b"\r\n".join(buffer)
        del buffer[:]
        if message_body is not None:
            message += message_body
        self.send(message)  # type: ignore[attr-defined]


class _HTTPConnection(_OneWrite, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_OneWrite, http.client.HTTPSConnection):
    pass


def _connection(origin: Origin) -> tuple[http.client.HTTPConnection, bool]:
    """A pooled connection (and whether it was reused) or a new, unconnected one."""
    pooled = _pool.connections.pop(origin, None)
    if pooled is not None:
        connection, last_used = pooled
        if time.monotonic() - last_used < IDLE_SECONDS and connection.sock is not None:
            return connection, True
        connection.close()
    cls = _HTTPSConnection if origin.scheme == "https" else _HTTPConnection
    return cls(origin.host, origin.port), False


def _seconds(record: Record, field: str) -> float:
    return max(int(getattr(record, field)), 1) / 1000


def send(_store: object, request: Record) -> Record | Variant:
    """Implements ``http-transport.send``. Never raises: a Python exception would trap the
    component, so every failure becomes a ``transport-error``.

    ``connect-timeout-ms`` bounds the TCP connect (and TLS handshake); ``read-timeout-ms``
    bounds each socket operation afterwards: the wait for the first byte of the answer and
    between bytes. Both are cut to what is left of the call's deadline; once it is spent,
    the request is not sent and the answer is a timeout.
    """
    url = request.url
    origin = Origin.of_url(url)
    if origin is None or origin != _pool.allowed:
        return Variant("denied", f"{url} is outside the configured Qdrant origin")
    connect_timeout = _seconds(request, "connect-timeout-ms")
    read_timeout = _seconds(request, "read-timeout-ms")
    if _pool.deadline is not None:
        left = _pool.deadline - time.monotonic()
        if left <= 0:
            return Variant("timeout", "the call's deadline passed before this request")
        connect_timeout, read_timeout = min(connect_timeout, left), min(read_timeout, left)
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    body = request.body.encode("utf-8") if request.body else None
    headers = dict(request.headers)
    for _attempt in range(2):
        connection, reused = _connection(origin)
        if not reused:
            connection.timeout = connect_timeout
            try:
                connection.connect()
            except TimeoutError as e:
                connection.close()
                return Variant(
                    "timeout", f"connect to {origin} timed out after {connect_timeout:g} s ({e})"
                )
            except OSError as e:
                connection.close()
                return Variant("connection", f"{origin}: {e}")
        connection.timeout = read_timeout
        if connection.sock is not None:
            connection.sock.settimeout(read_timeout)
        try:
            connection.request(request.method, target, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except TimeoutError as e:
            connection.close()
            return Variant(
                "timeout", f"no answer from {origin} within {read_timeout:g} s (read: {e})"
            )
        except (ConnectionError, http.client.HTTPException, OSError) as e:
            connection.close()
            if reused:
                continue  # the server closed an idle keep-alive connection: use a new one
            return Variant("connection", f"{origin}: {e}")
        if response.will_close:
            connection.close()
        else:
            _pool.connections[origin] = (connection, time.monotonic())
        reply = Record()
        reply.status = response.status
        setattr(reply, "retry-after", response.getheader("retry-after"))
        reply.body = data.decode("utf-8", errors="replace")
        return reply
    return Variant("connection", f"{origin}: connection closed")
