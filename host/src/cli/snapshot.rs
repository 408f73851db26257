//! `snapshot create|list|restore|delete`.

use clap::Subcommand;
use qdrant_integration::Error;
use qdrant_integration::types::Snapshot;
use serde_json::{Value, json};

use super::output::{print_json, table};
use super::{CliResult, CollectionArg, Connection, Failure, Server};

#[derive(Subcommand, Debug)]
pub enum SnapshotCommand {
    /// Snapshot a collection on the server.
    #[command(
        after_help = "Example:\n  qdrant-integration snapshot create --collection documents --json"
    )]
    Create {
        #[command(flatten)]
        collection: CollectionArg,
        /// Print the snapshot as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List a collection's snapshots.
    #[command(after_help = "Example:\n  qdrant-integration snapshot list --collection documents")]
    List {
        #[command(flatten)]
        collection: CollectionArg,
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Restore (create or replace) a collection from a snapshot.
    #[command(after_help = "\
SNAPSHOT is one of:
  - the name of one of the collection's snapshots on this server (see `snapshot list`);
  - a URL the server can download, http(s)://...;
  - file:///path, or a path containing `/`, of a file on the server's machine.

Examples:
  qdrant-integration snapshot restore documents-2024-01-01.snapshot --collection documents
  qdrant-integration snapshot restore file:///backups/documents.snapshot -c documents")]
    Restore {
        /// Snapshot name, URL, or path.
        snapshot: String,
        #[command(flatten)]
        collection: CollectionArg,
    },
    /// Delete one of a collection's snapshots.
    Delete {
        snapshot: String,
        #[command(flatten)]
        collection: CollectionArg,
    },
}

fn snapshot_json(s: &Snapshot) -> Value {
    json!({
        "name": s.name,
        "creation_time": s.creation_time,
        "size": s.size,
        "checksum": s.checksum,
    })
}

/// A location the server understands: names and URLs as they are, paths as `file://`.
fn location(snapshot: &str) -> CliResult<String> {
    if snapshot.contains("://") || !snapshot.contains(std::path::MAIN_SEPARATOR) {
        return Ok(snapshot.to_owned());
    }
    let path = std::path::absolute(snapshot)
        .map_err(|e| Failure::usage(format!("`{snapshot}` is not a usable path: {e}")))?;
    Ok(format!("file://{}", path.display()))
}

pub async fn run(connection: &Connection, command: SnapshotCommand) -> CliResult {
    let server = connection.connect().await?;
    let client = &server.client;
    match command {
        SnapshotCommand::Create { collection, json } => {
            let name = collection.collection;
            let snapshot = client
                .create_snapshot(&name)
                .await
                .map_err(|e| server.explain(e, Some(&name)))?;
            if json {
                print_json(&snapshot_json(&snapshot));
            } else {
                out!(
                    "created snapshot {} of `{name}` ({} bytes)",
                    snapshot.name,
                    snapshot.size
                );
            }
        }
        SnapshotCommand::List { collection, json } => {
            let name = collection.collection;
            let snapshots = client
                .list_snapshots(&name)
                .await
                .map_err(|e| server.explain(e, Some(&name)))?;
            if json {
                print_json(&Value::Array(snapshots.iter().map(snapshot_json).collect()));
            } else if snapshots.is_empty() {
                eprintln!(
                    "`{name}` has no snapshots: make one with \
                     `qdrant-integration snapshot create --collection {name}`"
                );
            } else {
                let rows: Vec<Vec<String>> = snapshots
                    .iter()
                    .map(|s| {
                        vec![
                            s.name.clone(),
                            s.size.to_string(),
                            s.creation_time.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                out!("{}", table(&["NAME", "SIZE", "CREATED"], &rows).trim_end());
            }
        }
        SnapshotCommand::Restore {
            snapshot,
            collection,
        } => {
            let name = collection.collection;
            let location = location(&snapshot)?;
            client
                .restore_snapshot(&name, &location)
                .await
                .map_err(|e| restore_failure(&server, e, &name, &location))?;
            out!("restored `{name}` from {snapshot}");
        }
        SnapshotCommand::Delete {
            snapshot,
            collection,
        } => {
            let name = collection.collection;
            let deleted = client
                .delete_snapshot(&name, &snapshot)
                .await
                .map_err(|e| server.explain(e, Some(&name)))?;
            if !deleted {
                return Err(Failure::failed(format!(
                    "`{name}` has no snapshot `{snapshot}`: see \
                     `qdrant-integration snapshot list --collection {name}`"
                )));
            }
            out!("deleted snapshot {snapshot} of `{name}`");
        }
    }
    Ok(())
}

fn restore_failure(server: &Server, e: Error, collection: &str, location: &str) -> Failure {
    match e {
        Error::NotFound(m) | Error::BadRequest(m) if !location.contains("://") => {
            Failure::failed(format!(
                "cannot restore `{collection}` from snapshot `{location}`: {m}\n\
                 a snapshot name must be one of `qdrant-integration snapshot list --collection \
                 {collection}`; a file on the server's machine is restored with file:///path"
            ))
        }
        Error::NotFound(m) => Failure::failed(format!(
            "snapshot {location} not found: {m}\nthe server must be able to read it"
        )),
        other => server.explain(other, None),
    }
}
