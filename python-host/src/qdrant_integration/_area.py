"""What each area of :class:`~qdrant_integration.client.QdrantClient` relies on.

The client's calls are split by area, as the component and the Rust host are: service,
collections, points, query, snapshots (one module each, one ``*Area`` class each). The
client composes them; :class:`ClientArea` declares what it gives them.
"""

from __future__ import annotations

from typing import Any

from ._sandbox import Instance


class ClientArea:
    """The base of each area: the sandbox and the two ways into the component, provided
    by :class:`~qdrant_integration.client.QdrantClient`."""

    _instance: Instance

    def _call(self, name: str, *args: Any, deadline: float | None = None) -> Any:
        """Calls the component's export ``name`` with this client's config and ``args``."""
        raise NotImplementedError

    def _named(self, kind: str, name: str) -> Any:
        """A user's spelling of a ``kind`` (distance, quantization), read by the component."""
        raise NotImplementedError
