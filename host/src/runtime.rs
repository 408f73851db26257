//! The sandbox: one compiled component per process, a fresh store per call, and outbound
//! HTTP confined to the configured Qdrant origin.

use std::future::Future;
use std::sync::{Arc, OnceLock};

use http_body_util::BodyExt;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{
    Error as HttpError, RequestOptions, WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks,
    WasiHttpView,
};

use crate::bindings::{Retriever, RetrieverPre};
use crate::error::{Error, Result};

/// The component, built by `build.rs` and embedded in this binary.
pub const COMPONENT_WASM: &[u8] = include_bytes!(env!("QDRANT_COMPONENT_WASM"));

/// The only place the component may send requests: scheme, host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// Denies every request outside the allowed origin (fail closed), sends the rest.
struct OriginPolicy {
    allowed: Origin,
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
        Box::new(async move {
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as IoFuture,
            ))
        })
    }
}

/// What one store owns: deny-all WASI (no files, env, sockets) and the HTTP policy.
pub struct HostState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    policy: OriginPolicy,
    table: ResourceTable,
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

/// Engine, compiled component and linked imports, shared by every client in the process.
pub struct Runtime {
    engine: Engine,
    pre: RetrieverPre<HostState>,
}

static RUNTIME: OnceLock<std::result::Result<Arc<Runtime>, String>> = OnceLock::new();

impl Runtime {
    /// The process-wide runtime; the component is compiled on first use only.
    pub fn shared() -> Result<Arc<Runtime>> {
        RUNTIME
            .get_or_init(|| Runtime::new().map(Arc::new).map_err(|e| format!("{e:?}")))
            .clone()
            .map_err(Error::Runtime)
    }

    fn new() -> wasmtime::Result<Self> {
        let engine = Engine::default();
        let component = Component::from_binary(&engine, COMPONENT_WASM)?;
        let mut linker = Linker::<HostState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        let pre = RetrieverPre::new(linker.instantiate_pre(&component)?)?;
        Ok(Self { engine, pre })
    }

    /// A fresh, isolated instance whose HTTP may reach only `allowed`.
    pub async fn instantiate(&self, allowed: &Origin) -> Result<(Store<HostState>, Retriever)> {
        let state = HostState {
            wasi: WasiCtx::builder().inherit_stderr().build(),
            http: WasiHttpCtx::new(),
            policy: OriginPolicy {
                allowed: allowed.clone(),
            },
            table: ResourceTable::new(),
        };
        let mut store = Store::new(&self.engine, state);
        let retriever = self.pre.instantiate_async(&mut store).await?;
        Ok((store, retriever))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
