"""The harness of the hostile-input tables (``test_hostile_input.py``, bad input against
the engine; ``test_hostile_server.py``, a scripted server's bad answers): every case must end
in the library's typed error (or, where the input is legitimate, in the right result),
quickly, with nothing half-written, and the same client must serve the next call.

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
    server: Any  # scripted_http.ScriptedServer
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


def environment(qdrant_url: str, server: Any) -> Iterator[Env]:
    """The clients of the cases (the ``hostile_env`` fixture of conftest.py) and the base
    collection, deleted when the module's cases are done."""
    base = f"hostile_base_{uuid.uuid4().hex[:8]}"
    env = Env(
        client=QdrantClient(qdrant_url),
        roomy=QdrantClient(qdrant_url, memory_limit=1024 * MiB),
        tight=QdrantClient(qdrant_url, memory_limit=4 * MiB),
        remote=QdrantClient(server.url, retry=1, call_timeout=5.0, memory_limit=32 * MiB),
        hasty=QdrantClient(server.url, retry=1, call_timeout=1.0),
        server=server,
        base=base,
    )
    env.client.create_collection(base, DIM)
    env.client.upsert(base, BASE_IDS, BASE_VECTORS, BASE_PAYLOADS)
    yield env
    env.client.delete_collection(base)


class Reply(NamedTuple):
    """A canned answer of the scripted server (``ScriptedServer.reply``'s arguments)."""

    status: int
    body: bytes | str = b""
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


def exists(env: Env, client: str = "remote") -> bool:
    return getattr(env, client).collection_exists("c")


# ---- the tables ----------------------------------------------------------------------------

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


def params(cases: list[Case]) -> list[Any]:
    """The cases as pytest parameters, the ``bug`` ones strict xfails."""
    return [
        pytest.param(
            case,
            id=case.id,
            marks=[pytest.mark.xfail(strict=True, reason=f"BUG: {case.bug}")] if case.bug else [],
        )
        for case in cases
    ]


def check_table(cases: list[Case], at_least: int) -> None:
    """A table is well formed: enough cases, unique ids, each expecting something, and a
    plain Python error only where the note says why."""
    assert len(cases) >= at_least
    assert len({c.id for c in cases}) == len(cases)
    for case in cases:
        assert case.expect is not None or case.check is not None, case.id
        if case.expect is not None and not issubclass(case.expect, errors.QdrantError):
            assert case.note == TYPE_ERROR, case.id


def run(case: Case, env: Env) -> None:
    """Runs one case: its outcome, its time, the base collection intact, the client alive."""
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
