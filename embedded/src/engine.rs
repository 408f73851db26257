//! Collections as `qdrant-edge` shards, one directory each under `<data>/collections/`,
//! plus aliases (`<data>/aliases.json`), snapshots (`<data>/snapshots/<collection>/`) and a
//! background optimizer. Here: the engine, which owns the data directory and the map of
//! collections; one collection, aliases, names and errors are in the modules below.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use qdrant_edge::{EdgeConfig, EdgeShard};

mod aliases;
mod collection;
mod error;
mod names;

pub use aliases::AliasAction;
pub use collection::{Collection, Meta, default_optimizer_config};
pub use error::{EngineError, io_error};
pub use names::{check_name, check_vector_name};

use aliases::load_aliases;
use collection::{load_meta, save_meta};

pub struct Engine {
    root: PathBuf,
    collections: RwLock<HashMap<String, Arc<Collection>>>,
    aliases: RwLock<BTreeMap<String, String>>,
    /// Serialises snapshot creation/recovery against collection creation and deletion.
    admin: Mutex<()>,
    /// Set on shutdown: the background optimizer stops touching the shards.
    closed: Arc<AtomicBool>,
    /// Held while the engine lives: a second engine on the same directory is refused.
    _lock: std::fs::File,
    /// Keeps a temporary data directory alive; removed when the engine drops.
    _temp: Option<tempfile::TempDir>,
}

/// The lock file that keeps two engines, in this process or another, off one data directory:
/// both would write the same segments and corrupt them.
const LOCK_FILE: &str = ".lock";

fn lock_data_dir(root: &Path) -> anyhow::Result<std::fs::File> {
    let path = root.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(anyhow::anyhow!(
            "data directory `{}` is in use by another embedded engine (it holds `{}`); \
             stop that one or use another directory",
            root.display(),
            path.display()
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(anyhow::anyhow!(
            "cannot lock data directory `{}`: {e}",
            root.display()
        )),
    }
}

impl Engine {
    /// Opens `data_dir` (loading its collections) or a fresh temporary directory.
    pub fn open(data_dir: Option<PathBuf>) -> anyhow::Result<Self> {
        let (root, temp) = match data_dir {
            Some(dir) => (dir, None),
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("qdrant-embedded-")
                    .tempdir()?;
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        let collections_dir = root.join("collections");
        std::fs::create_dir_all(&collections_dir)?;
        let lock = lock_data_dir(&root)?;
        let mut collections = HashMap::new();
        for entry in std::fs::read_dir(&collections_dir)? {
            let entry = entry?;
            if !entry.file_type()?.is_dir() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                // Leftover of an interrupted recovery.
                let _ = std::fs::remove_dir_all(entry.path());
                continue;
            }
            let shard = EdgeShard::load(&entry.path(), None)
                .map_err(|e| anyhow::anyhow!("cannot load collection `{name}`: {e}"))?;
            let meta = load_meta(&entry.path());
            collections.insert(name, Arc::new(Collection::open(shard, entry.path(), meta)));
        }
        let aliases = load_aliases(&root);
        Ok(Self {
            root,
            collections: RwLock::new(collections),
            aliases: RwLock::new(aliases),
            admin: Mutex::new(()),
            closed: Arc::new(AtomicBool::new(false)),
            _lock: lock,
            _temp: temp,
        })
    }

    /// Starts the background optimizer: it runs `optimize()` on collections whose writes have
    /// settled, under their write gate. It stops when the engine is dropped.
    pub fn start_optimizer(self: &Arc<Self>) {
        let weak: Weak<Engine> = Arc::downgrade(self);
        let closed = self.closed.clone();
        let settle = Duration::from_millis(800);
        let _ = std::thread::Builder::new()
            .name("qdrant-embedded-optimizer".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_millis(200));
                    if closed.load(Ordering::SeqCst) {
                        return;
                    }
                    let Some(engine) = weak.upgrade() else {
                        return;
                    };
                    let collections: Vec<Arc<Collection>> = engine
                        .collections
                        .read()
                        .unwrap_or_else(|p| p.into_inner())
                        .values()
                        .cloned()
                        .collect();
                    drop(engine);
                    for collection in collections {
                        collection.maybe_optimize(settle, &closed);
                    }
                }
            });
    }

    fn dir(&self, name: &str) -> PathBuf {
        self.root.join("collections").join(name)
    }

    pub fn snapshots_dir(&self, name: &str) -> PathBuf {
        self.root.join("snapshots").join(name)
    }

    /// Full-storage snapshots live apart from the collections' snapshot directories.
    pub fn full_snapshots_dir(&self) -> PathBuf {
        self.root.join("full-snapshots")
    }

    /// The collection an alias points to, or `name` itself.
    pub fn resolve(&self, name: &str) -> String {
        self.aliases
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
            .unwrap_or_else(|| name.to_owned())
    }

    /// A collection by name or alias.
    pub fn get(&self, name: &str) -> Result<Arc<Collection>, EngineError> {
        let resolved = self.resolve(name);
        self.collections
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&resolved)
            .cloned()
            .ok_or_else(|| EngineError::not_found(name))
    }

    /// As [`Engine::get`], for a second collection while a request already holds one: it
    /// does not wait while a collection is being reopened or replaced (which waits for every
    /// handle of that collection to go), but answers 503 so the client retries.
    pub fn get_without_waiting(&self, name: &str) -> Result<Arc<Collection>, EngineError> {
        let resolved = self.resolve(name);
        let collections = match self.collections.try_read() {
            Ok(collections) => collections,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => {
                return Err(EngineError::new(
                    503,
                    "Service unavailable: a collection is being changed; retry",
                ));
            }
        };
        collections
            .get(&resolved)
            .cloned()
            .ok_or_else(|| EngineError::not_found(name))
    }

    pub fn exists(&self, name: &str) -> bool {
        self.get(name).is_ok()
    }

    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .collections
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect();
        names.sort();
        names
    }

    /// Creates a collection from a complete edge config and its REST extras.
    pub fn create(&self, name: &str, config: EdgeConfig, meta: Meta) -> Result<(), EngineError> {
        check_name(name)?;
        let _admin = lock(&self.admin);
        let mut collections = self.collections.write().unwrap_or_else(|p| p.into_inner());
        if collections.contains_key(name) {
            return Err(EngineError::new(
                409,
                format!("Wrong input: Collection `{name}` already exists!"),
            ));
        }
        if self
            .aliases
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(name)
        {
            return Err(EngineError::new(
                409,
                format!("Wrong input: Alias with the same name `{name}` already exists!"),
            ));
        }
        let dir = self.dir(name);
        // A leftover directory (e.g. a crash mid-delete) must not resurrect old points.
        remove_dir(&dir)?;
        std::fs::create_dir_all(&dir).map_err(io_error)?;
        save_meta(&dir, &meta)?;
        let shard = match EdgeShard::new(&dir, config) {
            Ok(shard) => shard,
            Err(e) => {
                let _ = remove_dir(&dir);
                return Err(e.into());
            }
        };
        collections.insert(
            name.to_owned(),
            Arc::new(Collection::open(shard, dir, meta)),
        );
        Ok(())
    }

    /// Deletes a collection (not through an alias) and its aliases; `false` if it did not exist.
    pub fn delete(&self, name: &str) -> Result<bool, EngineError> {
        let _admin = lock(&self.admin);
        let removed = self
            .collections
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
        let Some(collection) = removed else {
            return Ok(false);
        };
        close(collection);
        remove_dir(&self.dir(name))?;
        let mut aliases = self.aliases.write().unwrap_or_else(|p| p.into_inner());
        let before = aliases.len();
        aliases.retain(|_, target| target != name);
        if aliases.len() != before {
            self.save_aliases(&aliases)?;
        }
        Ok(true)
    }

    /// Closes a collection, lets `change` edit its directory (config files), then reopens it.
    /// Requests see the collection throughout: the map stays locked while it is closed.
    pub fn reopen(
        &self,
        name: &str,
        change: impl FnOnce(&Path) -> Result<(), EngineError>,
    ) -> Result<(), EngineError> {
        let resolved = self.resolve(name);
        let _admin = lock(&self.admin);
        let mut collections = self.collections.write().unwrap_or_else(|p| p.into_inner());
        let Some(collection) = collections.remove(&resolved) else {
            return Err(EngineError::not_found(name));
        };
        let dir = collection.dir.clone();
        let meta = collection.meta();
        close(collection);
        let changed = change(&dir);
        let shard = EdgeShard::load(&dir, None).map_err(EngineError::from)?;
        collections.insert(resolved, Arc::new(Collection::open(shard, dir, meta)));
        changed
    }

    /// Replaces (or creates) collection `name` with the shard directory at `source`, which is
    /// moved into place.
    pub fn replace_with(&self, name: &str, source: &Path) -> Result<(), EngineError> {
        check_name(name)?;
        let shard_probe = EdgeConfig::load(source);
        if !matches!(shard_probe, Some(Ok(_))) {
            return Err(EngineError::bad_input(
                "Snapshot is not a valid collection snapshot of this engine",
            ));
        }
        let _admin = lock(&self.admin);
        let mut collections = self.collections.write().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = collections.remove(name) {
            close(old);
        }
        let dir = self.dir(name);
        remove_dir(&dir)?;
        std::fs::rename(source, &dir).map_err(io_error)?;
        let shard = EdgeShard::load(&dir, None)?;
        let meta = load_meta(&dir);
        collections.insert(
            name.to_owned(),
            Arc::new(Collection::open(shard, dir, meta)),
        );
        Ok(())
    }

    /// A fresh scratch directory on the same filesystem as the collections.
    pub fn scratch_dir(&self) -> Result<PathBuf, EngineError> {
        let dir = self
            .root
            .join("collections")
            .join(format!(".tmp-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).map_err(io_error)?;
        Ok(dir)
    }

    /// Stops background optimisation (waiting for a running one) and flushes everything.
    pub fn close(&self) {
        self.halt_optimizer();
        self.flush_all();
    }

    /// Keeps the background optimizer from starting new work.
    pub fn halt_optimizer(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }

    pub fn flush_all(&self) {
        for collection in self
            .collections
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
        {
            collection.flush();
        }
    }
}

/// Waits for in-flight requests (and the optimizer) to drop their handles, then drops the
/// shard, which flushes: that must happen before its directory is touched.
fn close(collection: Arc<Collection>) {
    let mut collection = collection;
    loop {
        match Arc::try_unwrap(collection) {
            Ok(owned) => {
                drop(owned);
                return;
            }
            Err(shared) => {
                collection = shared;
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
}

fn remove_dir(dir: &Path) -> Result<(), EngineError> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error(e)),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
