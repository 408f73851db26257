//! Collection snapshots: create, list, delete, restore.

use super::QdrantClient;
use crate::error::Result;
use crate::types;

impl QdrantClient {
    pub async fn create_snapshot(&self, collection: &str) -> Result<types::Snapshot> {
        call!(
            self,
            collection = collection,
            call_create_snapshot(collection)
        )
    }

    pub async fn list_snapshots(&self, collection: &str) -> Result<Vec<types::Snapshot>> {
        call!(
            self,
            collection = collection,
            call_list_snapshots(collection)
        )
    }

    /// `false` when there was no such snapshot.
    pub async fn delete_snapshot(&self, collection: &str, name: &str) -> Result<bool> {
        call!(
            self,
            collection = collection,
            call_delete_snapshot(collection, name)
        )
    }

    /// Restores `collection` from a snapshot: a `file://` or `http(s)://` location the
    /// server can read, or the name of one of this collection's snapshots on this server
    /// (a [`types::Snapshot`] works too). The server fetches it; over http it sends no
    /// api-key, so a key-protected server restores by name only through `file://`.
    pub async fn restore_snapshot(
        &self,
        collection: &str,
        snapshot: impl AsRef<str>,
    ) -> Result<()> {
        call!(
            self,
            collection = collection,
            call_recover_snapshot(collection, snapshot.as_ref(), None)
        )
    }
}
