//! Payload indexes: created and deleted per field, and Qdrant's names of their types.

use serde_json::json;

use crate::Error;
use crate::model::{PayloadSchemaType, UpdateResult};
use crate::rest::{Qdrant, Retry, collection_path, percent_encode, update_result};
use crate::transport::{Method, Transport};

impl<T: Transport> Qdrant<T> {
    pub fn create_payload_index(
        &self,
        collection: &str,
        field: &str,
        schema: PayloadSchemaType,
        wait: bool,
    ) -> Result<UpdateResult, Error> {
        check_field(field)?;
        let path = self.write_path(collection_path(collection, "/index")?, wait);
        let body = json!({"field_name": field, "field_schema": schema_name(schema)});
        update_result(&self.result(Method::Put, &path, Some(body), Retry::Idempotent)?)
    }

    pub fn delete_payload_index(
        &self,
        collection: &str,
        field: &str,
        wait: bool,
    ) -> Result<UpdateResult, Error> {
        check_field(field)?;
        let suffix = format!("/index/{}", percent_encode(field));
        let path = self.write_path(collection_path(collection, &suffix)?, wait);
        update_result(&self.result(Method::Delete, &path, None, Retry::Idempotent)?)
    }
}

fn check_field(field: &str) -> Result<(), Error> {
    if field.trim().is_empty() {
        return Err(Error::InvalidInput("field name must not be empty".into()));
    }
    Ok(())
}

/// Qdrant's name of a payload index type (hosts that link this crate use it too).
pub fn schema_name(schema: PayloadSchemaType) -> &'static str {
    match schema {
        PayloadSchemaType::Keyword => "keyword",
        PayloadSchemaType::Integer => "integer",
        PayloadSchemaType::Float => "float",
        PayloadSchemaType::Boolean => "bool",
        PayloadSchemaType::Geo => "geo",
        PayloadSchemaType::Datetime => "datetime",
        PayloadSchemaType::Text => "text",
        PayloadSchemaType::Uuid => "uuid",
    }
}

pub(super) fn schema_from_name(name: &str) -> Option<PayloadSchemaType> {
    Some(match name {
        "keyword" => PayloadSchemaType::Keyword,
        "integer" => PayloadSchemaType::Integer,
        "float" => PayloadSchemaType::Float,
        "bool" => PayloadSchemaType::Boolean,
        "geo" => PayloadSchemaType::Geo,
        "datetime" => PayloadSchemaType::Datetime,
        "text" => PayloadSchemaType::Text,
        "uuid" => PayloadSchemaType::Uuid,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{OK_UPDATE, Recorder, client};

    #[test]
    fn payload_indexes_use_qdrant_shapes() {
        let rec = Recorder::default()
            .reply(200, OK_UPDATE)
            .reply(200, OK_UPDATE);
        let c = client(&rec, None);
        let done = c
            .create_payload_index("c", "flag", PayloadSchemaType::Boolean, true)
            .unwrap();
        assert!(done.completed);
        c.delete_payload_index("c", "a b", false).unwrap();
        assert_eq!(
            rec.urls(),
            [
                "http://qdrant:6333/collections/c/index?wait=true",
                "http://qdrant:6333/collections/c/index/a%20b?wait=false",
            ]
        );
        assert_eq!(
            rec.bodies()[0],
            json!({"field_name": "flag", "field_schema": "bool"})
        );
    }
}
