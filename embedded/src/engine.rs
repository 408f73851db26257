//! Collections as `qdrant-edge` shards, one directory each under `<data>/collections/`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use qdrant_edge::{
    DEFAULT_VECTOR_NAME, Distance, EdgeConfig, EdgeShard, EdgeVectorParams, OperationError,
};

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
        let message = if status == 400 {
            format!("Wrong input: {e}")
        } else {
            e.to_string()
        };
        Self::new(status, message)
    }
}

pub struct Collection {
    pub shard: EdgeShard,
    /// Serialises writes, flushes and optimisation: `EdgeShard::flush` panics if it races an update.
    write_gate: Mutex<()>,
}

impl Collection {
    /// Runs a write and flushes it to disk before returning, so `wait=true` means durable.
    pub fn write<R>(
        &self,
        f: impl FnOnce(&EdgeShard) -> Result<R, OperationError>,
    ) -> Result<R, EngineError> {
        let _gate = self.write_gate.lock().unwrap_or_else(|p| p.into_inner());
        let result = f(&self.shard)?;
        self.shard.flush();
        Ok(result)
    }

    fn flush(&self) {
        let _gate = self.write_gate.lock().unwrap_or_else(|p| p.into_inner());
        self.shard.flush();
    }
}

pub struct Engine {
    root: PathBuf,
    collections: RwLock<HashMap<String, Arc<Collection>>>,
    /// Keeps a temporary data directory alive; removed when the engine drops.
    _temp: Option<tempfile::TempDir>,
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
        let mut collections = HashMap::new();
        for entry in std::fs::read_dir(&collections_dir)? {
            let entry = entry?;
            if !entry.file_type()?.is_dir() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let shard = EdgeShard::load(&entry.path(), None)
                .map_err(|e| anyhow::anyhow!("cannot load collection `{name}`: {e}"))?;
            collections.insert(
                name,
                Arc::new(Collection {
                    shard,
                    write_gate: Mutex::new(()),
                }),
            );
        }
        Ok(Self {
            root,
            collections: RwLock::new(collections),
            _temp: temp,
        })
    }

    fn dir(&self, name: &str) -> PathBuf {
        self.root.join("collections").join(name)
    }

    pub fn get(&self, name: &str) -> Result<Arc<Collection>, EngineError> {
        self.collections
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
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

    /// Creates a collection with one unnamed dense vector.
    pub fn create(&self, name: &str, size: usize, distance: Distance) -> Result<(), EngineError> {
        check_name(name)?;
        if size == 0 {
            return Err(EngineError::new(
                422,
                "Validation error in JSON body: [vectors.size: value 0 invalid, must be 1 or larger]",
            ));
        }
        let mut collections = self.collections.write().unwrap_or_else(|p| p.into_inner());
        if collections.contains_key(name) {
            return Err(EngineError::new(
                409,
                format!("Wrong input: Collection `{name}` already exists!"),
            ));
        }
        let dir = self.dir(name);
        // A leftover directory (e.g. a crash mid-delete) must not resurrect old points.
        remove_dir(&dir)?;
        std::fs::create_dir_all(&dir).map_err(io_error)?;
        let config = EdgeConfig::builder()
            .vector(
                DEFAULT_VECTOR_NAME,
                EdgeVectorParams::builder(size, distance).build(),
            )
            .build();
        let shard = EdgeShard::new(&dir, config)?;
        collections.insert(
            name.to_owned(),
            Arc::new(Collection {
                shard,
                write_gate: Mutex::new(()),
            }),
        );
        Ok(())
    }

    /// Deletes a collection; `false` if it did not exist.
    pub fn delete(&self, name: &str) -> Result<bool, EngineError> {
        let removed = self
            .collections
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
        let Some(collection) = removed else {
            return Ok(false);
        };
        // Wait for in-flight requests to drop their handles: the shard flushes on drop, which
        // must happen before its directory disappears.
        let mut collection = collection;
        loop {
            match Arc::try_unwrap(collection) {
                Ok(owned) => {
                    drop(owned);
                    break;
                }
                Err(shared) => {
                    collection = shared;
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
            }
        }
        remove_dir(&self.dir(name))?;
        Ok(true)
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

fn check_name(name: &str) -> Result<(), EngineError> {
    const FORBIDDEN: &[char] = &['/', '\\', '*', '<', '>', ':', '|', '?', '"'];
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

fn io_error(e: std::io::Error) -> EngineError {
    EngineError::new(500, format!("Service internal error: {e}"))
}
