"""Exceptions mirroring the component's WIT ``error`` variant, one class per case.

Each survives ``pickle`` (a worker process's error reaches its parent whole): a class whose
constructor does not take its message rebuilds itself from its own arguments."""

from __future__ import annotations

from collections.abc import Mapping


class QdrantError(Exception):
    """Base of every error a client call raises."""

    #: The WIT case name, e.g. ``"not-found"``.
    kind: str = "error"


class ConnectionFailed(QdrantError):
    kind = "connection"


class Timeout(QdrantError):
    kind = "timeout"


class Unauthorized(QdrantError):
    kind = "unauthorized"


class Forbidden(QdrantError):
    kind = "forbidden"


class NotFound(QdrantError):
    kind = "not-found"


class BadRequest(QdrantError):
    kind = "bad-request"


class Conflict(QdrantError):
    kind = "conflict"


class RateLimited(QdrantError):
    kind = "rate-limited"

    def __init__(self, retry_after_secs: int | None) -> None:
        suffix = f", retry after {retry_after_secs} s" if retry_after_secs is not None else ""
        super().__init__(f"rate limited{suffix}")
        self.retry_after_secs = retry_after_secs

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.retry_after_secs,), self.__dict__)


class ServerError(QdrantError):
    kind = "server"

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"server error {status}: {message}")
        self.status = status
        self.message = message

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.status, self.message), self.__dict__)


class InvalidInput(QdrantError, ValueError):
    kind = "invalid-input"


class DecodeError(QdrantError):
    kind = "decode"


class RuntimeFailure(QdrantError):
    """The component could not be loaded, or it trapped (the instance is then replaced)."""

    kind = "runtime"


_BY_KIND: dict[str, type[QdrantError]] = {
    cls.kind: cls
    for cls in (
        ConnectionFailed,
        Timeout,
        Unauthorized,
        Forbidden,
        NotFound,
        BadRequest,
        Conflict,
        InvalidInput,
        DecodeError,
    )
}


def from_wit(tag: str, payload: object) -> QdrantError:
    """The exception for a WIT ``error`` value (``tag`` is the case name)."""
    if tag == "rate-limited":
        return RateLimited(payload if isinstance(payload, int) else None)
    if tag == "server":
        if isinstance(payload, Mapping):
            return ServerError(int(payload["status"]), str(payload["message"]))
        return ServerError(int(payload.status), str(payload.message))  # type: ignore[attr-defined]
    cls = _BY_KIND.get(tag)
    if cls is None:
        return DecodeError(f"unknown error case {tag!r}: {payload!r}")
    return cls(str(payload))


class FastCallsUnavailable(RuntimeWarning):
    """Warned once when the installed wasmtime-py does not fit the package's fast call path:
    calls then take wasmtime-py's public API (the same answers, about 1 ms slower each)."""
