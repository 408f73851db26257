"""The snapshot calls of :class:`~qdrant_integration.client.QdrantClient`: create, list,
delete and restore a collection's snapshots."""

from __future__ import annotations

from ._area import ClientArea
from ._convert import _snapshot
from .types import Snapshot


class SnapshotsArea(ClientArea):
    """A collection's snapshots on the server."""

    def create_snapshot(self, collection: str) -> Snapshot:
        return _snapshot(self._call("create-snapshot", collection))

    def list_snapshots(self, collection: str) -> list[Snapshot]:
        return [_snapshot(s) for s in self._call("list-snapshots", collection)]

    def delete_snapshot(self, collection: str, snapshot: Snapshot | str) -> bool:
        """``False`` when there was no such snapshot."""
        name = snapshot.name if isinstance(snapshot, Snapshot) else snapshot
        return bool(self._call("delete-snapshot", collection, name))

    def restore_snapshot(
        self, collection: str, snapshot: Snapshot | str, *, checksum: str | None = None
    ) -> None:
        """Restores ``collection`` from a snapshot the *server* fetches: a ``file://`` or
        ``http(s)://`` location, or the name (or :class:`Snapshot`) of one of this
        collection's snapshots on this server. Over http the server sends no api-key, so
        a key-protected server restores by name only through ``file://``."""
        if isinstance(snapshot, Snapshot):
            checksum = checksum or snapshot.checksum
            snapshot = snapshot.name
        # The component turns a bare name into that snapshot's URL on this server.
        self._call("recover-snapshot", collection, snapshot, checksum)
