//! The service: whether the server answers, what it is, whether it is ready.

use super::QdrantClient;
use crate::error::Result;

/// What `GET /` reports.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerInfo {
    pub title: String,
    pub version: String,
}

impl QdrantClient {
    /// `true` when the server answers as Qdrant; `false` when it cannot be reached.
    /// Other failures (e.g. a wrong api-key behind a proxy) are errors.
    pub async fn health_check(&self) -> Result<bool> {
        match self.server_info().await {
            Ok(_) => Ok(true),
            Err(e) if e.is_unreachable() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The server's title and version.
    pub async fn server_info(&self) -> Result<ServerInfo> {
        let info = call!(self, call_health_check())?;
        Ok(ServerInfo {
            title: info.title,
            version: info.version,
        })
    }

    /// `GET /readyz`: whether the server is ready to serve.
    pub async fn ready(&self) -> Result<bool> {
        call!(self, call_ready())
    }
}
