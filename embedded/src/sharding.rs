//! Custom sharding as a standalone (non-distributed) Qdrant answers it. Such a server keeps
//! `sharding_method: custom` collections but cannot create shard keys ("Distributed mode
//! disabled"), so a custom collection has no shards: reads without a key find nothing,
//! writes are refused, and any named key does not exist.

use serde::Deserialize;

use crate::engine::{Collection, EngineError};

/// `sharding_method` of a new collection (anything else is refused as Qdrant's parser does).
#[derive(Deserialize, serde::Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ShardingMethod {
    Auto,
    Custom,
}

/// A shard key: a string or an unsigned integer.
#[derive(Deserialize, Clone, Debug)]
#[serde(untagged)]
pub enum ShardKey {
    Number(u64),
    Keyword(String),
}

impl std::fmt::Display for ShardKey {
    /// As Qdrant prints one in messages: a keyword quoted, a number bare.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShardKey::Number(n) => write!(f, "{n}"),
            ShardKey::Keyword(s) => write!(f, "\"{s}\""),
        }
    }
}

/// A request's `shard_key`: one key, several, or a target with a fallback.
#[derive(Deserialize, Clone, Debug)]
#[serde(untagged)]
pub enum ShardKeySelector {
    Fallback {
        target: ShardKey,
        fallback: ShardKey,
    },
    Many(Vec<ShardKey>),
    One(ShardKey),
}

/// What a read sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The collection's one shard.
    All,
    /// Nothing: a custom-sharded collection, which has no shards here.
    Nothing,
}

impl Collection {
    pub fn custom_sharding(&self) -> bool {
        self.meta_ref(|meta| {
            meta.sharding_method.as_ref().and_then(|m| m.as_str()) == Some("custom")
        })
    }

    /// The shards a read of points looks in.
    pub fn read_scope(&self, selector: Option<&ShardKeySelector>) -> Result<Scope, EngineError> {
        match selector.map(first_missing) {
            Some(Some(missing)) => Err(missing.for_read()),
            _ if self.custom_sharding() => Ok(Scope::Nothing),
            _ => Ok(Scope::All),
        }
    }

    /// Checks that a write has a shard to go to.
    pub fn check_write_shards(
        &self,
        selector: Option<&ShardKeySelector>,
    ) -> Result<(), EngineError> {
        match selector.map(first_missing) {
            Some(Some(missing)) => Err(missing.for_write()),
            _ if self.custom_sharding() => Err(EngineError::bad_input("Shard key not specified")),
            _ => Ok(()),
        }
    }
}

/// The shard keys a standalone server has: none. `PUT /collections/{name}/shards` and
/// `POST .../shards/delete` answer this before looking at anything else.
pub fn distributed_mode_disabled() -> EngineError {
    EngineError::new(400, "Bad request: Distributed mode disabled")
}

/// Why a selector names no existing shard (every key is missing here).
enum Missing {
    Key(ShardKey),
    Both(ShardKey, ShardKey),
}

impl Missing {
    fn for_read(self) -> EngineError {
        match self {
            Missing::Key(key) => {
                EngineError::new(400, format!("Bad request: Shard key {key} not found"))
            }
            Missing::Both(target, fallback) => neither(target, fallback),
        }
    }

    fn for_write(self) -> EngineError {
        match self {
            Missing::Key(key) => EngineError::bad_input(format!("Shard key {key} not found")),
            Missing::Both(target, fallback) => neither(target, fallback),
        }
    }
}

fn neither(target: ShardKey, fallback: ShardKey) -> EngineError {
    EngineError::new(
        404,
        format!(
            "Not found: Neither target shard key {target} nor fallback shard key {fallback} exist not found"
        ),
    )
}

/// The selector's first key (none exists); `None` for an empty list, which selects nothing
/// in particular.
fn first_missing(selector: &ShardKeySelector) -> Option<Missing> {
    match selector {
        ShardKeySelector::One(key) => Some(Missing::Key(key.clone())),
        ShardKeySelector::Many(keys) => keys.first().cloned().map(Missing::Key),
        ShardKeySelector::Fallback { target, fallback } => {
            Some(Missing::Both(target.clone(), fallback.clone()))
        }
    }
}
