//! Collection snapshots: create, list, delete, and recover from a location the server fetches.

use serde_json::{Value, json};

use crate::Error;
use crate::model::Snapshot;
use crate::rest::{Qdrant, Retry, check_name, collection_path, decode, percent_encode};
use crate::transport::{Method, Transport};

impl<T: Transport> Qdrant<T> {
    pub fn create_snapshot(&self, collection: &str) -> Result<Snapshot, Error> {
        let path = collection_path(collection, "/snapshots?wait=true")?;
        // Each attempt would create another snapshot: never resent.
        decode_snapshot(&self.result(Method::Post, &path, None, Retry::Never)?)
    }

    pub fn list_snapshots(&self, collection: &str) -> Result<Vec<Snapshot>, Error> {
        let path = collection_path(collection, "/snapshots")?;
        self.result(Method::Get, &path, None, Retry::Idempotent)?
            .as_array()
            .ok_or_else(|| decode("list snapshots: result is not a list"))?
            .iter()
            .map(decode_snapshot)
            .collect()
    }

    /// `false` when there was no such snapshot.
    pub fn delete_snapshot(&self, collection: &str, name: &str) -> Result<bool, Error> {
        check_name(name, "snapshot name")?;
        let suffix = format!("/snapshots/{}?wait=true", percent_encode(name));
        let path = collection_path(collection, &suffix)?;
        match self.result(Method::Delete, &path, None, Retry::Idempotent) {
            Ok(_) => Ok(true),
            Err(Error::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The server fetches `location` itself; the api-key goes only to the configured url.
    /// A bare name (no scheme) means that snapshot of `collection` on this same server.
    pub fn recover_snapshot(
        &self,
        collection: &str,
        location: &str,
        checksum: Option<&str>,
    ) -> Result<(), Error> {
        let location = if location.contains("://") {
            let scheme_ok = ["file://", "http://", "https://"]
                .iter()
                .any(|s| location.starts_with(s) && location.len() > s.len());
            if !scheme_ok {
                return Err(Error::InvalidInput(format!(
                    "snapshot location `{location}` must be a file://, http:// or https:// URL, or a snapshot name"
                )));
            }
            location.to_owned()
        } else {
            check_name(location, "snapshot name")?;
            let suffix = format!("/snapshots/{}", percent_encode(location));
            self.url_of(&collection_path(collection, &suffix)?)
        };
        let path = collection_path(collection, "/snapshots/recover?wait=true")?;
        let mut body = json!({"location": location});
        if let Some(sum) = checksum {
            body["checksum"] = json!(sum);
        }
        self.result(Method::Put, &path, Some(body), Retry::Idempotent)
            .map(|_| ())
    }
}

fn decode_snapshot(v: &Value) -> Result<Snapshot, Error> {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    Ok(Snapshot {
        name: text("name").ok_or_else(|| decode("snapshot without a name"))?,
        creation_time: text("creation_time"),
        size: v.get("size").and_then(Value::as_u64).unwrap_or(0),
        checksum: text("checksum"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{OK_TRUE, Recorder, client, ok};

    #[test]
    fn snapshot_lifecycle_requests() {
        let description = json!({"name": "c-1.snapshot", "creation_time": "2026-11-24T10:00:00",
                                 "size": 1024, "checksum": "abc"});
        let rec = Recorder::default()
            .reply(200, &ok(description.clone()))
            .reply(200, &ok(json!([description])))
            .reply(200, OK_TRUE)
            .reply(404, r#"{"status":{"error":"Snapshot not found"},"time":0}"#);
        let c = client(&rec, Some("key"));
        let created = c.create_snapshot("c").unwrap();
        assert_eq!(created.name, "c-1.snapshot");
        assert_eq!(created.size, 1024);
        assert_eq!(c.list_snapshots("c").unwrap(), [created]);
        c.recover_snapshot(
            "c",
            "http://qdrant:6333/collections/c/snapshots/c-1.snapshot",
            None,
        )
        .unwrap();
        assert!(!c.delete_snapshot("c", "gone").unwrap());
        assert_eq!(
            rec.bodies()[2],
            json!({"location": "http://qdrant:6333/collections/c/snapshots/c-1.snapshot"})
        );
        assert!(matches!(
            c.recover_snapshot("c", "ftp://elsewhere/x.snapshot", None),
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(
            c.recover_snapshot("c", "/tmp/x.snapshot", None),
            Err(Error::InvalidInput(_))
        ));
    }
}
