"""The two call paths (see ``qdrant_integration._calls``): the fast one over wasmtime-py's
internals, and the public one it falls back to, with one warning, when those internals
change shape or answer differently. Each case runs in a fresh interpreter, since the path
is chosen once per process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid

import pytest

from qdrant_integration import QdrantClient, _sandbox

#: Runs in a child interpreter: applies ``SETUP`` (which may break wasmtime-py first),
#: then writes, queries and reads points and prints what it saw as one JSON line.
_PROGRAM = """
import json, sys, warnings
warnings.simplefilter("always")
{setup}
with warnings.catch_warnings(record=True) as caught:
    from qdrant_integration import QdrantClient, _sandbox
    client = QdrantClient(sys.argv[1])
    collection = sys.argv[2]
    client.create_collection(collection, vector_size=3, distance="cosine")
    client.upsert(
        collection,
        ids=["7", "b"],
        vectors=[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
        payloads=[{{"text": "first"}}, {{"text": "second", "n": [1, 2]}}],
    )
    hits = client.query(collection, [1.0, 0.1, 0.0], limit=2, with_payload=True)
    try:
        client.query(collection, [1.0, 0.0], limit=1)
        wrong = None
    except Exception as e:
        wrong = type(e).__name__
    client.delete_collection(collection)
print(json.dumps({{
    "calls": _sandbox.runtime().calls.NAME,
    "hits": [[h.id, round(h.score, 5), h.payload] for h in hits],
    "wrong_dimension": wrong,
    "warnings": [f"{{w.category.__name__}}: {{w.message}}" for w in caught],
}}))
"""


def _run(qdrant_url: str, setup: str = "", env: dict[str, str] | None = None) -> dict:
    program = _PROGRAM.format(setup=textwrap.dedent(setup))
    collection = f"calls_{uuid.uuid4().hex[:12]}"
    done = subprocess.run(
        [sys.executable, "-c", program, qdrant_url, collection],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QDRANT_INTEGRATION_FAST_CALLS": "1", **(env or {})},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def expected(qdrant_url: str) -> dict:
    """What the fast path sees, with no warning."""
    seen = _run(qdrant_url)
    assert seen["calls"] == "fast", seen
    assert seen["warnings"] == []
    assert [hit[0] for hit in seen["hits"]] == ["7", "b"]
    assert seen["hits"][1][2] == {"text": "second", "n": [1, 2]}
    assert seen["wrong_dimension"] == "BadRequest"  # the server refuses it
    return seen


def _same_answers(seen: dict, expected: dict) -> None:
    assert seen["hits"] == expected["hits"]
    assert seen["wrong_dimension"] == expected["wrong_dimension"]


def _one_fallback_warning(seen: dict, reason: str) -> None:
    assert seen["calls"] == "public"
    assert len(seen["warnings"]) == 1, seen["warnings"]
    assert seen["warnings"][0].startswith("FastCallsUnavailable: qdrant_integration: calls use")
    assert reason in seen["warnings"][0]


def test_the_public_path_when_asked_answers_the_same_without_warning(
    qdrant_url: str, expected: dict
) -> None:
    seen = _run(qdrant_url, env={"QDRANT_INTEGRATION_FAST_CALLS": "0"})
    assert seen["calls"] == "public"
    assert seen["warnings"] == []
    _same_answers(seen, expected)


def test_a_private_module_that_is_gone_means_the_public_path_and_one_warning(
    qdrant_url: str, expected: dict
) -> None:
    # wasmtime-py's own modules keep theirs: only a new import of it fails.
    setup = """
    import wasmtime.component
    sys.modules["wasmtime.component._enter"] = None
    """
    seen = _run(qdrant_url, setup=setup)
    _one_fallback_warning(seen, "wasmtime.component._enter")
    _same_answers(seen, expected)


def test_a_private_name_that_is_gone_means_the_public_path_and_one_warning(
    qdrant_url: str, expected: dict
) -> None:
    # A copy of wasmtime._ffi without one name, seen by modules imported from now on.
    setup = """
    import types, wasmtime, wasmtime.component
    changed = types.ModuleType("wasmtime._ffi")
    changed.__dict__.update(vars(wasmtime._ffi))
    del changed.wasmtime_component_vallist_new_uninit
    wasmtime._ffi = changed
    """
    seen = _run(qdrant_url, setup=setup)
    _one_fallback_warning(seen, "wasmtime_component_vallist_new_uninit")
    _same_answers(seen, expected)


def test_a_changed_method_signature_means_the_public_path_and_one_warning(
    qdrant_url: str, expected: dict
) -> None:
    setup = """
    from wasmtime.component import RecordType
    original = RecordType.convert_from_c
    RecordType.convert_from_c = lambda self, c, owned=True: original(self, c)
    """
    seen = _run(qdrant_url, setup=setup)
    _one_fallback_warning(seen, "RecordType.convert_from_c takes")
    _same_answers(seen, expected)


def test_a_fast_path_that_answers_differently_is_caught_before_the_first_call(
    qdrant_url: str, expected: dict
) -> None:
    # The shapes fit, but lifting a record through the fast path loses a field: the
    # check call at load time sees a different answer and the public path takes over.
    setup = """
    from qdrant_integration import _fastcall
    original = _fastcall._record_from_c
    def lossy(self, c):
        record = original(self, c)
        for name in list(vars(record))[:1]:
            delattr(record, name)
        return record
    _fastcall._record_from_c = lossy
    """
    seen = _run(qdrant_url, setup=setup)
    _one_fallback_warning(seen, "a test call failed")
    _same_answers(seen, expected)


def test_this_process_takes_the_fast_path(client: QdrantClient) -> None:
    # The suite itself runs on the fast path unless told otherwise: the figures in
    # docs/benchmarks.md are for it.
    client.server_info()
    wanted = "public" if os.environ.get("QDRANT_INTEGRATION_FAST_CALLS") == "0" else "fast"
    assert wanted == _sandbox.runtime().calls.NAME


def test_a_fast_path_that_cannot_link_falls_back_before_the_first_call(
    qdrant_url: str, expected: dict
) -> None:
    setup = """
    from qdrant_integration import _fastcall
    def broken(*args, **kwargs):
        raise TypeError("add_func changed")
    _fastcall.host_func = broken
    """
    seen = _run(qdrant_url, setup=setup)
    _one_fallback_warning(seen, "linking failed: TypeError: add_func changed")
    _same_answers(seen, expected)
