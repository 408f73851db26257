"""The edge build under `wasmtime serve -S cli -S http`, driven over HTTP on loopback: the
retrieval smoke test and the documented error answers (docs/edge.md)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import urllib.error
import urllib.request

import pytest
from smoke import DIMENSION, LIMIT, check_hits, payload, smoke_data

from qdrant_integration import EmbeddedQdrant

TOKEN = "edge-test-token-7f3a"
SMOKE = "smoke_edge"
SERVED = f"{SMOKE},edge_errors,edge_missing"


def call(
    service, method: str, path: str, body=None, token: str | None = TOKEN, raw: bytes | None = None
):
    """(status, JSON answer, headers) of one request."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(service.url + path, data=data, method=method)
    request.add_header("content-type", "application/json")
    if token is not None:
        request.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers


@pytest.fixture(scope="module")
def edge(edge_factory, qdrant_url):
    env = {"QDRANT_URL": qdrant_url, "RETRIEVER_TOKEN": TOKEN, "RETRIEVER_COLLECTIONS": SERVED}
    if os.environ.get("QDRANT_API_KEY"):
        env["QDRANT_API_KEY"] = os.environ["QDRANT_API_KEY"]
    return edge_factory(**env)


@pytest.fixture(scope="module")
def errors_collection(edge):
    call(edge, "DELETE", "/v1/collections/edge_errors")
    status, answer, _ = call(edge, "PUT", "/v1/collections/edge_errors", {"size": DIMENSION})
    assert status == 200, answer
    yield "edge_errors"
    call(edge, "DELETE", "/v1/collections/edge_errors")


def test_retrieval_smoke(edge):
    status, answer, _ = call(edge, "GET", "/health")
    assert status == 200 and answer["status"] == "ok", answer
    call(edge, "DELETE", f"/v1/collections/{SMOKE}")
    status, answer, _ = call(
        edge, "PUT", f"/v1/collections/{SMOKE}", {"size": DIMENSION, "distance": "Cosine"}
    )
    assert (status, answer) == (200, {"created": True})

    vectors, query = smoke_data()
    points = [{"id": i + 1, "vector": v, "payload": payload(i)} for i, v in enumerate(vectors)]
    status, answer, _ = call(edge, "PUT", f"/v1/collections/{SMOKE}/points", {"points": points})
    assert (status, answer) == (200, {"upserted": len(points)})

    red = {"must": [{"key": "group", "match": {"value": "red"}}]}
    status, answer, _ = call(
        edge,
        "POST",
        f"/v1/collections/{SMOKE}/query",
        {"vector": query, "filter": red, "limit": LIMIT},
    )
    assert status == 200, answer
    check_hits([(p["id"], p["score"], p["payload"]) for p in answer["points"]], vectors, query)

    status, answer, _ = call(
        edge,
        "POST",
        f"/v1/collections/{SMOKE}/query/batch",
        {
            "queries": [
                {"vector": query, "filter": red, "limit": LIMIT},
                {"point_id": 1, "limit": 2},
            ]
        },
    )
    assert status == 200, answer
    check_hits(
        [(p["id"], p["score"], p["payload"]) for p in answer["results"][0]["points"]],
        vectors,
        query,
    )
    assert len(answer["results"][1]["points"]) == 2

    status, answer, _ = call(edge, "POST", f"/v1/collections/{SMOKE}/count", {"filter": red})
    assert (status, answer) == (200, {"count": sum(1 for i in range(len(vectors)) if i % 3 == 0)})
    status, answer, _ = call(edge, "GET", f"/v1/collections/{SMOKE}")
    assert status == 200 and answer["points_count"] == len(vectors), answer
    assert answer["vectors"] == [{"name": "", "size": DIMENSION, "distance": "Cosine"}]

    status, answer, _ = call(edge, "DELETE", f"/v1/collections/{SMOKE}")
    assert (status, answer) == (200, {"deleted": True})
    status, answer, _ = call(edge, "GET", f"/v1/collections/{SMOKE}")
    assert (status, answer["error"]["kind"]) == (404, "not-found")


def error_of(result, status: int, kind: str, fragment: str = "") -> None:
    got_status, answer, _ = result
    assert got_status == status, answer
    assert answer["error"]["kind"] == kind, answer
    assert fragment.lower() in answer["error"]["message"].lower(), answer


def test_wrong_dimension_is_qdrants_400(edge, errors_collection):
    result = call(
        edge, "POST", f"/v1/collections/{errors_collection}/query", {"vector": [0.5, 1.0, 2.0]}
    )
    error_of(result, 400, "bad-request", "dimension")
    points = [{"id": 1, "vector": [1.0, 2.0, 3.0]}]
    result = call(edge, "PUT", f"/v1/collections/{errors_collection}/points", {"points": points})
    error_of(result, 400, "bad-request", "dimension")


def test_malformed_json_and_bad_fields_are_invalid_input(edge, errors_collection):
    path = f"/v1/collections/{errors_collection}/query"
    error_of(
        call(edge, "POST", path, raw=b'{"vector": [1, 2'), 400, "invalid-input", "not valid JSON"
    )
    error_of(
        call(edge, "POST", path, {"vector": [1.0] * DIMENSION, "limt": 3}),
        400,
        "invalid-input",
        "`limt`",
    )
    error_of(
        call(edge, "POST", path, {"vector": [1.0] * DIMENSION, "filter": {"must": 1}}),
        400,
        "invalid-input",
    )


def test_unknown_collection_is_404(edge):
    error_of(call(edge, "GET", "/v1/collections/edge_missing"), 404, "not-found", "edge_missing")
    result = call(edge, "POST", "/v1/collections/edge_missing/query", {"vector": [1.0] * DIMENSION})
    error_of(result, 404, "not-found")


def test_collections_outside_the_allow_list_are_403(edge):
    error_of(call(edge, "GET", "/v1/collections/not_served"), 403, "forbidden", "not served")
    result = call(edge, "PUT", "/v1/collections/not_served", {"size": DIMENSION})
    error_of(result, 403, "forbidden")


def test_missing_or_wrong_bearer_token_is_401(edge):
    for token in (None, "wrong-token", TOKEN + "x"):
        status, answer, headers = call(edge, "GET", "/health", token=token)
        assert (status, answer["error"]["kind"]) == (401, "unauthorized"), (token, answer)
        assert headers["www-authenticate"] == "Bearer"
        assert TOKEN not in json.dumps(answer)


def test_unknown_route_and_method(edge):
    error_of(call(edge, "GET", "/v2/search"), 404, "not-found", "no route")
    status, answer, headers = call(edge, "GET", f"/v1/collections/{SMOKE}/query")
    assert (status, answer["error"]["kind"], headers["allow"]) == (405, "invalid-input", "POST")


def test_qdrant_down_is_502(edge_factory):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    down = edge_factory(QDRANT_URL=f"http://127.0.0.1:{closed}")
    error_of(call(down, "GET", "/health", token=None), 502, "connection")


def test_qdrant_slow_is_504(edge_factory):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted = []

    def accept_and_stay_silent():
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept_and_stay_silent, daemon=True).start()
    try:
        port = listener.getsockname()[1]
        slow = edge_factory(QDRANT_URL=f"http://127.0.0.1:{port}", QDRANT_TIMEOUT_MS="300")
        error_of(call(slow, "GET", "/health", token=None), 504, "timeout")
    finally:
        listener.close()
        for connection in accepted:
            connection.close()


def test_unconfigured_service_says_what_is_missing(edge_factory):
    unconfigured = edge_factory()
    error_of(call(unconfigured, "GET", "/health", token=None), 500, "invalid-input", "QDRANT_URL")


def serve_in_background(answer) -> socket.socket:
    """A loopback server that answers each connection's request head with ``answer(head)``."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)

    def loop():
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    head += chunk
                connection.sendall(answer(head.decode("latin-1")))

    threading.Thread(target=loop, daemon=True).start()
    return listener


def test_api_key_reaches_no_answer_and_no_log(edge_factory):
    """A server that echoes the api-key it was sent (as a misbehaving proxy might) in a 401:
    the caller sees the refusal with the key removed, and the log never holds it."""
    secret = "edge-api-key-5c1d9e"

    def echo_key(head: str) -> bytes:
        key = next(line for line in head.split("\r\n") if line.lower().startswith("api-key:"))
        body = f"rejected {key}".encode()
        return b"HTTP/1.1 401 Unauthorized\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)

    listener = serve_in_background(echo_key)
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        service = edge_factory(QDRANT_URL=url, QDRANT_API_KEY=secret)
        status, answer, _ = call(service, "GET", "/v1/collections/docs", token=None)
        assert (status, answer["error"]["kind"]) == (502, "unauthorized"), answer
        assert "rejected api-key: [redacted]" in answer["error"]["message"], answer
        assert secret not in json.dumps(answer)
        log = service.log.read_text()
        assert "qdrant-retriever: GET /v1/collections/docs 502" in log, log
        assert secret not in log
    finally:
        listener.close()


def test_the_engine_accepts_the_services_api_key(edge_factory):
    secret = "edge-api-key-81f0aa"
    with EmbeddedQdrant(api_key=secret) as url:
        good = edge_factory(QDRANT_URL=url, QDRANT_API_KEY=secret)
        status, answer, _ = call(good, "GET", "/v1/collections/edge_missing", token=None)
        assert (status, answer["error"]["kind"]) == (404, "not-found"), answer
        # Qdrant serves `/` without a key; a collection needs it.
        wrong = edge_factory(QDRANT_URL=url, QDRANT_API_KEY="not-" + secret)
        result = call(wrong, "GET", "/v1/collections/edge_missing", token=None)
        error_of(result, 502, "unauthorized")


def exchange(edge, head: bytes, chunks=()) -> tuple[bytes, dict]:
    """Sends a raw request (head, then body chunks until the server answers) and returns the
    status line and JSON answer."""
    port = int(edge.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(head)
        with contextlib.suppress(OSError):  # the server may answer and close mid-body
            for chunk in chunks:
                connection.sendall(chunk)
        answer = b""
        while not answer.rstrip().endswith(b"}"):
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    if b"chunked" in head.lower():
        body = body.split(b"\r\n", 1)[1]
    return head.split(b"\r\n", 1)[0], json.loads(body[: body.rindex(b"}") + 1])


def test_a_body_over_32_mib_is_refused(edge):
    request = b"POST /v1/collections/edge_errors/query HTTP/1.1\r\nhost: x\r\n"
    bearer = b"authorization: Bearer " + TOKEN.encode() + b"\r\n"
    # By its content-length, before a byte is read (none is sent).
    status, answer = exchange(edge, request + bearer + b"content-length: 40000000\r\n\r\n")
    assert (status, answer["error"]["kind"]) == (b"HTTP/1.1 413 Payload Too Large", "invalid-input")
    # Without a token, the same request is refused for that first.
    status, answer = exchange(edge, request + b"content-length: 40000000\r\n\r\n")
    assert (status, answer["error"]["kind"]) == (b"HTTP/1.1 401 Unauthorized", "unauthorized")
    # Chunked, with no length declared: once 32 MiB have arrived.
    mib = b" " * (1 << 20)
    chunks = [b"100000\r\n" + mib + b"\r\n"] * 40
    status, answer = exchange(
        edge, request + bearer + b"transfer-encoding: chunked\r\n\r\n", chunks
    )
    assert (status, answer["error"]["kind"]) == (b"HTTP/1.1 413 Payload Too Large", "invalid-input")
