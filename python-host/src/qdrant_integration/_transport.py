"""The component's outbound HTTP (the WIT ``http-transport`` import), sent by Python.

wasmtime-py has no hook to police ``wasi:http``, so the Python host links no wasi:http at
all: the component reaches the network only through :func:`send`, which refuses every
origin but the client's and reuses keep-alive connections.
"""

from __future__ import annotations

import http.client
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


_pool = _Pool()


class allow:  # noqa: N801 - used as a context manager, like a function
    """While active, the current thread's component calls may reach ``origin`` only."""

    def __init__(self, origin: Origin | None) -> None:
        self._origin = origin

    def __enter__(self) -> None:
        self._previous, _pool.allowed = _pool.allowed, self._origin

    def __exit__(self, *exc: object) -> None:
        _pool.allowed = self._previous


def _connection(origin: Origin) -> tuple[http.client.HTTPConnection, bool]:
    """A pooled connection (and whether it was reused) or a new, unconnected one."""
    pooled = _pool.connections.pop(origin, None)
    if pooled is not None:
        connection, last_used = pooled
        if time.monotonic() - last_used < IDLE_SECONDS and connection.sock is not None:
            return connection, True
        connection.close()
    cls = http.client.HTTPSConnection if origin.scheme == "https" else http.client.HTTPConnection
    return cls(origin.host, origin.port), False


def _seconds(record: Record, field: str) -> float:
    return max(int(getattr(record, field)), 1) / 1000


def send(_store: object, request: Record) -> Record | Variant:
    """Implements ``http-transport.send``. Never raises: a Python exception would trap the
    component, so every failure becomes a ``transport-error``.

    ``connect-timeout-ms`` bounds the TCP connect (and TLS handshake); ``read-timeout-ms``
    bounds each socket operation afterwards: the wait for the first byte of the answer and
    between bytes.
    """
    url = request.url
    origin = Origin.of_url(url)
    if origin is None or origin != _pool.allowed:
        return Variant("denied", f"{url} is outside the configured Qdrant origin")
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    body = request.body.encode("utf-8") if request.body else None
    headers = dict(request.headers)
    connect_timeout = _seconds(request, "connect-timeout-ms")
    read_timeout = _seconds(request, "read-timeout-ms")
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
