//! The sandbox: one compiled component per process, a fresh store per call, and outbound
//! HTTP confined to the configured Qdrant origin.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::Semaphore;
use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, StoreLimits,
    StoreLimitsBuilder,
};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{
    Error as HttpError, RequestOptions, WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks,
    WasiHttpView,
};

use crate::bindings::{Retriever, RetrieverPre};
use crate::cache;
use crate::error::{Error, Result};
use crate::outbound::ConnectionPool;

/// The component, built by `build.rs` and embedded in this binary.
pub const COMPONENT_WASM: &[u8] = include_bytes!(env!("QDRANT_COMPONENT_WASM"));

/// The only place the component may send requests: scheme, host and port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    pub fn of_url(url: &str) -> Result<Self> {
        let uri: http::Uri = url
            .trim()
            .parse()
            .map_err(|e| Error::InvalidInput(format!("`{url}` is not a URL: {e}")))?;
        Self::of_uri(&uri).ok_or_else(|| {
            Error::InvalidInput(format!(
                "`{url}` needs an http:// or https:// scheme and a host"
            ))
        })
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn is_https(&self) -> bool {
        self.scheme == "https"
    }

    fn of_uri(uri: &http::Uri) -> Option<Self> {
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return None,
        };
        let host = uri.host()?.to_ascii_lowercase();
        if host.is_empty() {
            return None;
        }
        Some(Self {
            port: uri.port_u16().unwrap_or(default_port),
            scheme,
            host,
        })
    }
}

/// Denies every request outside the allowed origin (fail closed), sends the rest over
/// pooled connections.
struct OriginPolicy {
    allowed: Origin,
    pool: Arc<ConnectionPool>,
}

type IoFuture = Box<dyn Future<Output = Result<(), HttpError>> + Send>;

impl WasiHttpHooks for OriginPolicy {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: IoFuture,
    ) -> Box<dyn Future<Output = Result<(http::Response<WasiBody>, IoFuture), HttpError>> + Send>
    {
        if Origin::of_uri(request.uri()).as_ref() != Some(&self.allowed) {
            tracing::warn!(uri = %request.uri(), "denied a request outside the allowed origin");
            return Box::new(async { Err(HttpError::HttpRequestDenied) });
        }
        let pool = self.pool.clone();
        let origin = self.allowed.clone();
        Box::new(async move {
            let response = pool.send(origin, request, options).await?;
            // The connection is driven by its own task, not by this future.
            Ok((response, Box::new(async { Ok(()) }) as IoFuture))
        })
    }
}

/// What one store owns: deny-all WASI (no files, env, sockets), the HTTP policy and the
/// memory cap.
pub struct HostState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    policy: OriginPolicy,
    table: ResourceTable,
    limits: StoreLimits,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.policy,
        }
    }
}

/// How much one call may use. Every call gets a fresh instance, so a call that hits a
/// limit traps alone and the next call starts clean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Linear memory one instance may grow to. Default 64 MiB; at most
    /// [`MAX_MEMORY_BYTES`].
    pub memory_bytes: usize,
    /// Wall-clock budget of one call, network waits included. Default 120 s.
    pub call_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 64 << 20,
            call_timeout: Duration::from_secs(120),
        }
    }
}

/// The pooling allocator's per-memory ceiling; [`Limits::memory_bytes`] caps below it.
pub const MAX_MEMORY_BYTES: usize = 1 << 30;
/// Instances alive at once (the pool's size); further calls wait for a free slot.
pub const MAX_CONCURRENT_INSTANCES: u32 = 128;
/// How often the epoch advances: the granularity of the CPU deadline.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Engine, compiled component and linked imports, shared by every client in the process.
pub struct Runtime {
    engine: Engine,
    pre: RetrieverPre<HostState>,
    slots: Semaphore,
    pool: Arc<ConnectionPool>,
    /// Whether the compiled component came from the on-disk cache.
    pub loaded_from_cache: bool,
}

static RUNTIME: OnceLock<std::result::Result<Arc<Runtime>, String>> = OnceLock::new();

impl Runtime {
    /// The process-wide runtime; the component is compiled (or loaded from the on-disk
    /// cache) on first use only.
    pub fn shared() -> Result<Arc<Runtime>> {
        RUNTIME
            .get_or_init(|| Runtime::new().map(Arc::new).map_err(|e| format!("{e:?}")))
            .clone()
            .map_err(Error::Runtime)
    }

    fn new() -> wasmtime::Result<Self> {
        let engine = Engine::new(&engine_config())?;
        let (component, loaded_from_cache) = cache::load_or_compile(&engine, COMPONENT_WASM)?;
        let mut linker = Linker::<HostState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        let pre = RetrieverPre::new(linker.instantiate_pre(&component)?)?;
        start_epoch_ticker(&engine);
        Ok(Self {
            engine,
            pre,
            slots: Semaphore::new(MAX_CONCURRENT_INSTANCES as usize),
            pool: Arc::default(),
            loaded_from_cache,
        })
    }

    /// Runs `call` on a fresh, isolated instance whose HTTP may reach only `allowed`,
    /// within `limits`. A call past its deadline is abandoned (its instance dropped) and
    /// reported as a timeout.
    pub async fn with_instance<R, F>(&self, allowed: &Origin, limits: Limits, call: F) -> Result<R>
    where
        F: AsyncFnOnce(&mut Store<HostState>, Retriever) -> Result<R>,
    {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| Error::Runtime("runtime shut down".into()))?;
        let state = HostState {
            // stderr only, so a guest panic message reaches the operator.
            wasi: WasiCtx::builder().inherit_stderr().build(),
            http: WasiHttpCtx::new(),
            policy: OriginPolicy {
                allowed: allowed.clone(),
                pool: self.pool.clone(),
            },
            table: ResourceTable::new(),
            limits: StoreLimitsBuilder::new()
                .memory_size(limits.memory_bytes.min(MAX_MEMORY_BYTES))
                .instances(16)
                .trap_on_grow_failure(true)
                .build(),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limits);
        // CPU deadline: epochs only advance while guest code runs into them, so the async
        // timeout below also covers time spent waiting on the network.
        let ticks = limits.call_timeout.as_millis() / EPOCH_TICK.as_millis();
        store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX).max(1));
        store.epoch_deadline_trap();
        let work = async {
            let retriever = self.pre.instantiate_async(&mut store).await?;
            call(&mut store, retriever).await
        };
        match tokio::time::timeout(limits.call_timeout, work).await {
            Ok(outcome) => outcome,
            Err(_) => Err(Error::Timeout(format!(
                "the call did not finish within {:?}",
                limits.call_timeout
            ))),
        }
    }
}

fn engine_config() -> Config {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(MAX_CONCURRENT_INSTANCES)
        .total_core_instances(MAX_CONCURRENT_INSTANCES * 8)
        .total_memories(MAX_CONCURRENT_INSTANCES * 2)
        .total_tables(MAX_CONCURRENT_INSTANCES * 8)
        .max_memory_size(MAX_MEMORY_BYTES);
    let mut config = Config::new();
    config
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
        .epoch_interruption(true);
    config
}

/// Advances the engine's epoch every [`EPOCH_TICK`] for the life of the process.
fn start_epoch_ticker(engine: &Engine) {
    let engine = engine.weak();
    std::thread::Builder::new()
        .name("wasm-epoch".into())
        .spawn(move || {
            while let Some(engine) = engine.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("spawn the epoch thread");
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, Empty};

    fn request_to(uri: &str) -> http::Request<WasiBody> {
        let body = Empty::<bytes::Bytes>::new()
            .map_err(|never| match never {})
            .boxed_unsync();
        http::Request::get(uri).body(body).unwrap()
    }

    #[tokio::test]
    async fn the_hook_denies_every_other_origin() {
        let mut policy = OriginPolicy {
            allowed: Origin::of_url("http://127.0.0.1:6333").unwrap(),
            pool: Arc::default(),
        };
        for uri in [
            "http://127.0.0.1:6334/collections",
            "https://127.0.0.1:6333/",
            "http://localhost:6333/",
            "http://169.254.169.254/latest/meta-data",
        ] {
            let io: IoFuture = Box::new(async { Ok(()) });
            let sent = Box::into_pin(policy.send_request(request_to(uri), None, io)).await;
            assert!(
                matches!(sent, Err(HttpError::HttpRequestDenied)),
                "{uri} was not denied"
            );
        }
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let a = Origin::of_url("http://LocalHost:6333/").unwrap();
        assert_eq!(
            a,
            Origin::of_url("http://localhost:6333/collections").unwrap()
        );
        assert_ne!(a, Origin::of_url("http://localhost:6334").unwrap());
        assert_ne!(a, Origin::of_url("https://localhost:6333").unwrap());
        assert_eq!(Origin::of_url("https://x.io").unwrap().port, 443);
        assert!(Origin::of_url("localhost:6333").is_err());
        assert!(Origin::of_url("ftp://x").is_err());
    }
}
