//! The environment variables, read in one place.

use crate::error::{Error, Result};

/// Connection and collection settings from the environment:
///
/// | variable | field | default |
/// |---|---|---|
/// | `QDRANT_URL` | `url` | `http://localhost:6333` |
/// | `QDRANT_API_KEY` | `api_key` | none |
/// | `COLLECTION_NAME` | `collection` | `documents` |
/// | `VECTOR_SIZE` | `vector_size` | 384 |
/// | `DISTANCE_METRIC` | `distance` | `Cosine` |
/// | `SEARCH_LIMIT` | `search_limit` | 10 |
/// | `SCORE_THRESHOLD` | `score_threshold` | none |
///
/// ```
/// let settings = qdrant_integration::Settings::from_env()?;
/// assert!(settings.search_limit > 0);
/// # Ok::<(), qdrant_integration::Error>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct Settings {
    pub url: String,
    pub api_key: Option<String>,
    pub collection: String,
    pub vector_size: u64,
    pub distance: String,
    pub search_limit: usize,
    pub score_threshold: Option<f32>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("url", &self.url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("collection", &self.collection)
            .field("vector_size", &self.vector_size)
            .field("distance", &self.distance)
            .field("search_limit", &self.search_limit)
            .field("score_threshold", &self.score_threshold)
            .finish()
    }
}

impl Settings {
    /// Reads the variables; a malformed number is an [`Error::InvalidInput`] naming it.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// As [`Settings::from_env`], from any source of variables.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let text = |name: &str| {
            get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        fn number<T: std::str::FromStr>(name: &str, value: Option<String>) -> Result<Option<T>> {
            value
                .map(|v| {
                    v.parse().map_err(|_| {
                        Error::InvalidInput(format!("{name}={v} is not a valid number"))
                    })
                })
                .transpose()
        }
        Ok(Settings {
            url: text("QDRANT_URL").unwrap_or_else(|| "http://localhost:6333".into()),
            api_key: text("QDRANT_API_KEY"),
            collection: text("COLLECTION_NAME").unwrap_or_else(|| "documents".into()),
            vector_size: number("VECTOR_SIZE", text("VECTOR_SIZE"))?.unwrap_or(384),
            distance: text("DISTANCE_METRIC").unwrap_or_else(|| "Cosine".into()),
            search_limit: number("SEARCH_LIMIT", text("SEARCH_LIMIT"))?.unwrap_or(10),
            score_threshold: number("SCORE_THRESHOLD", text("SCORE_THRESHOLD"))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_override_defaults_and_bad_numbers_are_named() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let defaults = Settings::from_lookup(vars(&[])).unwrap();
        assert_eq!(defaults.url, "http://localhost:6333");
        assert_eq!((defaults.vector_size, defaults.search_limit), (384, 10));
        let set = Settings::from_lookup(vars(&[
            ("QDRANT_URL", "https://x.cloud.qdrant.io"),
            ("QDRANT_API_KEY", "k"),
            ("VECTOR_SIZE", "768"),
            ("SCORE_THRESHOLD", "0.7"),
        ]))
        .unwrap();
        assert_eq!(set.vector_size, 768);
        assert_eq!(set.score_threshold, Some(0.7));
        assert!(
            !format!("{set:?}").contains("\"k\""),
            "the key stays out of Debug"
        );
        let bad = Settings::from_lookup(vars(&[("SEARCH_LIMIT", "ten")]));
        assert!(matches!(bad, Err(Error::InvalidInput(m)) if m.contains("SEARCH_LIMIT")));
    }
}
