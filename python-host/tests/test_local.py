"""Local mode, as in qdrant-client: ``QdrantClient(":memory:")`` and ``path=`` start an
embedded engine of the client's own and stop it when the client is closed or collected."""

from __future__ import annotations

import copy
import gc
import json
import subprocess
import sys

import numpy as np
import pytest

from qdrant_integration import QdrantClient, QdrantRM, errors

VECTORS = np.eye(4, dtype=np.float32)


def fill(client: QdrantClient, name: str = "local") -> None:
    client.create_collection(name, 4, "Cosine")
    client.upsert(name, [1, 2, 3, 4], VECTORS, [{"n": i} for i in range(4)])


def test_memory_client_serves_until_closed():
    client = QdrantClient(":memory:")
    fill(client)
    hits = client.search("local", [0.0, 1.0, 0.0, 0.0], 1)
    assert [h.id for h in hits] == ["2"]
    engine = client._local
    client.close()
    assert not engine.running
    with pytest.raises(errors.ConnectionFailed):
        client.list_collections()


def test_a_path_keeps_its_collections_across_clients(tmp_path):
    with QdrantClient(path=tmp_path / "db") as first:
        fill(first)
    with QdrantClient(path=tmp_path / "db") as second:
        assert second.count("local") == 4
        assert [h.id for h in second.search("local", [0.0, 0.0, 1.0, 0.0], 1)] == ["3"]


def test_a_path_in_use_is_refused_in_this_process_and_another(tmp_path):
    db = tmp_path / "db"
    with QdrantClient(path=db) as first:
        fill(first)
        with pytest.raises(RuntimeError, match="is in use by another embedded engine"):
            QdrantClient(path=db)
        script = f"from qdrant_integration import QdrantClient; QdrantClient(path={str(db)!r})"
        other = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
        )
        assert other.returncode != 0
        assert "is in use by another embedded engine" in other.stderr
        assert first.count("local") == 4  # untouched


def test_two_paths_side_by_side(tmp_path):
    with QdrantClient(path=tmp_path / "a") as a, QdrantClient(path=tmp_path / "b") as b:
        fill(a, "only_a")
        fill(b, "only_b")
        assert a.list_collections() == ["only_a"]
        assert b.list_collections() == ["only_b"]


def test_a_collected_client_stops_its_engine():
    client = QdrantClient(":memory:")
    process = client._local._process
    copy_of = copy.deepcopy(client)  # shares the engine
    del client
    gc.collect()
    assert process.poll() is None, "a copy still uses the engine"
    assert copy_of.list_collections() == []
    del copy_of
    gc.collect()
    assert process.wait(timeout=15) is not None


def test_url_and_path_together_are_refused(tmp_path):
    with pytest.raises(errors.InvalidInput, match="pass one of"):
        QdrantClient("http://localhost:6333", path=tmp_path)
    with pytest.raises(errors.InvalidInput, match="pass one of"):
        QdrantClient(":memory:", path=tmp_path)


def test_retriever_on_a_local_path(tmp_path):
    def vectorize(texts):
        return np.array([[float(len(t)), 1.0, 0.0, 0.0] for t in texts], dtype=np.float32)

    rm = QdrantRM(collection_name="docs", path=tmp_path / "db", vectorizer=vectorize, k=1)
    rm.index_documents(["a", "bbbb"])
    passages = rm("bbbb")
    assert [p.long_text for p in passages] == ["bbbb"]
    rm.client.close()


def _modules_after(statement: str) -> set[str]:
    code = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return {name.split(".")[0] for name in json.loads(done.stdout)}


HEAVY = {"dspy", "onnxruntime", "tokenizers", "numpy", "wasmtime", "litellm", "torch"}


def test_importing_the_package_loads_nothing_heavy() -> None:
    assert _modules_after("import qdrant_integration") & HEAVY == set()
    # Local mode's engine needs no wasmtime either.
    assert _modules_after("from qdrant_integration import EmbeddedQdrant") & HEAVY == set()


def test_the_client_loads_wasmtime_and_numpy_and_no_model_or_dspy() -> None:
    loaded = _modules_after(
        "from qdrant_integration import QdrantClient, MiniLMEmbedder, errors, FastCallsUnavailable"
    )
    assert loaded & HEAVY == {"numpy", "wasmtime"}


def test_every_public_name_resolves() -> None:
    import qdrant_integration

    for name in qdrant_integration.__all__:
        assert getattr(qdrant_integration, name) is not None, name
    with pytest.raises(AttributeError, match="no_such_name"):
        qdrant_integration.no_such_name  # noqa: B018
