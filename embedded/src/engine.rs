//! Collections as `qdrant-edge` shards, one directory each under `<data>/collections/`,
//! plus aliases (`<data>/aliases.json`), snapshots (`<data>/snapshots/<collection>/`) and a
//! background optimizer.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use qdrant_edge::{EdgeConfig, EdgeShard, OperationError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A failure with the HTTP status Qdrant would answer.
#[derive(Debug)]
pub struct EngineError {
    pub status: u16,
    pub message: String,
}

impl EngineError {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    pub fn not_found(name: &str) -> Self {
        Self::new(
            404,
            format!("Not found: Collection `{name}` doesn't exist!"),
        )
    }

    /// 400 `Wrong input: ..`, what Qdrant answers for a bad operation.
    pub fn bad_input(message: impl std::fmt::Display) -> Self {
        Self::new(400, format!("Wrong input: {message}"))
    }

    /// 422 `Validation error in JSON body: [..]`.
    pub fn validation(message: impl std::fmt::Display) -> Self {
        Self::new(422, format!("Validation error in JSON body: [{message}]"))
    }

    pub fn internal(message: impl std::fmt::Display) -> Self {
        Self::new(500, format!("Service internal error: {message}"))
    }
}

impl From<OperationError> for EngineError {
    fn from(e: OperationError) -> Self {
        use OperationError as E;
        let status = match &e {
            E::PointIdError { .. } => 404,
            E::Timeout { .. } => 408,
            E::ServiceError { .. }
            | E::InconsistentStorage { .. }
            | E::OutOfMemory { .. }
            | E::Cancelled { .. } => 500,
            _ => 400,
        };
        let message = match (&e, status) {
            (E::PointIdError { missed_point_id }, _) => {
                format!("Not found: No point with id {missed_point_id} found")
            }
            (_, 400) => format!("Wrong input: {e}"),
            _ => e.to_string(),
        };
        Self::new(status, message)
    }
}

/// What a collection was created with that `EdgeConfig` does not keep, in Qdrant's REST shape.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Meta {
    pub shard_number: u32,
    pub replication_factor: u32,
    pub write_consistency_factor: u32,
    /// Full `OptimizersConfig` as reported by info.
    pub optimizer_config: Value,
    /// Full `WalConfig` as reported by info.
    pub wal_config: Value,
    /// Per dense vector: the `hnsw_config` diff it was given.
    #[serde(default)]
    pub vector_hnsw: BTreeMap<String, Value>,
    /// Per sparse vector: the `SparseVectorParams` it was given.
    #[serde(default)]
    pub sparse_vectors: BTreeMap<String, Value>,
    #[serde(default)]
    pub metadata: Option<Value>,
    #[serde(default)]
    pub strict_mode_config: Option<Value>,
    #[serde(default)]
    pub sharding_method: Option<Value>,
}

impl Default for Meta {
    fn default() -> Self {
        Self {
            shard_number: 1,
            replication_factor: 1,
            write_consistency_factor: 1,
            optimizer_config: default_optimizer_config(),
            wal_config: json!({"wal_capacity_mb": 32, "wal_segments_ahead": 0, "wal_retain_closed": 1}),
            vector_hnsw: BTreeMap::new(),
            sparse_vectors: BTreeMap::new(),
            metadata: None,
            strict_mode_config: None,
            sharding_method: None,
        }
    }
}

pub fn default_optimizer_config() -> Value {
    json!({
        "deleted_threshold": 0.2,
        "vacuum_min_vector_number": 1000,
        "default_segment_number": 0,
        "max_segment_size": null,
        "memmap_threshold": null,
        "indexing_threshold": 10000,
        "flush_interval_sec": 5,
        "max_optimization_threads": null,
    })
}

const META_FILE: &str = "qdrant_meta.json";

pub struct Collection {
    pub shard: EdgeShard,
    /// Serialises writes, flushes and optimisation: `EdgeShard::flush` panics if it races an update.
    write_gate: Mutex<()>,
    meta: Mutex<Meta>,
    dir: PathBuf,
    /// Set by writes, cleared when the optimizer picks the collection up.
    dirty: AtomicBool,
    last_write: Mutex<Instant>,
    optimizing: AtomicBool,
    optimizer_error: Mutex<Option<String>>,
}

impl Collection {
    fn open(shard: EdgeShard, dir: PathBuf, meta: Meta) -> Self {
        Self {
            shard,
            write_gate: Mutex::new(()),
            meta: Mutex::new(meta),
            dir,
            // Check once after loading: a restart may leave unindexed segments behind.
            dirty: AtomicBool::new(true),
            last_write: Mutex::new(Instant::now()),
            optimizing: AtomicBool::new(false),
            optimizer_error: Mutex::new(None),
        }
    }

    /// Runs a write and flushes it to disk before returning, so `wait=true` means durable.
    pub fn write<R>(
        &self,
        f: impl FnOnce(&EdgeShard) -> Result<R, OperationError>,
    ) -> Result<R, EngineError> {
        let _gate = lock(&self.write_gate);
        let result = f(&self.shard);
        // Part of a failed batch may have been applied: flush either way.
        self.shard.flush();
        self.touch();
        Ok(result?)
    }

    /// Runs `f` with writes, flushes and optimisation held off (e.g. to copy the files).
    pub fn with_gate<R>(&self, f: impl FnOnce(&EdgeShard) -> R) -> R {
        let _gate = lock(&self.write_gate);
        f(&self.shard)
    }

    fn touch(&self) {
        *lock(&self.last_write) = Instant::now();
        self.dirty.store(true, Ordering::SeqCst);
    }

    fn flush(&self) {
        let _gate = lock(&self.write_gate);
        self.shard.flush();
    }

    pub fn meta(&self) -> Meta {
        lock(&self.meta).clone()
    }

    /// Reads the metadata without copying it.
    pub fn meta_ref<R>(&self, f: impl FnOnce(&Meta) -> R) -> R {
        f(&lock(&self.meta))
    }

    pub fn update_meta(&self, f: impl FnOnce(&mut Meta)) -> Result<(), EngineError> {
        let mut meta = lock(&self.meta);
        f(&mut meta);
        save_meta(&self.dir, &meta)
    }

    pub fn is_optimizing(&self) -> bool {
        self.optimizing.load(Ordering::SeqCst)
    }

    pub fn optimizer_error(&self) -> Option<String> {
        lock(&self.optimizer_error).clone()
    }

    /// Asks the background optimizer to look at this collection again.
    pub fn request_optimization(&self) {
        self.touch();
    }

    /// Runs the optimizer if writes have settled and the engine is open; `true` if it ran.
    fn maybe_optimize(&self, settle: Duration, closed: &AtomicBool) -> bool {
        if !self.dirty.load(Ordering::SeqCst) || lock(&self.last_write).elapsed() < settle {
            return false;
        }
        let Ok(_gate) = self.write_gate.try_lock() else {
            return false;
        };
        // Checked under the gate: `Engine::close` takes every gate after setting the flag.
        if closed.load(Ordering::SeqCst) {
            return false;
        }
        self.dirty.store(false, Ordering::SeqCst);
        self.optimizing.store(true, Ordering::SeqCst);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let optimized = self.shard.optimize();
            self.shard.flush();
            optimized
        }));
        *lock(&self.optimizer_error) = match result {
            Ok(Ok(_)) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some("optimizer panicked".into()),
        };
        self.optimizing.store(false, Ordering::SeqCst);
        true
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn save_meta(dir: &Path, meta: &Meta) -> Result<(), EngineError> {
    let text = serde_json::to_vec_pretty(meta).map_err(EngineError::internal)?;
    let tmp = dir.join(format!("{META_FILE}.tmp"));
    std::fs::write(&tmp, text).map_err(io_error)?;
    std::fs::rename(&tmp, dir.join(META_FILE)).map_err(io_error)
}

fn load_meta(dir: &Path) -> Meta {
    std::fs::read(dir.join(META_FILE))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

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

const ALIASES_FILE: &str = "aliases.json";

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
        let aliases = std::fs::read(root.join(ALIASES_FILE))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
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

    pub fn aliases(&self) -> Vec<(String, String)> {
        self.aliases
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(a, c)| (a.clone(), c.clone()))
            .collect()
    }

    /// Applies alias actions all-or-nothing.
    pub fn update_aliases(&self, actions: Vec<AliasAction>) -> Result<(), EngineError> {
        let _admin = lock(&self.admin);
        let collections = self.collections.read().unwrap_or_else(|p| p.into_inner());
        let mut aliases = self.aliases.write().unwrap_or_else(|p| p.into_inner());
        let mut next = aliases.clone();
        for action in actions {
            match action {
                AliasAction::Create {
                    collection_name,
                    alias_name,
                } => {
                    check_name(&alias_name)?;
                    if !collections.contains_key(&collection_name) {
                        return Err(EngineError::not_found(&collection_name));
                    }
                    if collections.contains_key(&alias_name) {
                        return Err(EngineError::new(
                            409,
                            format!(
                                "Wrong input: Collection with the same name `{alias_name}` already exists!"
                            ),
                        ));
                    }
                    next.insert(alias_name, collection_name);
                }
                AliasAction::Delete { alias_name } => {
                    if next.remove(&alias_name).is_none() {
                        return Err(alias_not_found(&alias_name));
                    }
                }
                AliasAction::Rename {
                    old_alias_name,
                    new_alias_name,
                } => {
                    check_name(&new_alias_name)?;
                    let Some(target) = next.remove(&old_alias_name) else {
                        return Err(alias_not_found(&old_alias_name));
                    };
                    if collections.contains_key(&new_alias_name) {
                        return Err(EngineError::new(
                            409,
                            format!(
                                "Wrong input: Collection with the same name `{new_alias_name}` already exists!"
                            ),
                        ));
                    }
                    next.insert(new_alias_name, target);
                }
            }
        }
        self.save_aliases(&next)?;
        *aliases = next;
        Ok(())
    }

    fn save_aliases(&self, aliases: &BTreeMap<String, String>) -> Result<(), EngineError> {
        let text = serde_json::to_vec_pretty(aliases).map_err(EngineError::internal)?;
        let tmp = self.root.join(format!("{ALIASES_FILE}.tmp"));
        std::fs::write(&tmp, text).map_err(io_error)?;
        std::fs::rename(&tmp, self.root.join(ALIASES_FILE)).map_err(io_error)
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

pub enum AliasAction {
    Create {
        collection_name: String,
        alias_name: String,
    },
    Delete {
        alias_name: String,
    },
    Rename {
        old_alias_name: String,
        new_alias_name: String,
    },
}

fn alias_not_found(alias: &str) -> EngineError {
    EngineError::new(404, format!("Not found: Alias `{alias}` doesn't exist!"))
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

/// Characters Qdrant refuses in collection and vector names: both become path components.
const FORBIDDEN: &[char] = &['/', '\\', '*', '<', '>', ':', '|', '?', '"', '\0'];

/// Vector names become directory names (`vector_storage-{name}`), so Qdrant holds them to the
/// collection-name rules: at most 200 bytes, none of [`FORBIDDEN`]; 422 otherwise.
pub fn check_vector_name(field: &str, name: &str) -> Result<(), EngineError> {
    if name.len() > 200 {
        return Err(EngineError::validation(format!(
            "{field}: vector name must be at most 200 bytes long"
        )));
    }
    if name.contains(FORBIDDEN) {
        return Err(EngineError::validation(format!(
            "{field}: vector name cannot contain any of {FORBIDDEN:?}"
        )));
    }
    Ok(())
}

pub fn check_name(name: &str) -> Result<(), EngineError> {
    if name.is_empty() || name.len() > 255 || name.contains(FORBIDDEN) || name.starts_with('.') {
        return Err(EngineError::new(
            422,
            format!(
                "Validation error in path parameters: [name: collection name `{name}` is invalid]"
            ),
        ));
    }
    Ok(())
}

fn remove_dir(dir: &Path) -> Result<(), EngineError> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error(e)),
    }
}

pub fn io_error(e: std::io::Error) -> EngineError {
    EngineError::internal(e)
}
