//! The sandbox: one compiled component per process, instances pooled and reused between
//! calls, each store with deny-all WASI, a memory cap and a deadline (epoch interruption).
//! Outbound HTTP goes through [`crate::egress`].

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, StoreLimits,
    StoreLimitsBuilder,
};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::bindings::qdrant::retriever::http_transport;
use crate::bindings::{RetrieverAny as Retriever, RetrieverAnyPre as RetrieverPre};
use crate::cache;
use crate::egress::pool::ConnectionPool;
use crate::egress::{Exchanged, Origin, OriginPolicy, Tickets};
use crate::error::{Error, Result};
use crate::self_wake::repoll_on_self_wake;

/// The component's `retriever-hosted` build (requests through `http-transport`), built by
/// `build.rs` and embedded in this binary. The Python package ships the same build.
pub const COMPONENT_WASM: &[u8] = include_bytes!(env!("QDRANT_COMPONENT_HOSTED_WASM"));
/// The component's `retriever` build (requests through `wasi:http/outgoing-handler`).
pub const COMPONENT_WASI_HTTP_WASM: &[u8] = include_bytes!(env!("QDRANT_COMPONENT_WASM"));
/// The builds' hashes ([`crate::fnv::hex_of`]), taken by `build.rs` from the very bytes
/// embedded: the on-disk cache's key, without hashing a megabyte at every process start.
const COMPONENT_WASM_HASH: &str = env!("QDRANT_COMPONENT_HOSTED_WASM_HASH");
const COMPONENT_WASI_HTTP_WASM_HASH: &str = env!("QDRANT_COMPONENT_WASM_HASH");

/// How the component's requests leave the sandbox. Both ways reach only the configured
/// origin, over the same pooled connections; they differ in what crosses the boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Outbound {
    /// One host call per request with whole bodies (the `http-transport` import of the
    /// `retriever-hosted` build). The default: the fewest hand-offs per request.
    #[default]
    HostTransport,
    /// The guest speaks `wasi:http/outgoing-handler` (the `retriever` build), policed in
    /// wasmtime-wasi-http's `send_request` hook: the same build any wasi-http host runs.
    WasiHttp,
}

impl Outbound {
    /// The build's bytes and their hash.
    fn wasm(self) -> (&'static [u8], &'static str) {
        match self {
            Outbound::HostTransport => (COMPONENT_WASM, COMPONENT_WASM_HASH),
            Outbound::WasiHttp => (COMPONENT_WASI_HTTP_WASM, COMPONENT_WASI_HTTP_WASM_HASH),
        }
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
    /// Requests begun with `http-transport.start`.
    tickets: Tickets,
}

impl HostState {
    fn new(allowed: Origin, pool: Arc<ConnectionPool>, limits: Limits) -> Self {
        HostState {
            // stderr only, so a guest panic message reaches the operator.
            wasi: WasiCtx::builder().inherit_stderr().build(),
            http: WasiHttpCtx::new(),
            policy: OriginPolicy::new(allowed, pool, limits.memory_bytes.min(MAX_MEMORY_BYTES)),
            table: ResourceTable::new(),
            limits: StoreLimitsBuilder::new()
                .memory_size(limits.memory_bytes.min(MAX_MEMORY_BYTES))
                .instances(16)
                .trap_on_grow_failure(true)
                .build(),
            tickets: Tickets::default(),
        }
    }

    /// The HTTP requests sent since the last take: what one call cost, retries included.
    pub fn take_requests(&mut self) -> u32 {
        self.policy.take_sent()
    }
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

impl http_transport::Host for HostState {
    async fn send(&mut self, request: http_transport::Request) -> wasmtime::Result<Exchanged> {
        self.policy.exchange(request).await
    }

    async fn start(&mut self, request: http_transport::Request) -> u64 {
        self.tickets.start(&self.policy, request)
    }

    async fn finish(&mut self, ticket: u64) -> wasmtime::Result<Exchanged> {
        self.tickets.finish(ticket).await
    }
}

/// How much one call may use. A call that hits a limit traps alone: its instance is
/// dropped and the next call gets a fresh one.
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

/// Engine, linked imports and the compiled builds of the component, shared by every client
/// in the process.
pub struct Runtime {
    engine: Engine,
    linker: Linker<HostState>,
    /// Indexed by [`Outbound`]; each compiled (or loaded from the on-disk cache) on first use.
    builds: [OnceLock<std::result::Result<Build, String>>; 2],
    slots: Semaphore,
    pool: Arc<ConnectionPool>,
}

struct Build {
    pre: RetrieverPre<HostState>,
    loaded_from_cache: bool,
}

static RUNTIME: OnceLock<std::result::Result<Arc<Runtime>, String>> = OnceLock::new();

impl Runtime {
    /// The process-wide runtime.
    pub fn shared() -> Result<Arc<Runtime>> {
        RUNTIME
            .get_or_init(|| Runtime::new().map(Arc::new).map_err(|e| format!("{e:?}")))
            .clone()
            .map_err(Error::Runtime)
    }

    fn new() -> wasmtime::Result<Self> {
        let engine = Engine::new(&engine_config())?;
        let mut linker = Linker::<HostState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        http_transport::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |state| state)?;
        start_epoch_ticker(&engine);
        Ok(Self {
            engine,
            linker,
            builds: Default::default(),
            slots: Semaphore::new(MAX_CONCURRENT_INSTANCES as usize),
            pool: Arc::default(),
        })
    }

    /// Compiles the build for `outbound`, or loads it from the on-disk cache, once per
    /// process. Blocks: call it off the async executor.
    pub fn prepare(&self, outbound: Outbound) -> Result<()> {
        self.build(outbound).map(|_| ())
    }

    fn build(&self, outbound: Outbound) -> Result<&Build> {
        self.builds[outbound as usize]
            .get_or_init(|| {
                let load = || -> wasmtime::Result<Build> {
                    let (wasm, wasm_hash) = outbound.wasm();
                    let (component, loaded_from_cache) =
                        cache::load_or_compile(&self.engine, wasm, wasm_hash)?;
                    let pre = RetrieverPre::new(self.linker.instantiate_pre(&component)?)?;
                    Ok(Build {
                        pre,
                        loaded_from_cache,
                    })
                };
                load().map_err(|e| format!("{e:?}"))
            })
            .as_ref()
            .map_err(|e| Error::Runtime(e.clone()))
    }

    /// Whether the build for `outbound` came from the on-disk cache rather than a compile.
    pub fn loaded_from_cache(&self, outbound: Outbound) -> bool {
        self.builds[outbound as usize]
            .get()
            .and_then(|b| b.as_ref().ok())
            .is_some_and(|b| b.loaded_from_cache)
    }

    /// Runs `call` on an instance of `instances`' build: an idle one left by an earlier call
    /// of the same client, or a fresh one whose HTTP may reach only its origin. A call past
    /// its deadline is abandoned and reported as a timeout; an instance that trapped or
    /// timed out is dropped, never reused.
    pub async fn with_instance<R, F>(self: &Arc<Self>, instances: &Instances, call: F) -> Result<R>
    where
        F: AsyncFnOnce(&mut Store<HostState>, &Retriever) -> wasmtime::Result<R>,
    {
        let (pre, _slot) = self.admit(instances).await?;
        let limits = instances.limits;
        let work = async {
            let mut warm = match instances.take() {
                Some(warm) => warm,
                None => self.instantiate(pre, instances).await?,
            };
            warm.store.set_epoch_deadline(deadline_ticks(limits));
            let outcome = call(&mut warm.store, &warm.retriever).await?;
            warm.calls += 1;
            instances.give_back(warm);
            wasmtime::Result::<R>::Ok(outcome)
        };
        match tokio::time::timeout(limits.call_timeout, repoll_on_self_wake(work)).await {
            Ok(outcome) => Ok(outcome?),
            Err(_) => Err(Error::Timeout(format!(
                "the call did not finish within {:?}",
                limits.call_timeout
            ))),
        }
    }

    /// Instantiates for `instances` and drops the instance unused (benchmarks).
    pub async fn instantiate_only(self: &Arc<Self>, instances: &Instances) -> Result<()> {
        let (pre, _slot) = self.admit(instances).await?;
        self.instantiate(pre, instances).await?;
        Ok(())
    }

    /// The build `instances` runs (compiled or loaded off the executor on first use) and a
    /// slot for one live instance.
    async fn admit(
        self: &Arc<Self>,
        instances: &Instances,
    ) -> Result<(&RetrieverPre<HostState>, SemaphorePermit<'_>)> {
        let outbound = instances.outbound;
        if self.builds[outbound as usize].get().is_none() {
            let runtime = self.clone();
            tokio::task::spawn_blocking(move || runtime.prepare(outbound))
                .await
                .map_err(|e| Error::Runtime(e.to_string()))??;
        }
        let pre = &self.build(outbound)?.pre;
        let slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| Error::Runtime("runtime shut down".into()))?;
        Ok((pre, slot))
    }

    async fn instantiate(
        &self,
        pre: &RetrieverPre<HostState>,
        instances: &Instances,
    ) -> wasmtime::Result<WarmInstance> {
        let state = HostState::new(
            instances.origin.clone(),
            self.pool.clone(),
            instances.limits,
        );
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limits);
        store.set_epoch_deadline(deadline_ticks(instances.limits));
        store.epoch_deadline_trap();
        let retriever = pre.instantiate_async(&mut store).await?;
        Ok(WarmInstance {
            store,
            retriever,
            calls: 0,
        })
    }
}

/// The CPU deadline of one call in epoch ticks. Epochs only advance while guest code runs
/// into them, so an async timeout also covers time spent waiting on the network.
fn deadline_ticks(limits: Limits) -> u64 {
    let ticks = limits.call_timeout.as_millis() / EPOCH_TICK.as_millis();
    u64::try_from(ticks).unwrap_or(u64::MAX).max(1)
}

/// An instance between calls of one client.
struct WarmInstance {
    store: Store<HostState>,
    retriever: Retriever,
    calls: u32,
}

/// Idle instances kept by all clients of the process; they hold pooling-allocator slots
/// beyond [`MAX_CONCURRENT_INSTANCES`].
const MAX_IDLE_INSTANCES: usize = 64;
/// Calls one instance serves before it is replaced, so guest heap growth or
/// fragmentation from earlier calls never accumulates without bound.
const MAX_CALLS_PER_INSTANCE: u32 = 1000;
static IDLE_INSTANCES: AtomicUsize = AtomicUsize::new(0);

/// The instances one client (and its clones) reuses between calls: instantiating per call
/// costs more than a whole call's guest work. Instances never pass between clients, so
/// one client's api-key or data never sits in memory another client's call can reach.
pub struct Instances {
    outbound: Outbound,
    origin: Origin,
    limits: Limits,
    idle: Mutex<Vec<WarmInstance>>,
}

impl Instances {
    pub fn new(outbound: Outbound, origin: Origin, limits: Limits) -> Self {
        Self {
            outbound,
            origin,
            limits,
            idle: Mutex::default(),
        }
    }

    pub fn outbound(&self) -> Outbound {
        self.outbound
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    fn take(&self) -> Option<WarmInstance> {
        let warm = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop()?;
        IDLE_INSTANCES.fetch_sub(1, Ordering::Relaxed);
        Some(warm)
    }

    fn give_back(&self, warm: WarmInstance) {
        if warm.calls >= MAX_CALLS_PER_INSTANCE {
            return;
        }
        if IDLE_INSTANCES.fetch_add(1, Ordering::Relaxed) >= MAX_IDLE_INSTANCES {
            IDLE_INSTANCES.fetch_sub(1, Ordering::Relaxed);
            return;
        }
        self.idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(warm);
    }
}

impl Drop for Instances {
    fn drop(&mut self) {
        // The stores go first: their pool slots are free only once they are dropped, and
        // the count must not admit another idle instance before that.
        let idle = std::mem::take(self.idle.get_mut().unwrap_or_else(|p| p.into_inner()));
        let count = idle.len();
        drop(idle);
        IDLE_INSTANCES.fetch_sub(count, Ordering::Relaxed);
    }
}

fn engine_config() -> Config {
    let mut pool = PoolingAllocationConfig::default();
    let instances = MAX_CONCURRENT_INSTANCES + MAX_IDLE_INSTANCES as u32;
    // One fiber stack per store: a store keeps the stack of its last call while idle, and
    // a call runs on one fiber (no component-model-async here, whose concurrent calls
    // would take more). Left at wasmtime's default (1000), setting up the stacks' guard
    // pages was the largest part of a process's first client.
    pool.total_component_instances(instances)
        .total_core_instances(instances * 8)
        .total_memories(instances * 2)
        .total_tables(instances * 8)
        .total_stacks(instances)
        .max_memory_size(MAX_MEMORY_BYTES);
    let mut config = Config::new();
    config
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
        .epoch_interruption(true);
    if std::env::var_os("QDRANT_INTEGRATION_PERFMAP").is_some_and(|v| v == "1") {
        // Opt-in, for `perf`: wasmtime writes /tmp/perf-<pid>.map, which names the
        // component's compiled functions in samples.
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
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

    /// The cache key names the bytes that run: a stale hash would load another build.
    #[test]
    fn the_embedded_hashes_are_of_the_embedded_bytes() {
        for outbound in [Outbound::HostTransport, Outbound::WasiHttp] {
            let (wasm, hash) = outbound.wasm();
            assert_eq!(crate::fnv::hex_of(wasm), hash, "{outbound:?}");
        }
    }

    #[tokio::test]
    async fn the_transport_import_denies_every_other_origin() {
        use http_transport::Host;
        let allowed = Origin::of_url("http://127.0.0.1:6333").unwrap();
        let mut state = HostState::new(allowed, Arc::default(), Limits::default());
        for url in [
            "http://127.0.0.1:6334/collections",
            "https://127.0.0.1:6333/",
            "http://localhost:6333/",
            "http://169.254.169.254/latest/meta-data",
            "not a url",
        ] {
            let request = http_transport::Request {
                method: "GET".into(),
                url: url.into(),
                headers: vec![("api-key".into(), "secret".into())],
                body: String::new(),
                connect_timeout_ms: 100,
                read_timeout_ms: 100,
            };
            // Both ways in: one `send`, or `start` then `finish`.
            let ticket = state.start(request.clone()).await;
            for sent in [state.send(request).await, state.finish(ticket).await] {
                let sent = sent.expect("no trap");
                assert!(
                    matches!(
                        sent,
                        Err(http_transport::TransportError::Denied(_)
                            | http_transport::TransportError::Connection(_))
                    ) && !format!("{sent:?}").contains("secret"),
                    "{url}: {sent:?}"
                );
                if url.starts_with("http") {
                    assert!(
                        matches!(sent, Err(http_transport::TransportError::Denied(_))),
                        "{url} was not denied: {sent:?}"
                    );
                }
            }
        }
        // A ticket is finished once.
        let ticket = state.start(denied_request()).await;
        assert!(state.finish(ticket).await.unwrap().is_err());
        assert!(matches!(
            state.finish(ticket).await.unwrap(),
            Err(http_transport::TransportError::Connection(m)) if m.contains("no request")
        ));
    }

    fn denied_request() -> http_transport::Request {
        http_transport::Request {
            method: "GET".into(),
            url: "http://elsewhere:1/".into(),
            headers: vec![],
            body: String::new(),
            connect_timeout_ms: 100,
            read_timeout_ms: 100,
        }
    }
}
