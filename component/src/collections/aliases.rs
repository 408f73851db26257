//! Aliases: other names of collections, created, deleted and listed.

use serde_json::{Value, json};

use crate::Error;
use crate::model::Alias;
use crate::rest::{Qdrant, Retry, check_name, collection_path, decode};
use crate::transport::{Method, Transport};

impl<T: Transport> Qdrant<T> {
    pub fn create_alias(&self, alias: &str, collection: &str) -> Result<(), Error> {
        check_name(alias, "alias")?;
        check_name(collection, "collection name")?;
        let action = json!({"create_alias": {"collection_name": collection, "alias_name": alias}});
        self.alias_actions(action, Retry::Never)
    }

    pub fn delete_alias(&self, alias: &str) -> Result<(), Error> {
        check_name(alias, "alias")?;
        // Qdrant refuses to delete an alias that is gone: a resent delete whose first answer
        // was lost would report a failure for a delete that worked. Never resent.
        self.alias_actions(json!({"delete_alias": {"alias_name": alias}}), Retry::Never)
    }

    fn alias_actions(&self, action: Value, retry: Retry) -> Result<(), Error> {
        let path = self.timed_path("/collections/aliases".into());
        self.result(
            Method::Post,
            &path,
            Some(json!({"actions": [action]})),
            retry,
        )
        .map(|_| ())
    }

    pub fn list_aliases(&self, collection: Option<&str>) -> Result<Vec<Alias>, Error> {
        let path = match collection {
            Some(name) => collection_path(name, "/aliases")?,
            None => "/aliases".into(),
        };
        let result = self.result(Method::Get, &path, None, Retry::Idempotent)?;
        result
            .get("aliases")
            .and_then(Value::as_array)
            .ok_or_else(|| decode("list aliases: no `aliases` list"))?
            .iter()
            .map(|a| {
                let field = |k: &str| a.get(k).and_then(Value::as_str).map(str::to_owned);
                match (field("alias_name"), field("collection_name")) {
                    (Some(alias), Some(collection)) => Ok(Alias { alias, collection }),
                    _ => Err(decode("alias without alias_name or collection_name")),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{OK_TRUE, Recorder, client, ok};

    #[test]
    fn creating_or_deleting_an_alias_is_sent_once() {
        for delete in [false, true] {
            let rec = Recorder::default()
                .fail(Error::Connection("reset".into()))
                .reply(200, OK_TRUE);
            let c = client(&rec, None);
            let outcome = match delete {
                true => c.delete_alias("prod"),
                false => c.create_alias("prod", "c"),
            };
            assert!(matches!(outcome, Err(Error::Connection(_))), "{outcome:?}");
            assert_eq!(rec.sent.borrow().len(), 1);
        }
    }

    #[test]
    fn aliases_use_qdrant_shapes() {
        let aliases = ok(json!({"aliases": [{"alias_name": "prod", "collection_name": "c"}]}));
        let rec = Recorder::default().reply(200, OK_TRUE).reply(200, &aliases);
        let c = client(&rec, None);
        c.create_alias("prod", "c").unwrap();
        assert_eq!(
            c.list_aliases(Some("c")).unwrap(),
            [Alias {
                alias: "prod".into(),
                collection: "c".into()
            }]
        );
        assert_eq!(
            rec.urls(),
            [
                "http://qdrant:6333/collections/aliases",
                "http://qdrant:6333/collections/c/aliases",
            ]
        );
        assert_eq!(
            rec.bodies()[0],
            json!({"actions": [{"create_alias": {"collection_name": "c", "alias_name": "prod"}}]})
        );
    }
}
