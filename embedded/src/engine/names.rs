//! The rules for collection and vector names, which both become path components.

use super::EngineError;

/// Characters Qdrant refuses in collection and vector names: both become path components.
const FORBIDDEN: &[char] = &['/', '\\', '*', '<', '>', ':', '|', '?', '"', '\0'];

/// Vector names become directory names (`vector_storage-{name}`), so Qdrant holds them to the
/// collection-name rules: at most 200 bytes, none of [`FORBIDDEN`]; 422 otherwise.
pub fn check_vector_name(field: &str, name: &str) -> Result<(), EngineError> {
    if name.len() > 200 {
        return Err(EngineError::validation(format!(
            "{field}: vector name must be at most 200 bytes long"
        )));
    }
    if name.contains(FORBIDDEN) {
        return Err(EngineError::validation(format!(
            "{field}: vector name cannot contain any of {FORBIDDEN:?}"
        )));
    }
    Ok(())
}

pub fn check_name(name: &str) -> Result<(), EngineError> {
    if name.is_empty() || name.len() > 255 || name.contains(FORBIDDEN) || name.starts_with('.') {
        return Err(EngineError::new(
            422,
            format!(
                "Validation error in path parameters: [name: collection name `{name}` is invalid]"
            ),
        ));
    }
    Ok(())
}
