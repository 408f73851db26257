"""The api-key of the secrecy tests (``test_secrets.py``, ``test_egress.py``) and what they
share: where a key must not show, an IPv6 check, a transport request."""

from __future__ import annotations

import socket
import uuid

from qdrant_integration import _sandbox

KEY = f"sk-secret-{uuid.uuid4().hex}"
WRONG_KEY = f"sk-wrong-{uuid.uuid4().hex}"
SECRETS = (KEY, WRONG_KEY)


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"the api-key appears in {where}"


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


def transport_request(url: str, key: str | None = KEY) -> object:
    """A GET of ``url`` as the component hands it to the transport (with ``api-key: key``,
    unless ``key`` is None)."""
    headers = [("accept", "application/json")]
    if key is not None:
        headers.append(("api-key", key))
    return _sandbox.record(
        method="GET",
        url=url,
        headers=headers,
        body="",
        connect_timeout_ms=2000,
        read_timeout_ms=2000,
    )
