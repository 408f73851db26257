"""Schemathesis against the embedded engine with Qdrant's own `openapi-v1.18.json`.

Every operation the engine serves is fuzzed with bodies and parameters generated from the spec;
each response must be no 5xx, have a status the spec declares, and match the spec's schema for
that status. Nothing in the response checks is relaxed; only the *inputs* are narrowed, so that
the fuzzer reaches the engine's real code paths rather than a 404 for a random collection name:

* `collection_name` is always the seeded collection: 4-d Cosine dense vectors, a sparse vector
  `text`, ten points with payload and a keyword index. It is recreated before a case whenever
  a previous case deleted it, and deleted before a `create_collection` case so that creation can
  succeed. (A random name would only ever reach the 404 for an unknown collection.)

Operations left out, and why:

* Everything the engine does not serve (cluster, shard snapshots, telemetry, metrics, issues,
  optimizations): they answer 404 with no body, which the spec does not describe.
* `recover_from_snapshot`: its `location` is a URL the server downloads; fuzzing it would make
  the engine connect to arbitrary hosts. It is covered in `embedded/tests/snapshots.rs`.
* `recover_from_uploaded_snapshot`: multipart upload, not served by the engine.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

SPEC = Path(
    os.environ.get(
        "QDRANT_OPENAPI_SPEC",
        Path(__file__).resolve().parent / "qdrant-spec" / "openapi-v1.18.json",
    )
)

SERVED = [
    "root",
    "healthz",
    "livez",
    "readyz",
    "get_collections",
    "get_collection",
    "create_collection",
    "update_collection",
    "delete_collection",
    "collection_exists",
    "get_collection_aliases",
    "get_collections_aliases",
    "update_aliases",
    "create_field_index",
    "delete_field_index",
    "get_point",
    "get_points",
    "upsert_points",
    "delete_points",
    "set_payload",
    "overwrite_payload",
    "delete_payload",
    "clear_payload",
    "count_points",
    "scroll_points",
    "query_points",
    "query_batch_points",
    "query_points_groups",
    "search_points",
    "search_batch_points",
    "search_point_groups",
    "recommend_points",
    "recommend_batch_points",
    "recommend_point_groups",
    "discover_points",
    "discover_batch_points",
    "facet",
    "batch_update",
    "update_vectors",
    "delete_vectors",
    "create_snapshot",
    "list_snapshots",
    "get_snapshot",
    "delete_snapshot",
    "create_shard_key",
    "list_shard_keys",
    "delete_shard_key",
    "search_matrix_pairs",
    "search_matrix_offsets",
    "create_full_snapshot",
    "list_full_snapshots",
    "get_full_snapshot",
    "delete_full_snapshot",
    "create_vector_name",
    "delete_vector_name",
]

SEEDED = "conformance"
DIM = 4

# Fuzzed examples per operation (positive and negative); with 30 the module takes about 70 s on
# 2 cores. `CONFORMANCE_MAX_EXAMPLES=300 CONFORMANCE_COVERAGE=1` makes a deeper run (~15 min).
MAX_EXAMPLES = int(os.environ.get("CONFORMANCE_MAX_EXAMPLES", "30"))


def _spec() -> dict:
    if not SPEC.is_file():
        pytest.fail(f"Qdrant OpenAPI spec not found at {SPEC}; set QDRANT_OPENAPI_SPEC")
    return json.loads(SPEC.read_text())


# Phases: the spec's own examples, then fuzzing with valid ("positive") and invalid ("negative")
# inputs. The coverage phase (boundary values of every schema) is off by default: on Qdrant's
# schemas it alone takes ~10 minutes.
CONFIG = SchemathesisConfig.from_dict(
    {
        "phases": {"coverage": {"enabled": os.environ.get("CONFORMANCE_COVERAGE") == "1"}},
        "generation": {"mode": "all"},
    }
)
schema = schemathesis.openapi.from_dict(_spec(), config=CONFIG).include(operation_id=SERVED)


CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def _seed(session: requests.Session, base: str) -> None:
    """The seeded collection exists, with ten points and a payload index."""
    if session.get(f"{base}/collections/{SEEDED}/exists", timeout=30).json()["result"]["exists"]:
        return
    created = session.put(
        f"{base}/collections/{SEEDED}",
        json={
            "vectors": {"size": DIM, "distance": "Cosine"},
            "sparse_vectors": {"text": {}},
        },
        timeout=30,
    )
    created.raise_for_status()
    points = [
        {
            "id": i,
            "vector": {
                "": [float(i), 1.0, 0.5, -float(i % 3)],
                "text": {"indices": [i], "values": [1.0]},
            },
            "payload": {"n": i, "tag": ["a", "b", "c"][i % 3], "nested": {"x": i * 0.5}},
        }
        for i in range(1, 11)
    ]
    # The unnamed dense vector is the empty name in a named map.
    session.put(
        f"{base}/collections/{SEEDED}/points?wait=true", json={"points": points}, timeout=30
    ).raise_for_status()
    session.put(
        f"{base}/collections/{SEEDED}/index?wait=true",
        json={"field_name": "tag", "field_schema": "keyword"},
        timeout=30,
    ).raise_for_status()


@pytest.fixture(scope="module")
def session() -> requests.Session:
    return requests.Session()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_engine_conforms_to_openapi(case, engine_url: str, session: requests.Session) -> None:
    _seed(session, engine_url)
    if "collection_name" in (case.path_parameters or {}):
        case.path_parameters["collection_name"] = SEEDED
    if case.operation.definition.raw.get("operationId") == "create_collection":
        session.delete(f"{engine_url}/collections/{SEEDED}", timeout=30).raise_for_status()
    response = case.call_and_validate(
        base_url=engine_url, session=session, checks=CHECKS, timeout=60
    )
    if os.environ.get("CONFORMANCE_DEBUG"):
        print("CASE", case.operation.label, response.status_code, response.text[:200], flush=True)
