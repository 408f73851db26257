"""What the Python sandbox guarantees: no ambient capabilities, egress to one origin."""

from __future__ import annotations

from wasmtime import Engine
from wasmtime.component import Component, Variant

from qdrant_integration import QdrantClient, _egress, _sandbox


def test_component_imports_no_network_or_filesystem() -> None:
    engine = Engine()
    component = Component.from_file(engine, str(_sandbox.component_path()))
    imports = set(component.type.imports(engine))
    assert _sandbox.TRANSPORT in imports
    assert not {
        i for i in imports if i.startswith(("wasi:http", "wasi:sockets", "wasi:filesystem"))
    }


def _request(url: str) -> object:
    return _sandbox.record(
        method="GET",
        url=url,
        headers=[("accept", "application/json")],
        body="",
        connect_timeout_ms=2000,
        read_timeout_ms=2000,
    )


def test_transport_allows_only_the_configured_origin(qdrant_url: str) -> None:
    origin = _egress.Origin.of_url(qdrant_url)
    assert origin is not None
    with _egress.allow(origin):
        answer = _egress.send(None, _request(f"{qdrant_url}/"))
        assert not isinstance(answer, Variant) and answer.status == 200
        # Same host, other port or scheme: other origins.
        for other in (
            f"http://{origin.host}:{origin.port + 1}/",
            f"https://{origin.host}:{origin.port}/",
            "http://example.com/",
        ):
            denied = _egress.send(None, _request(other))
            assert isinstance(denied, Variant) and denied.tag == "denied", other
    # Outside a client's call nothing is allowed.
    outside = _egress.send(None, _request(f"{qdrant_url}/"))
    assert isinstance(outside, Variant) and outside.tag == "denied"


def test_connections_are_kept_alive(client: QdrantClient) -> None:
    origin = _egress.Origin.of_url(client.url)
    client.collection_exists("a")
    first = _egress._pool.connections[origin][0]
    client.collection_exists("b")
    assert _egress._pool.connections[origin][0] is first
