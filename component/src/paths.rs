//! Building request paths: the server's base URL, collection and snapshot names checked as
//! Qdrant checks them and percent-encoded into a path, query parameters. Pure string work,
//! no I/O; [`crate::rest`] re-exports these for the operations.

use crate::Error;

/// `url` without white space and trailing slashes, or what is wrong with it.
pub fn base_url(url: &str) -> Result<String, &'static str> {
    let base_url = url.trim().trim_end_matches('/');
    // Schemes are case-insensitive (RFC 3986), as the hosts' origin checks take them.
    let (scheme, rest) = base_url
        .split_once("://")
        .filter(|(scheme, _)| {
            ["http", "https"]
                .iter()
                .any(|s| scheme.eq_ignore_ascii_case(s))
        })
        .ok_or("must start with http:// or https://")?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err("has no host");
    }
    Ok([&scheme.to_ascii_lowercase(), "://", rest].concat())
}

/// Checks a collection (or alias) name as Qdrant does and builds its path, percent-encoded.
pub(crate) fn collection_path(name: &str, suffix: &str) -> Result<String, Error> {
    check_name(name, "collection name")?;
    Ok(["/collections/", &percent_encode(name), suffix].concat())
}

/// Qdrant's rules for collection, alias and snapshot names.
pub(crate) fn check_name(name: &str, what: &str) -> Result<(), Error> {
    const FORBIDDEN: &[char] = &['/', '\\', '*', '<', '>', ':', '|', '?', '"'];
    if name.is_empty() || name.len() > 255 {
        return Err(Error::InvalidInput(format!(
            "{what} must be 1 to 255 bytes"
        )));
    }
    if name == "." || name == ".." {
        // A path segment that URL normalisation would remove or climb out of.
        return Err(Error::InvalidInput(format!("{what} must not be `{name}`")));
    }
    if let Some(c) = name
        .chars()
        .find(|c| FORBIDDEN.contains(c) || c.is_control())
    {
        // Quoted with escapes: a control character must not reach a log line raw.
        return Err(Error::InvalidInput(format!(
            "{what} {name:?} must not contain {c:?}"
        )));
    }
    Ok(())
}

pub fn percent_encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `path` with `name=value` added to its query.
pub(crate) fn with_param(mut path: String, name: &str, value: &str) -> String {
    path.push(if path.contains('?') { '&' } else { '?' });
    path.push_str(name);
    path.push('=');
    path.push_str(value);
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_percent_encoded() {
        assert_eq!(
            collection_path("my docs", "").unwrap(),
            "/collections/my%20docs"
        );
    }
}
