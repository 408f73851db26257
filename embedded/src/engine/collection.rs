//! One collection: its shard, the REST settings the shard does not keep (`Meta`, saved
//! beside it), and the gate that orders writes, flushes and optimisation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use qdrant_edge::{EdgeShard, OperationError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{EngineError, io_error, lock};

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
    pub(super) dir: PathBuf,
    /// Set by writes, cleared when the optimizer picks the collection up.
    dirty: AtomicBool,
    last_write: Mutex<Instant>,
    optimizing: AtomicBool,
    optimizer_error: Mutex<Option<String>>,
}

impl Collection {
    pub(super) fn open(shard: EdgeShard, dir: PathBuf, meta: Meta) -> Self {
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

    pub(super) fn flush(&self) {
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
    pub(super) fn maybe_optimize(&self, settle: Duration, closed: &AtomicBool) -> bool {
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

pub(super) fn save_meta(dir: &Path, meta: &Meta) -> Result<(), EngineError> {
    let text = serde_json::to_vec_pretty(meta).map_err(EngineError::internal)?;
    let tmp = dir.join(format!("{META_FILE}.tmp"));
    std::fs::write(&tmp, text).map_err(io_error)?;
    std::fs::rename(&tmp, dir.join(META_FILE)).map_err(io_error)
}

pub(super) fn load_meta(dir: &Path) -> Meta {
    std::fs::read(dir.join(META_FILE))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}
