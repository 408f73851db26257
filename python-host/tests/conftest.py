"""Tests run against the Qdrant at ``QDRANT_URL`` or a freshly started embedded engine."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import hostile_cases
import pytest
from scripted_http import ScriptedServers
from secret_key import KEY

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


# ---- shared fixtures ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def scripted_server() -> Iterator[ScriptedServers]:
    """A factory of scripted servers, closed when the module's tests are done."""
    servers = ScriptedServers()
    yield servers
    servers.close()


@pytest.fixture(scope="module")
def hostile_env(qdrant_url: str, scripted_server: ScriptedServers) -> Iterator[hostile_cases.Env]:
    """The clients and base collection of a hostile-input table (``hostile_cases.py``)."""
    yield from hostile_cases.environment(qdrant_url, scripted_server())


@pytest.fixture(scope="module")
def guarded_url() -> Iterator[str]:
    """An embedded engine that wants ``secret_key.KEY`` on every request but the health
    endpoints."""
    engine = EmbeddedQdrant(api_key=KEY)
    try:
        yield engine.start()
    finally:
        engine.stop()


@pytest.fixture
def make_collection(client: QdrantClient) -> Iterator:
    """Makes collections named ``py_<random>`` (``make(**create_collection_kwargs)``) and
    deletes them after the test."""
    created: list[str] = []

    def make(**kwargs: object) -> str:
        name = f"py_{uuid.uuid4().hex[:12]}"
        client.create_collection(name, **kwargs)  # type: ignore[arg-type]
        created.append(name)
        return name

    yield make
    for name in created:
        client.delete_collection(name)
