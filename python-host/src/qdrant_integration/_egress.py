"""The component's outbound HTTP (the WIT ``http-transport`` import), sent by Python.

wasmtime-py has no hook to police ``wasi:http``, so the Python host links no wasi:http at
all: the component reaches the network only through :func:`send`, which refuses every
origin but the client's, reuses keep-alive connections, and reads an answer no longer than
the call's deadline and no larger than the sandbox can hold.
"""

from __future__ import annotations

import atexit
import http.client
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from wasmtime.component import Record, Variant

#: Drop pooled connections idle this long: Qdrant closes idle connections after 5 s. The
#: Rust host's ``egress::pool::IDLE_TIMEOUT`` is the same figure on purpose: each host pools
#: its own connections.
IDLE_SECONDS = 4.0
#: An answer's body is read this many bytes at a time (at most: one socket read each).
READ_CHUNK = 1 << 20


class BodyTooLarge(Exception):
    """An answer's body is larger than the sandbox's memory: :func:`send` raises it, which
    traps the component (no ``transport-error`` case says "too large", and a body the
    instance cannot hold would trap it anyway, once read whole); the sandbox turns it
    into :class:`~qdrant_integration.errors.RuntimeFailure`."""

    def __init__(self, origin: Origin, limit: int) -> None:
        super().__init__(f"the answer from {origin} is larger than {limit} bytes")
        self.limit = limit


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
        #: The largest body the current call may read, in bytes, if capped.
        self.max_body: int | None = None


_pool = _Pool()


def _close_pooled() -> None:
    """Closes the current thread's pooled connections: at exit, the main thread's, so that
    none is left to the garbage collector (a ``ResourceWarning``) while Python stops."""
    for connection, _ in _pool.connections.values():
        connection.close()
    _pool.connections.clear()


atexit.register(_close_pooled)


class allow:  # noqa: N801 - used as a context manager, like a function
    """While active, the current thread's component calls may reach ``origin`` only, and
    (with a ``deadline``, a ``time.monotonic()`` value) only until then, reading answers
    of at most ``max_body`` bytes (the sandbox's memory cap)."""

    def __init__(
        self, origin: Origin | None, deadline: float | None = None, max_body: int | None = None
    ) -> None:
        self._origin = origin
        self._deadline = deadline
        self._max_body = max_body

    def __enter__(self) -> None:
        self._previous = (_pool.allowed, _pool.deadline, _pool.max_body)
        _pool.allowed, _pool.deadline, _pool.max_body = (
            self._origin,
            self._deadline,
            self._max_body,
        )

    def __exit__(self, *exc: object) -> None:
        _pool.allowed, _pool.deadline, _pool.max_body = self._previous


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


class _DeadlinePassed(Exception):
    """The call's deadline passed while an answer was being read."""


def _read_body(
    response: http.client.HTTPResponse,
    sock: socket.socket | None,
    timeout: float,
    deadline: float | None,
    limit: int | None,
    origin: Origin,
) -> bytes:
    """The answer's body, read one socket read at a time, so that neither a body that
    trickles nor one that never ends outlasts the call's ``deadline``, and none larger
    than ``limit`` is buffered. ``timeout`` is the socket's timeout as set (the request's
    read timeout, already cut to the deadline); each read's is cut to what is left of the
    deadline once that is shorter.

    A read that times out raises :class:`TimeoutError` (the server went quiet), unless
    the deadline cut short a wait the read timeout still allowed: then the answer was
    still arriving, and it is :class:`_DeadlinePassed`."""
    if limit is not None and response.length is not None and response.length > limit:
        raise BodyTooLarge(origin, limit)
    parts: list[bytes] = []
    size = 0
    read1 = response.read1
    allowed = timeout
    last = time.monotonic()  # when the last bytes came
    while response.length != 0:  # an empty body is whole at once, deadline or not
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _DeadlinePassed(size)
            if left < timeout and sock is not None:
                timeout = left
                sock.settimeout(left)
        try:
            chunk = read1(READ_CHUNK)
        except TimeoutError:
            if deadline is None or time.monotonic() - last >= allowed / 2:
                raise
            raise _DeadlinePassed(size) from None
        if chunk:
            parts.append(chunk)
            size += len(chunk)
            if limit is not None and size > limit:
                raise BodyTooLarge(origin, limit)
            if deadline is not None:
                last = time.monotonic()
        if not chunk:
            break
    data = b"".join(parts)
    if response.length:  # the connection closed before the promised length
        raise http.client.IncompleteRead(data, response.length)
    # Read to the end: closed, as ``read()`` does, so that the connection takes the next
    # request (``read1`` leaves a response of a known length open).
    response.close()
    return data


def _unsendable(request: Record, headers: dict[str, str]) -> str:
    """Why ``http.client`` refused to write a request: the headers whose values HTTP/1.1
    cannot carry, by name (a value may be the api-key: it is never quoted)."""
    bad = []
    for name, value in headers.items():
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            bad.append(name)
            continue
        if any(c in value for c in "\r\n\0"):
            bad.append(name)
    if bad:
        return (
            f"the value of the header {', '.join(bad)} holds characters an HTTP/1.1 header "
            "cannot carry (CR, LF, NUL or beyond Latin-1)"
        )
    return "its method or target holds characters HTTP/1.1 cannot carry"


def send(_store: object, request: Record) -> Record | Variant:
    """Implements ``http-transport.send``. Every failure to get an answer becomes a
    ``transport-error`` (a Python exception would trap the component), with one
    exception: a body larger than the sandbox's memory cap raises :class:`BodyTooLarge`.

    ``connect-timeout-ms`` bounds the TCP connect (and TLS handshake); ``read-timeout-ms``
    bounds each socket operation afterwards: the wait for the first byte of the answer and
    between bytes. Both are cut to what is left of the call's deadline; once it is spent,
    the request is not sent and the answer is a timeout, and a body still arriving when it
    passes is cut off with a timeout.
    """
    url = request.url
    origin = Origin.of_url(url)
    if origin is None or origin != _pool.allowed:
        return Variant("denied", f"{url} is outside the configured Qdrant origin")
    connect_timeout = _seconds(request, "connect-timeout-ms")
    read_timeout = _seconds(request, "read-timeout-ms")
    deadline = _pool.deadline
    if deadline is not None:
        left = deadline - time.monotonic()
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
        except ValueError:  # UnicodeEncodeError too: http.client's messages quote values
            unsendable = True
        except (ConnectionError, http.client.HTTPException, OSError) as e:
            connection.close()
            if reused:
                continue  # the server closed an idle keep-alive connection: use a new one
            return Variant("connection", f"{origin}: {e}")
        else:
            unsendable = False
        if unsendable:  # answered outside the handler: the exception holds the value
            connection.close()
            return Variant(
                "connection",
                f"{origin}: the request cannot be sent: {_unsendable(request, headers)}",
            )
        # Taken now: ``getresponse`` drops it for an answer that closes the connection.
        sock = connection.sock
        try:
            response = connection.getresponse()
            data = _read_body(response, sock, read_timeout, deadline, _pool.max_body, origin)
        except TimeoutError as e:
            connection.close()
            return Variant(
                "timeout", f"no answer from {origin} within {read_timeout:g} s (read: {e})"
            )
        except _DeadlinePassed as e:
            connection.close()
            return Variant(
                "timeout",
                f"the call's deadline passed while the answer from {origin} was still "
                f"arriving ({e.args[0]} bytes of its body read)",
            )
        except BodyTooLarge:
            connection.close()
            raise
        except (ConnectionError, http.client.HTTPException, OSError) as e:
            # Written, so the server may have acted on it (a reset after a create): never
            # sent again here; the component decides, by what the operation is.
            connection.close()
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
