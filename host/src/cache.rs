//! The compiled component, cached on disk so a second process start does not recompile.
//!
//! The file name carries a hash of the component bytes and of wasmtime's compatibility hash
//! (version, target, compiler settings), so a new build or another engine configuration
//! never loads a stale artifact. The directory is `$QDRANT_INTEGRATION_CACHE_DIR`, else
//! `$XDG_CACHE_HOME/qdrant-integration`, else `~/.cache/qdrant-integration`; set
//! `QDRANT_INTEGRATION_CACHE_DIR=off` to disable. Loading a compiled artifact runs its
//! machine code, so the directory is created private to the user.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

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
    if path.exists() {
        // SAFETY: the file is one this function wrote (see `store`), named after the exact
        // component bytes and engine configuration, in a user-private directory.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(component) => return Ok((component, true)),
            Err(e) => tracing::warn!(path = %path.display(), "ignoring a bad cached artifact: {e}"),
        }
    }
    let component = Component::from_binary(engine, wasm)?;
    if let Err(e) = store(&component, &path) {
        tracing::warn!(path = %path.display(), "cannot cache the compiled component: {e}");
    }
    Ok((component, false))
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
        "qdrant-component-{wasm_hash}-{:016x}.cwasm",
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
    let temporary = dir.join(format!(".{}.tmp", std::process::id()));
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, path)
}
