//! Collections: create, change, delete and describe them; their aliases, shard keys and
//! payload indexes.

use super::QdrantClient;
use crate::error::Result;
use crate::types;

impl QdrantClient {
    /// Creates a collection of `vector_size`-dimensional vectors; `distance` is one of
    /// Cosine, Dot, Euclid, Manhattan (any case).
    pub async fn create_collection(
        &self,
        name: &str,
        vector_size: u64,
        distance: &str,
    ) -> Result<()> {
        let distance = parse_distance(distance)?;
        call!(
            self,
            collection = name,
            call_create_collection(name, vector_size, distance)
        )
    }

    /// Creates a collection with named dense vectors: `(name, size, distance)` each.
    pub async fn create_collection_multi_vector(
        &self,
        name: &str,
        vectors: Vec<(&str, u64, &str)>,
    ) -> Result<()> {
        let vectors = vectors
            .into_iter()
            .map(|(vector, size, distance)| {
                Ok(types::VectorParams::new(
                    vector,
                    size,
                    parse_distance(distance)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        self.create_collection_with(name, &types::CollectionConfig::new(vectors))
            .await
    }

    /// Creates a collection with any layout (named and sparse vectors) and options.
    pub async fn create_collection_with(
        &self,
        name: &str,
        config: &types::CollectionConfig,
    ) -> Result<()> {
        call!(
            self,
            collection = name,
            call_create_collection_with(name, config)
        )
    }

    /// Changes HNSW or quantization settings.
    pub async fn update_collection(
        &self,
        name: &str,
        update: types::CollectionUpdate,
    ) -> Result<()> {
        call!(
            self,
            collection = name,
            call_update_collection(name, update)
        )
    }

    /// Turns on `"scalar"` (int8), `"binary"` or `"product"` (x16) quantization.
    pub async fn enable_quantization(&self, name: &str, kind: &str) -> Result<()> {
        let quantization = types::Quantization::named(kind)?;
        let update = types::CollectionUpdate {
            hnsw: None,
            quantization: Some(types::QuantizationChange::Enable(quantization)),
        };
        self.update_collection(name, update).await
    }

    /// Deletes a collection; deleting one that does not exist is not an error.
    pub async fn delete_collection(&self, name: &str) -> Result<()> {
        call!(self, collection = name, call_delete_collection(name)).map(|_existed| ())
    }

    pub async fn collection_exists(&self, name: &str) -> Result<bool> {
        call!(self, collection = name, call_collection_exists(name))
    }

    /// Status, point count and configuration.
    pub async fn collection_info(&self, name: &str) -> Result<types::CollectionInfo> {
        call!(self, collection = name, call_get_collection(name))
    }

    pub async fn list_collections(&self) -> Result<Vec<String>> {
        call!(self, call_list_collections())
    }

    pub async fn create_alias(&self, alias: &str, collection: &str) -> Result<()> {
        call!(
            self,
            collection = collection,
            call_create_alias(alias, collection)
        )
    }

    pub async fn delete_alias(&self, alias: &str) -> Result<()> {
        call!(self, call_delete_alias(alias))
    }

    /// All aliases, or those of `collection`.
    pub async fn list_aliases(&self, collection: Option<&str>) -> Result<Vec<types::Alias>> {
        call!(self, call_list_aliases(collection))
    }

    /// Creates the shards of `key` in a collection made with
    /// [`types::ShardingMethod::Custom`].
    pub async fn create_shard_key(
        &self,
        collection: &str,
        key: impl Into<types::ShardKey>,
    ) -> Result<()> {
        let key = key.into();
        call!(
            self,
            collection = collection,
            call_create_shard_key(collection, &key)
        )
    }

    /// Deletes the shards of `key`, and the points in them.
    pub async fn delete_shard_key(
        &self,
        collection: &str,
        key: impl Into<types::ShardKey>,
    ) -> Result<()> {
        let key = key.into();
        call!(
            self,
            collection = collection,
            call_delete_shard_key(collection, &key)
        )
    }

    /// The shard keys of a collection (none for automatic sharding).
    pub async fn list_shard_keys(&self, collection: &str) -> Result<Vec<types::ShardKey>> {
        call!(
            self,
            collection = collection,
            call_list_shard_keys(collection)
        )
    }

    pub async fn create_payload_index(
        &self,
        collection: &str,
        field: &str,
        schema: types::PayloadSchemaType,
        wait: bool,
    ) -> Result<types::UpdateResult> {
        call!(
            self,
            collection = collection,
            call_create_payload_index(collection, field, schema, wait)
        )
    }

    pub async fn delete_payload_index(
        &self,
        collection: &str,
        field: &str,
        wait: bool,
    ) -> Result<types::UpdateResult> {
        call!(
            self,
            collection = collection,
            call_delete_payload_index(collection, field, wait)
        )
    }
}

fn parse_distance(distance: &str) -> Result<types::Distance> {
    distance.parse()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn distances_parse_in_any_case_and_unknown_ones_are_named() {
        assert_eq!(parse_distance("COSINE").unwrap(), types::Distance::Cosine);
        assert_eq!(
            parse_distance("euclidean").unwrap(),
            types::Distance::Euclid
        );
        let Err(Error::InvalidInput(message)) = parse_distance("hamming") else {
            panic!("hamming accepted");
        };
        assert!(message.contains("hamming"));
    }
}
