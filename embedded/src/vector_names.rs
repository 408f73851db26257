//! Adding and removing a named vector on an existing collection
//! (`PUT`/`DELETE /collections/{name}/vectors/{vector}`). Existing points get no value for a
//! new vector; removing one drops its values. Both are shard updates, so they are logged and
//! replayed like any write.

use qdrant_edge::{
    CreateVectorName, DeleteVectorName, EdgeConfig, UpdateOperation, VectorNameConfig,
    VectorNameOperations,
};

use serde_json::Value;

use crate::engine::{EngineError, Meta, check_vector_name};

/// The update that creates `name`, or `None` when the collection already has it with the
/// same configuration (Qdrant answers that with success, changing nothing).
pub fn create(
    config: &EdgeConfig,
    name: &str,
    wanted: VectorNameConfig,
) -> Result<Option<UpdateOperation>, EngineError> {
    check_path_name(name)?;
    match &wanted {
        VectorNameConfig::Dense(dense) => {
            let size = dense.dense.size;
            if !(1..=65536).contains(&size) {
                return Err(EngineError::validation(format!(
                    "dense.size: value {size} invalid, must be from 1 to 65536"
                )));
            }
            if config.sparse_vectors.contains_key(name) {
                return Err(exists(name, "as a sparse vector"));
            }
            if let Some(have) = config.vectors.get(name) {
                let d = &dense.dense;
                let same = have.size == d.size
                    && have.distance == d.distance
                    && have.multivector_config == d.multivector_config
                    && have.datatype == d.datatype;
                return if same {
                    Ok(None)
                } else {
                    Err(exists(name, "with a different configuration"))
                };
            }
        }
        VectorNameConfig::Sparse(sparse) => {
            if config.vectors.contains_key(name) {
                return Err(exists(name, "as a dense vector"));
            }
            if let Some(have) = config.sparse_vectors.get(name) {
                let s = &sparse.sparse;
                return if have.modifier == s.modifier && have.datatype == s.datatype {
                    Ok(None)
                } else {
                    Err(EngineError::bad_input(format!(
                        "Sparse vector `{name}` already exists with a different configuration"
                    )))
                };
            }
        }
    }
    Ok(Some(UpdateOperation::VectorNameOperation(
        VectorNameOperations::CreateVectorName(CreateVectorName {
            vector_name: name.to_owned(),
            config: wanted,
        }),
    )))
}

/// The update that removes `name`; `None` when there is no such vector (a no-op for Qdrant).
pub fn delete(config: &EdgeConfig, name: &str) -> Result<Option<UpdateOperation>, EngineError> {
    check_path_name(name)?;
    if !config.vectors.contains_key(name) && !config.sparse_vectors.contains_key(name) {
        return Ok(None);
    }
    Ok(Some(UpdateOperation::VectorNameOperation(
        VectorNameOperations::DeleteVectorName(DeleteVectorName {
            vector_name: name.to_owned(),
        }),
    )))
}

/// Records a created vector in the REST-only metadata: a sparse vector's settings as
/// collection info reports them.
pub fn record(meta: &mut Meta, name: &str, config: &VectorNameConfig) {
    if let VectorNameConfig::Sparse(sparse) = config {
        let mut settings = serde_json::to_value(sparse.sparse).unwrap_or_default();
        if let Value::Object(members) = &mut settings {
            members.retain(|_, v| !v.is_null());
        }
        meta.sparse_vectors.insert(name.to_owned(), settings);
    }
}

/// Forgets a removed vector's REST-only metadata.
pub fn forget(meta: &mut Meta, name: &str) {
    meta.sparse_vectors.remove(name);
    meta.vector_hnsw.remove(name);
}

fn exists(name: &str, how: &str) -> EngineError {
    EngineError::bad_input(format!("Vector `{name}` already exists {how}"))
}

/// The vector name from the path, checked as Qdrant checks path parameters.
fn check_path_name(name: &str) -> Result<(), EngineError> {
    check_vector_name("vector_name", name).map_err(|e| {
        EngineError::new(
            422,
            e.message.replace(
                "Validation error in JSON body",
                "Validation error in path parameters",
            ),
        )
    })
}
