//! The origin a client may reach: scheme, host and port, parsed once from its URL.

use crate::error::{Error, Result};

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

    /// The host as sockets and TLS take it: an IPv6 literal without the brackets a URL
    /// writes around it.
    pub fn address(&self) -> &str {
        self.host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(&self.host)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn is_https(&self) -> bool {
        self.scheme == "https"
    }

    pub(crate) fn of_uri(uri: &http::Uri) -> Option<Self> {
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
        let v6 = Origin::of_url("http://[::1]:6333").unwrap();
        assert_eq!((v6.host.as_str(), v6.address()), ("[::1]", "::1"));
        assert_ne!(v6, Origin::of_url("http://127.0.0.1:6333").unwrap());
    }
}
