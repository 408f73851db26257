//! Aliases: other names of collections, kept in `<data>/aliases.json` and changed
//! all-or-nothing.

use std::collections::BTreeMap;
use std::path::Path;

use super::{Engine, EngineError, check_name, io_error, lock};

const ALIASES_FILE: &str = "aliases.json";

/// The saved aliases, or none when the file is missing or unreadable.
pub(super) fn load_aliases(root: &Path) -> BTreeMap<String, String> {
    std::fs::read(root.join(ALIASES_FILE))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

impl Engine {
    pub fn aliases(&self) -> Vec<(String, String)> {
        self.aliases
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(a, c)| (a.clone(), c.clone()))
            .collect()
    }

    /// Applies alias actions all-or-nothing.
    pub fn update_aliases(&self, actions: Vec<AliasAction>) -> Result<(), EngineError> {
        let _admin = lock(&self.admin);
        let collections = self.collections.read().unwrap_or_else(|p| p.into_inner());
        let mut aliases = self.aliases.write().unwrap_or_else(|p| p.into_inner());
        let mut next = aliases.clone();
        for action in actions {
            match action {
                AliasAction::Create {
                    collection_name,
                    alias_name,
                } => {
                    check_name(&alias_name)?;
                    if !collections.contains_key(&collection_name) {
                        return Err(EngineError::not_found(&collection_name));
                    }
                    if collections.contains_key(&alias_name) {
                        return Err(EngineError::new(
                            409,
                            format!(
                                "Wrong input: Collection with the same name `{alias_name}` already exists!"
                            ),
                        ));
                    }
                    next.insert(alias_name, collection_name);
                }
                AliasAction::Delete { alias_name } => {
                    if next.remove(&alias_name).is_none() {
                        return Err(alias_not_found(&alias_name));
                    }
                }
                AliasAction::Rename {
                    old_alias_name,
                    new_alias_name,
                } => {
                    check_name(&new_alias_name)?;
                    let Some(target) = next.remove(&old_alias_name) else {
                        return Err(alias_not_found(&old_alias_name));
                    };
                    if collections.contains_key(&new_alias_name) {
                        return Err(EngineError::new(
                            409,
                            format!(
                                "Wrong input: Collection with the same name `{new_alias_name}` already exists!"
                            ),
                        ));
                    }
                    next.insert(new_alias_name, target);
                }
            }
        }
        self.save_aliases(&next)?;
        *aliases = next;
        Ok(())
    }

    pub(super) fn save_aliases(
        &self,
        aliases: &BTreeMap<String, String>,
    ) -> Result<(), EngineError> {
        let text = serde_json::to_vec_pretty(aliases).map_err(EngineError::internal)?;
        let tmp = self.root.join(format!("{ALIASES_FILE}.tmp"));
        std::fs::write(&tmp, text).map_err(io_error)?;
        std::fs::rename(&tmp, self.root.join(ALIASES_FILE)).map_err(io_error)
    }
}

pub enum AliasAction {
    Create {
        collection_name: String,
        alias_name: String,
    },
    Delete {
        alias_name: String,
    },
    Rename {
        old_alias_name: String,
        new_alias_name: String,
    },
}

fn alias_not_found(alias: &str) -> EngineError {
    EngineError::new(404, format!("Not found: Alias `{alias}` doesn't exist!"))
}
