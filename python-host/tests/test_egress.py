"""The api-key goes to the configured origin only: neither a server that fetches a snapshot
from elsewhere nor a redirect gets it, and the transport refuses every other origin,
however it is spelled."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from secret_key import KEY, ipv6_loopback, transport_request
from wasmtime.component import Variant

from qdrant_integration import QdrantClient, _egress, errors

# ---- the key goes to the configured origin only ------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_a_snapshot_from_another_origin_is_fetched_without_the_key(
    host: str, guarded_url: str, scripted_server: Any
) -> None:
    if host == "::1" and not ipv6_loopback():
        pytest.skip("no IPv6 loopback")
    listener = scripted_server("::1" if host == "::1" else "127.0.0.1")
    listener.script(listener.reply(404, "no such snapshot", "text/plain"))
    client = QdrantClient(guarded_url, KEY)
    name = f"secret_{uuid.uuid4().hex[:8]}"
    client.create_collection(name, 4)
    try:
        location = f"http://{'[::1]' if host == '::1' else host}:{listener.port}/s/x.snapshot"
        # The engine took the key (a 400, not a 401) and fetched the snapshot itself.
        with pytest.raises(errors.BadRequest, match="snapshot"):
            client.restore_snapshot(name, location)
        (request,) = listener.requests
        assert request.startswith(b"GET /s/x.snapshot ")
        assert b"api-key" not in request.lower()
        assert KEY.encode() not in request
        assert client.count(name) == 0  # the collection is untouched, the client goes on
    finally:
        client.delete_collection(name)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed(status: int, scripted_server: Any) -> None:
    server = scripted_server()
    elsewhere = scripted_server()
    client = QdrantClient(server.url, KEY, retry=1)
    for target in (
        f"{elsewhere.url}/collections/c/exists",
        f"http://localhost:{server.port}/collections/c/exists",  # the same server, respelled
    ):
        server.script(server.reply(status, headers=(("location", target),)))
        elsewhere.script()
        with pytest.raises(errors.ServerError, match=str(status)):
            client.collection_exists("c")
        (request,) = server.requests
        assert f"api-key: {KEY}".encode() in request  # the configured origin gets the key
        assert elsewhere.connections == 0
    assert client.collection_exists("c") is True


# ---- the transport refuses every other origin, however it is spelled ---------------------


@pytest.fixture(scope="module")
def listeners(scripted_server: Any) -> dict[str, Any]:
    found = {"v4": scripted_server("127.0.0.1"), "other": scripted_server("127.0.0.1")}
    if ipv6_loopback():
        found["v6"] = scripted_server("::1")
    return found


# (configured origin, URL asked for, allowed). {v4}, {v6}: the ports of listeners on
# 127.0.0.1 and [::1]; {other}: another port on 127.0.0.1.
SPELLINGS = [
    ("http://127.0.0.1:{v4}", "http://127.0.0.1:{v4}/", True),
    ("http://127.0.0.1:{v4}", "HTTP://127.0.0.1:{v4}/collections", True),
    ("http://127.0.0.1:{v4}", "http://localhost:{v4}/", False),
    ("http://127.0.0.1:{v4}", "http://[::1]:{v4}/", False),
    ("http://127.0.0.1:{v4}", "http://127.0.0.1:{other}/", False),
    ("http://127.0.0.1:{v4}", "https://127.0.0.1:{v4}/", False),
    ("http://127.0.0.1:{v4}", "http://127.1:{v4}/", False),
    ("http://127.0.0.1:{v4}", "http://2130706433:{v4}/", False),
    ("http://127.0.0.1:{v4}", "http://0x7f000001:{v4}/", False),
    ("http://127.0.0.1:{v4}", "http://127.0.0.1.:{v4}/", False),
    ("http://127.0.0.1:{v4}", "http://[::ffff:127.0.0.1]:{v4}/", False),
    ("http://127.0.0.1:{v4}", "http://127.0.0.1:{v4}@localhost:{v4}/", False),
    ("http://127.0.0.1:{v4}", "http://localhost:{v4}#@127.0.0.1:{v4}/", False),
    ("http://127.0.0.1:{v4}", "http://127.0.0.1/", False),
    ("http://localhost:{v4}", "http://LOCALHOST:{v4}/", True),
    ("http://localhost:{v4}", "http://127.0.0.1:{v4}/", False),
    ("http://localhost:{v4}", "http://[::1]:{v4}/", False),
    ("http://localhost:{v4}", "http://localhost:{other}/", False),
    ("http://[::1]:{v6}", "http://[::1]:{v6}/", True),
    ("http://[::1]:{v6}", "http://localhost:{v6}/", False),
    ("http://[::1]:{v6}", "http://127.0.0.1:{v6}/", False),
    ("http://[::1]:{v6}", "http://[0:0:0:0:0:0:0:1]:{v6}/", False),
]


@pytest.mark.parametrize(
    ("configured", "asked", "allowed"),
    [pytest.param(*s, id=f"{s[0]}->{s[1]}".replace("http://", "")) for s in SPELLINGS],
)
def test_egress_reaches_the_configured_origin_only(
    configured: str, asked: str, allowed: bool, listeners: dict[str, Any]
) -> None:
    if "{v6}" in configured + asked and "v6" not in listeners:
        pytest.skip("no IPv6 loopback")
    ports = {name: server.port for name, server in listeners.items()}
    configured, asked = configured.format(**ports), asked.format(**ports)
    for server in listeners.values():
        server.script()
    origin = _egress.Origin.of_url(configured)
    assert origin is not None
    with _egress.allow(origin):
        answer = _egress.send(None, transport_request(asked))
    reached = [server for server in listeners.values() if server.connections]
    if allowed:
        assert not isinstance(answer, Variant), answer
        assert answer.status == 200  # type: ignore[attr-defined]
        (server,) = reached
        (request,) = server.requests
        assert f"api-key: {KEY}".encode() in request
    else:
        assert isinstance(answer, Variant) and answer.tag == "denied", answer
        time.sleep(0.05)  # a connection would have been accepted by now
        assert not [server for server in listeners.values() if server.connections]
