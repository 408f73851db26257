//! Collection snapshots: a tar of the collection directory, taken under the write gate after
//! a flush. `qdrant-edge` 0.7.2 can unpack and merge snapshots but has no way to create one.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::engine::{AliasAction, Collection, Engine, EngineError, io_error};

const SUFFIX: &str = ".snapshot";

fn snapshot_not_found(name: &str) -> EngineError {
    EngineError::new(
        404,
        format!("Not found: Snapshot file `{name}` does not exist!"),
    )
}

/// Snapshot names are file names inside the collection's snapshot directory, nothing else.
fn check_snapshot_name(name: &str) -> Result<(), EngineError> {
    if name.is_empty() || name.contains(['/', '\\', '\0']) || name.starts_with('.') {
        return Err(snapshot_not_found(name));
    }
    Ok(())
}

pub fn create(engine: &Engine, collection_name: &str) -> Result<Value, EngineError> {
    let collection = engine.get(collection_name)?;
    let resolved = engine.resolve(collection_name);
    let name = snapshot_name(&resolved);
    write_snapshot(&engine.snapshots_dir(&resolved), &name, |tmp| {
        collection_tar(&collection, tmp)
    })
}

/// A new snapshot's name: `{prefix}-{random}-{date}.snapshot`.
fn snapshot_name(prefix: &str) -> String {
    let now = chrono::Utc::now();
    format!(
        "{prefix}-{}-{}{SUFFIX}",
        rand_id(),
        now.format("%Y-%m-%d-%H-%M-%S")
    )
}

/// The collection's files as a tar at `target`, taken under its write gate after a flush.
fn collection_tar(collection: &Collection, target: &Path) -> Result<(), EngineError> {
    collection.with_gate(|shard| {
        shard.flush();
        write_tar(shard.path(), target)
    })
}

/// Writes snapshot `name` in `dir` with `write` (to a temporary file first, so a listing
/// never shows half a snapshot), then its `.checksum`; describes it.
fn write_snapshot(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&Path) -> Result<(), EngineError>,
) -> Result<Value, EngineError> {
    std::fs::create_dir_all(dir).map_err(io_error)?;
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    if let Err(e) = write(&tmp) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, &path).map_err(io_error)?;
    let checksum = sha256_file(&path)?;
    std::fs::write(dir.join(format!("{name}.checksum")), &checksum).map_err(io_error)?;
    describe(&path, name)
}

/// A snapshot of the whole storage: each collection's snapshot (`{name}.snapshot`, as
/// [`create`] makes it) and `aliases.json`, in one tar. As Qdrant's, it is restored when the
/// server starts (`serve-embedded --storage-snapshot`, see [`restore_full`]).
pub fn create_full(engine: &Engine) -> Result<Value, EngineError> {
    let name = snapshot_name("full-snapshot");
    let scratch = engine.scratch_dir()?;
    let result = write_snapshot(&engine.full_snapshots_dir(), &name, |tmp| {
        let aliases = engine.aliases();
        let mut written = Vec::new();
        for collection_name in engine.names() {
            // A collection deleted meanwhile is simply not in the snapshot.
            let Ok(collection) = engine.get(&collection_name) else {
                continue;
            };
            collection_tar(
                &collection,
                &scratch.join(format!("{collection_name}{SUFFIX}")),
            )?;
            written.push(collection_name);
        }
        // Only aliases of collections the snapshot holds, so that it restores whole.
        let aliases: serde_json::Map<String, Value> = aliases
            .into_iter()
            .filter(|(_, collection)| written.contains(collection))
            .map(|(alias, collection)| (alias, Value::String(collection)))
            .collect();
        std::fs::write(
            scratch.join(ALIASES_FILE),
            Value::Object(aliases).to_string(),
        )
        .map_err(io_error)?;
        write_tar(&scratch, tmp)
    });
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

const ALIASES_FILE: &str = "aliases.json";

/// Restores the collections and aliases of a full-storage snapshot. Everything is read and
/// checked before anything changes. As Qdrant's `--storage-snapshot`, a name the engine
/// already has (collection or alias) is refused unless `force`, which replaces it.
pub fn restore_full(
    engine: &Engine,
    archive: &Path,
    force: bool,
) -> Result<Vec<String>, EngineError> {
    let scratch = engine.scratch_dir()?;
    let result = (|| {
        let contents = scratch.join("storage");
        unpack(archive, &contents)?;
        let aliases = std::fs::read_to_string(contents.join(ALIASES_FILE)).map_err(|e| {
            EngineError::bad_input(format!(
                "Not a full-storage snapshot (no {ALIASES_FILE}): {e}"
            ))
        })?;
        let aliases: std::collections::BTreeMap<String, String> = serde_json::from_str(&aliases)
            .map_err(|e| EngineError::bad_input(format!("Bad {ALIASES_FILE}: {e}")))?;
        // Each collection unpacked and checked first.
        let mut collections = Vec::new();
        for entry in std::fs::read_dir(&contents).map_err(io_error)?.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            let Some(name) = file.strip_suffix(SUFFIX) else {
                continue;
            };
            crate::engine::check_name(name)?;
            let shard = scratch.join(format!("collection-{}", collections.len()));
            unpack(&entry.path(), &shard)?;
            collections.push((name.to_owned(), shard));
        }
        collections.sort();
        let names: Vec<&str> = collections.iter().map(|(n, _)| n.as_str()).collect();
        for (alias, target) in &aliases {
            if !names.contains(&target.as_str()) {
                return Err(EngineError::bad_input(format!(
                    "Alias `{alias}` points to `{target}`, which the snapshot does not hold"
                )));
            }
        }
        let live_aliases: Vec<String> = engine.aliases().into_iter().map(|(a, _)| a).collect();
        let taken = |name: &str| {
            engine.names().iter().any(|n| n == name) || live_aliases.iter().any(|a| a == name)
        };
        if !force
            && let Some(name) = names
                .iter()
                .copied()
                .chain(aliases.keys().map(String::as_str))
                .find(|n| taken(n))
        {
            return Err(EngineError::new(
                400,
                format!(
                    "Bad request: Collection `{name}` already exists. Use --force-snapshot to overwrite it"
                ),
            ));
        }
        // Aliases that would shadow or keep a restored name go first.
        for alias_name in live_aliases
            .into_iter()
            .filter(|a| names.contains(&a.as_str()) || aliases.contains_key(a))
        {
            engine.update_aliases(vec![AliasAction::Delete { alias_name }])?;
        }
        for (name, shard) in &collections {
            engine.replace_with(name, shard)?;
        }
        for (alias_name, collection_name) in aliases {
            engine.update_aliases(vec![AliasAction::Create {
                collection_name,
                alias_name,
            }])?;
        }
        Ok(collections.into_iter().map(|(name, _)| name).collect())
    })();
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

fn unpack(archive: &Path, into: &Path) -> Result<(), EngineError> {
    std::fs::create_dir_all(into).map_err(io_error)?;
    let file = std::fs::File::open(archive).map_err(io_error)?;
    tar::Archive::new(std::io::BufReader::new(file))
        .unpack(into)
        .map_err(|e| EngineError::bad_input(format!("Cannot unpack snapshot: {e}")))
}

fn rand_id() -> u64 {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    u64::from_le_bytes(bytes[..8].try_into().unwrap_or_default()) % 10_000_000_000_000_000
}

fn write_tar(source: &Path, target: &Path) -> Result<(), EngineError> {
    let file = std::fs::File::create(target).map_err(io_error)?;
    let mut builder = tar::Builder::new(std::io::BufWriter::new(file));
    builder.follow_symlinks(false);
    builder
        .append_dir_all(".", source)
        .map_err(|e| EngineError::internal(format!("cannot write snapshot: {e}")))?;
    let mut writer = builder
        .into_inner()
        .map_err(|e| EngineError::internal(format!("cannot write snapshot: {e}")))?;
    writer.flush().map_err(io_error)?;
    writer
        .into_inner()
        .map_err(|e| EngineError::internal(e.to_string()))?
        .sync_all()
        .map_err(io_error)
}

fn sha256_file(path: &Path) -> Result<String, EngineError> {
    let mut file = std::fs::File::open(path).map_err(io_error)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(io_error)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn describe(path: &Path, name: &str) -> Result<Value, EngineError> {
    let meta = std::fs::metadata(path).map_err(io_error)?;
    let creation_time = meta.modified().ok().map(|t| {
        chrono::DateTime::<chrono::Utc>::from(t)
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string()
    });
    let checksum_path = PathBuf::from(format!("{}.checksum", path.display()));
    let checksum = std::fs::read_to_string(checksum_path).ok();
    Ok(json!({
        "name": name,
        "creation_time": creation_time,
        "size": meta.len(),
        "checksum": checksum,
    }))
}

pub fn list(engine: &Engine, collection_name: &str) -> Result<Value, EngineError> {
    engine.get(collection_name)?;
    list_dir(&engine.snapshots_dir(&engine.resolve(collection_name)))
}

/// The full-storage snapshots.
pub fn list_full(engine: &Engine) -> Result<Value, EngineError> {
    list_dir(&engine.full_snapshots_dir())
}

fn list_dir(dir: &Path) -> Result<Value, EngineError> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(SUFFIX) && !name.starts_with('.') {
                out.push(describe(&entry.path(), &name)?);
            }
        }
    }
    out.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    Ok(Value::Array(out))
}

/// The file of an existing snapshot.
pub fn path(engine: &Engine, collection_name: &str, name: &str) -> Result<PathBuf, EngineError> {
    engine.get(collection_name)?;
    file_in(
        &engine.snapshots_dir(&engine.resolve(collection_name)),
        name,
    )
}

/// The file of an existing full-storage snapshot.
pub fn full_path(engine: &Engine, name: &str) -> Result<PathBuf, EngineError> {
    file_in(&engine.full_snapshots_dir(), name)
}

fn file_in(dir: &Path, name: &str) -> Result<PathBuf, EngineError> {
    check_snapshot_name(name)?;
    let path = dir.join(name);
    if !path.is_file() {
        return Err(snapshot_not_found(name));
    }
    Ok(path)
}

pub fn delete(engine: &Engine, collection_name: &str, name: &str) -> Result<(), EngineError> {
    remove(&path(engine, collection_name, name)?)
}

pub fn delete_full(engine: &Engine, name: &str) -> Result<(), EngineError> {
    remove(&full_path(engine, name)?)
}

fn remove(path: &Path) -> Result<(), EngineError> {
    std::fs::remove_file(path).map_err(io_error)?;
    let _ = std::fs::remove_file(format!("{}.checksum", path.display()));
    Ok(())
}

/// Recovers collection `name` (created or replaced) from a snapshot at `location`:
/// `file:///abs/path`, or an `http://` URL (one served by this engine is read directly).
pub fn recover(
    engine: &Engine,
    name: &str,
    location: &str,
    checksum: Option<&str>,
) -> Result<(), EngineError> {
    crate::engine::check_name(name)?;
    let scratch = engine.scratch_dir()?;
    let result = (|| {
        let archive = fetch(engine, location, &scratch)?;
        if let Some(expected) = checksum {
            let actual = sha256_file(&archive)?;
            if !actual.eq_ignore_ascii_case(expected) {
                return Err(EngineError::bad_input(format!(
                    "Snapshot checksum mismatch: expected {expected}, got {actual}"
                )));
            }
        }
        let unpacked = scratch.join("shard");
        unpack(&archive, &unpacked)?;
        engine.replace_with(name, &unpacked)
    })();
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

/// The local path of a `file://` URI, checked before anything on disk is touched: the host
/// must be empty or `localhost`, the path absolute, without `.`/`..` segments, query or
/// fragment; `%XX` escapes are decoded.
fn file_path(location: &str, rest: &str) -> Result<PathBuf, EngineError> {
    let invalid = |why: &str| {
        EngineError::new(
            400,
            format!("Bad request: Invalid snapshot URI `{location}`: {why}"),
        )
    };
    let path = match rest.find('/') {
        Some(0) => rest,
        Some(i) if rest[..i].eq_ignore_ascii_case("localhost") => &rest[i..],
        _ => {
            return Err(invalid(
                "a file:// URI names a file on this machine: file:///absolute/path",
            ));
        }
    };
    if path.contains(['?', '#']) {
        return Err(invalid("a file path has no query or fragment"));
    }
    let decoded = percent_decode(path);
    if decoded.contains('\0') {
        return Err(invalid("the path contains a NUL byte"));
    }
    if decoded
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return Err(invalid("the path may not contain `.` or `..` segments"));
    }
    Ok(PathBuf::from(decoded))
}

/// Puts the snapshot file at `location` somewhere readable, returning its path.
fn fetch(engine: &Engine, location: &str, scratch: &Path) -> Result<PathBuf, EngineError> {
    if let Some(rest) = location.strip_prefix("file://") {
        let path = file_path(location, rest)?;
        if !path.is_file() {
            return Err(EngineError::new(
                404,
                format!(
                    "Not found: Snapshot file `{}` does not exist!",
                    path.display()
                ),
            ));
        }
        return Ok(path);
    }
    let Some(rest) = location.strip_prefix("http://") else {
        if location.starts_with("https://") {
            return Err(EngineError::bad_input(
                "the embedded engine downloads snapshots over plain http only",
            ));
        }
        return Err(EngineError::bad_input(format!(
            "Invalid snapshot location `{location}`: expected a file:// or http:// URL"
        )));
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let path_only = path.split(['?', '#']).next().unwrap_or(path);
    // `/collections/{c}/snapshots/{file}` served by this engine: read the file directly.
    let parts: Vec<&str> = path_only.trim_start_matches('/').split('/').collect();
    if let ["collections", collection, "snapshots", file] = parts.as_slice() {
        let collection = percent_decode(collection);
        let file = percent_decode(file);
        if check_snapshot_name(&file).is_ok() {
            let local = engine
                .snapshots_dir(&engine.resolve(&collection))
                .join(&file);
            if local.is_file() {
                return Ok(local);
            }
        }
    }
    let target = scratch.join("download.snapshot");
    http_get(authority, path, &target)?;
    Ok(target)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A plain HTTP/1.0 GET (no keep-alive, no chunking) saved to `target`.
fn http_get(authority: &str, path: &str, target: &Path) -> Result<(), EngineError> {
    let download_error = |e: &dyn std::fmt::Display| {
        EngineError::bad_input(format!("Cannot download snapshot: {e}"))
    };
    let host_port = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let mut stream = std::net::TcpStream::connect(&host_port).map_err(|e| download_error(&e))?;
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(300)))
        .map_err(|e| download_error(&e))?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| download_error(&e))?;
    let mut reader = std::io::BufReader::new(stream);
    let mut head = Vec::new();
    // Read the header block byte-wise up to the blank line.
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = reader.read(&mut byte).map_err(|e| download_error(&e))?;
        if n == 0 {
            return Err(download_error(&"connection closed"));
        }
        head.push(byte[0]);
        if head.len() > 64 * 1024 {
            return Err(download_error(&"response header too large"));
        }
    }
    let head = String::from_utf8_lossy(&head);
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if status != 200 {
        return Err(download_error(&format!("HTTP status {status}")));
    }
    let mut file = std::fs::File::create(target).map_err(io_error)?;
    std::io::copy(&mut reader, &mut file).map_err(|e| download_error(&e))?;
    Ok(())
}
