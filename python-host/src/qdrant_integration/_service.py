"""The service calls of :class:`~qdrant_integration.client.QdrantClient`: server info,
health and readiness."""

from __future__ import annotations

from . import errors
from ._area import ClientArea


class ServiceArea(ClientArea):
    """``GET /`` and ``GET /readyz``."""

    def server_info(self) -> dict[str, str]:
        """``{"title": .., "version": ..}`` from ``GET /``."""
        info = self._call("health-check")
        return {"title": info["title"], "version": info["version"]}

    def health_check(self) -> bool:
        """``True`` when the server answers as Qdrant, ``False`` when it cannot be reached."""
        try:
            self.server_info()
        except (errors.ConnectionFailed, errors.Timeout):
            return False
        return True

    def ready(self) -> bool:
        """``GET /readyz``: whether the server is ready to serve requests."""
        return bool(self._call("ready"))
