//! The compiled component, cached on disk so a second process start does not recompile.
//!
//! The file name carries a hash of the component bytes and of wasmtime's compatibility hash
//! (version, target, compiler settings), so a new build or another engine configuration
//! never loads a stale artifact. The directory is `$QDRANT_INTEGRATION_CACHE_DIR`, else
//! `$XDG_CACHE_HOME/qdrant-integration`, else `~/.cache/qdrant-integration`; set
//! `QDRANT_INTEGRATION_CACHE_DIR=off` to disable. Loading a compiled artifact runs its
//! machine code, so the directory is created private to the user.
//!
//! Each new build leaves its own artifact, so a compile also removes artifacts no process
//! has loaded for [`UNUSED_FOR`] (loading one refreshes its modification time, at most once
//! a day). An artifact removed while still in use only costs its user one compile.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::fnv::Fnv64;

use wasmtime::Engine;
use wasmtime::component::Component;

/// The compiled component and whether it was loaded from the cache. `wasm_hash` is the
/// hash of `wasm` ([`crate::fnv::hex_of`]), taken at build time for the embedded builds.
pub fn load_or_compile(
    engine: &Engine,
    wasm: &[u8],
    wasm_hash: &str,
) -> wasmtime::Result<(Component, bool)> {
    let Some(path) = cache_dir().map(|dir| dir.join(artifact_name(engine, wasm_hash))) else {
        return Ok((Component::from_binary(engine, wasm)?, false));
    };
    if let Ok(meta) = std::fs::metadata(&path) {
        // SAFETY: the file is one this function wrote (see `store`), named after the exact
        // component bytes and engine configuration, in a user-private directory.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(component) => {
                mark_used(&path, &meta);
                return Ok((component, true));
            }
            Err(e) => tracing::warn!(path = %path.display(), "ignoring a bad cached artifact: {e}"),
        }
    }
    let component = Component::from_binary(engine, wasm)?;
    if let Err(e) = store(&component, &path) {
        tracing::warn!(path = %path.display(), "cannot cache the compiled component: {e}");
    }
    prune(&path, SystemTime::now());
    Ok((component, false))
}

/// Artifacts (and unfinished writes) untouched for this long are removed by the next compile.
const UNUSED_FOR: Duration = Duration::from_secs(30 * 24 * 3600);
const ARTIFACT_PREFIX: &str = "qdrant-component-";
const ARTIFACT_SUFFIX: &str = ".cwasm";
/// An unfinished write is `.<pid>` plus this.
const TEMPORARY_SUFFIX: &str = ".tmp";

/// Refreshes the modification time of a loaded artifact, so [`prune`] keeps artifacts in
/// use. Once a day at most: most starts only read the metadata they already have.
fn mark_used(path: &Path, meta: &std::fs::Metadata) {
    let now = SystemTime::now();
    let stale = meta.modified().map_or(true, |m| {
        now.duration_since(m).unwrap_or_default() > Duration::from_secs(24 * 3600)
    });
    if stale {
        let touched = std::fs::File::options()
            .write(true)
            .open(path)
            .and_then(|f| f.set_modified(now));
        if let Err(e) = touched {
            tracing::debug!(path = %path.display(), "cannot refresh the artifact's time: {e}");
        }
    }
}

/// Removes other builds' artifacts and abandoned temporary files in `kept`'s directory
/// that were last modified [`UNUSED_FOR`] before `now`. Best effort: errors are skipped.
fn prune(kept: &Path, now: SystemTime) {
    let Some(entries) = kept.parent().and_then(|dir| std::fs::read_dir(dir).ok()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let ours = (name.starts_with(ARTIFACT_PREFIX) && name.ends_with(ARTIFACT_SUFFIX))
            || (name.starts_with('.') && name.ends_with(TEMPORARY_SUFFIX));
        if !ours || entry.path() == kept {
            continue;
        }
        let unused = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|m| now.duration_since(m).is_ok_and(|age| age > UNUSED_FOR));
        if unused && std::fs::remove_file(entry.path()).is_ok() {
            tracing::debug!(path = %entry.path().display(), "removed an unused cached artifact");
        }
    }
}

/// `Some(dir)` unless caching is off or no home is known.
pub fn cache_dir() -> Option<PathBuf> {
    match std::env::var_os("QDRANT_INTEGRATION_CACHE_DIR") {
        Some(dir) if dir == "off" || dir.is_empty() => None,
        Some(dir) => Some(PathBuf::from(dir)),
        None => std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .map(|base| base.join("qdrant-integration")),
    }
}

fn artifact_name(engine: &Engine, wasm_hash: &str) -> String {
    let mut engine_hash = Fnv64::default();
    engine
        .precompile_compatibility_hash()
        .hash(&mut engine_hash);
    format!(
        "{ARTIFACT_PREFIX}{wasm_hash}-{:016x}{ARTIFACT_SUFFIX}",
        engine_hash.finish()
    )
}

/// Writes atomically: a concurrent process sees the whole file or none.
fn store(component: &Component, path: &Path) -> std::io::Result<()> {
    let dir = path.parent().expect("artifact paths have a directory");
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    let bytes = component.serialize().map_err(std::io::Error::other)?;
    let temporary = dir.join(format!(".{}{TEMPORARY_SUFFIX}", std::process::id()));
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_modified(dir: &Path, name: &str, modified: SystemTime) -> PathBuf {
        let path = dir.join(name);
        let file = std::fs::File::create(&path).unwrap();
        file.set_modified(modified).unwrap();
        path
    }

    #[test]
    fn a_compile_removes_only_long_unused_artifacts_and_abandoned_writes() {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let long_ago = now - UNUSED_FOR - Duration::from_secs(60);
        let recently = now - UNUSED_FOR + Duration::from_secs(3600);
        let kept = file_modified(dir.path(), "qdrant-component-aa-01.cwasm", long_ago);
        let old_build = file_modified(dir.path(), "qdrant-component-bb-01.cwasm", long_ago);
        let old_write = file_modified(dir.path(), ".1234.tmp", long_ago);
        let recent_build = file_modified(dir.path(), "qdrant-component-cc-01.cwasm", recently);
        let not_ours = file_modified(dir.path(), "notes.txt", long_ago);

        prune(&kept, now);

        assert!(kept.exists(), "the artifact just written stays");
        assert!(!old_build.exists());
        assert!(!old_write.exists());
        assert!(recent_build.exists(), "used within the period");
        assert!(not_ours.exists(), "only this cache's own files are removed");
    }

    #[test]
    fn loading_refreshes_a_stale_modification_time_only() {
        let dir = tempfile::tempdir().unwrap();
        let two_days_ago = SystemTime::now() - Duration::from_secs(2 * 24 * 3600);
        let stale = file_modified(dir.path(), "stale.cwasm", two_days_ago);
        mark_used(&stale, &std::fs::metadata(&stale).unwrap());
        let refreshed = std::fs::metadata(&stale).unwrap().modified().unwrap();
        assert!(refreshed > two_days_ago + Duration::from_secs(24 * 3600));

        let hour_ago = SystemTime::now() - Duration::from_secs(3600);
        let fresh = file_modified(dir.path(), "fresh.cwasm", hour_ago);
        mark_used(&fresh, &std::fs::metadata(&fresh).unwrap());
        assert_eq!(
            std::fs::metadata(&fresh).unwrap().modified().unwrap(),
            hour_ago
        );
    }
}
