//! Qdrant's older search endpoints, answered through the Query API's path: `points/search`,
//! `points/recommend`, `points/discover` and their `batch` forms are rewritten as `points/query` requests, and
//! the `groups` forms of search, recommend and query group what one query returns. There is
//! no second search implementation: every score comes from [`rest::query_request`].

use std::collections::{HashMap, HashSet};

use qdrant_edge::{JsonPath, Payload, PayloadSelector, PointId, WithPayloadInterface, WithVector};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::engine::{Collection, Engine, EngineError};
use crate::rest::{self, QueryRequestRest, from_value};
use crate::sharding::Scope;

/// The fields a `SearchRequest` shares with a `QueryRequest`, passed on as they are.
#[derive(Deserialize)]
struct Common {
    filter: Option<Value>,
    params: Option<Value>,
    offset: Option<usize>,
    with_payload: Option<Value>,
    #[serde(alias = "with_vectors")]
    with_vector: Option<Value>,
    score_threshold: Option<Value>,
    shard_key: Option<Value>,
}

impl Common {
    fn into_query(self, query: Value, using: Option<Value>, limit: Option<usize>) -> Value {
        let mut out = Map::new();
        out.insert("query".into(), query);
        let fields = [
            ("using", using),
            ("filter", self.filter),
            ("params", self.params),
            ("limit", limit.map(Value::from)),
            ("offset", self.offset.map(Value::from)),
            ("with_payload", self.with_payload),
            ("with_vector", self.with_vector),
            ("score_threshold", self.score_threshold),
            ("shard_key", self.shard_key),
        ];
        for (name, value) in fields {
            if let Some(value) = value {
                out.insert(name.into(), value);
            }
        }
        Value::Object(out)
    }
}

/// `points/search`'s `SearchRequest` (`limit` is required, but not in its `groups` form).
#[derive(Deserialize)]
struct Search {
    vector: Value,
    limit: Option<usize>,
    #[serde(flatten)]
    common: Common,
}

fn missing(field: &str) -> EngineError {
    EngineError::new(
        400,
        format!("Json deserialize error: missing field `{field}`"),
    )
}

/// A `NamedVectorStruct`: a bare dense vector, or `{name, vector}` with a dense or sparse one.
fn named_vector(vector: Value) -> Result<(Value, Option<Value>), EngineError> {
    match vector {
        Value::Array(_) => Ok((vector, None)),
        Value::Object(mut map) if map.contains_key("name") && map.contains_key("vector") => {
            let name = map.remove("name");
            let vector = map.remove("vector").unwrap_or(Value::Null);
            Ok((vector, name))
        }
        _ => Err(EngineError::new(
            400,
            "Json deserialize error: data did not match any variant of untagged enum NamedVectorStruct",
        )),
    }
}

/// A `SearchRequest` body as the equivalent `QueryRequest`.
pub fn search(body: Value) -> Result<QueryRequestRest, EngineError> {
    let search: Search = from_value(body)?;
    let limit = search.limit.ok_or_else(|| missing("limit"))?;
    let (query, using) = named_vector(search.vector)?;
    from_value(search.common.into_query(query, using, Some(limit)))
}

/// `points/recommend`'s `RecommendRequest`.
#[derive(Deserialize)]
struct Recommend {
    #[serde(default)]
    positive: Vec<Value>,
    #[serde(default)]
    negative: Vec<Value>,
    strategy: Option<Value>,
    using: Option<Value>,
    lookup_from: Option<Value>,
    limit: Option<usize>,
    #[serde(flatten)]
    common: Common,
}

fn recommend_query(recommend: Recommend, limit: Option<usize>) -> Value {
    let mut reco = json!({"positive": recommend.positive, "negative": recommend.negative});
    if let Some(strategy) = recommend.strategy {
        reco["strategy"] = strategy;
    }
    let mut query = recommend
        .common
        .into_query(json!({"recommend": reco}), recommend.using, limit);
    if let Some(lookup_from) = recommend.lookup_from {
        query["lookup_from"] = lookup_from;
    }
    query
}

/// A `RecommendRequest` body as the equivalent `QueryRequest`.
pub fn recommend(body: Value) -> Result<QueryRequestRest, EngineError> {
    let recommend: Recommend = from_value(body)?;
    let limit = recommend.limit.ok_or_else(|| missing("limit"))?;
    from_value(recommend_query(recommend, Some(limit)))
}

/// `points/discover`'s `DiscoverRequest`: a discovery query with a target, a context query
/// without one.
#[derive(Deserialize)]
struct Discover {
    target: Option<Value>,
    context: Option<Value>,
    using: Option<Value>,
    lookup_from: Option<Value>,
    limit: Option<usize>,
    #[serde(flatten)]
    common: Common,
}

/// A `DiscoverRequest` body as the equivalent `QueryRequest`.
pub fn discover(body: Value) -> Result<QueryRequestRest, EngineError> {
    let discover: Discover = from_value(body)?;
    let limit = discover.limit.ok_or_else(|| missing("limit"))?;
    let context = discover.context.unwrap_or(Value::Array(vec![]));
    let query = match discover.target {
        Some(target) => json!({"discover": {"target": target, "context": context}}),
        None => json!({"context": context}),
    };
    let mut query = discover
        .common
        .into_query(query, discover.using, Some(limit));
    if let Some(lookup_from) = discover.lookup_from {
        query["lookup_from"] = lookup_from;
    }
    from_value(query)
}

/// `{"searches": [...]}`, the body of every `batch` endpoint.
#[derive(Deserialize)]
pub struct Batch {
    pub searches: Vec<Value>,
}

// ---------------------------------------------------------------------------------------------
// Groups
// ---------------------------------------------------------------------------------------------

/// The grouping fields of `SearchGroupsRequest`, `RecommendGroupsRequest` and
/// `QueryGroupsRequest`.
#[derive(Deserialize)]
struct GroupFields {
    group_by: String,
    group_size: Option<usize>,
    limit: Option<usize>,
    with_lookup: Option<Value>,
}

/// Where `with_lookup` reads each group's record.
struct Lookup {
    collection: String,
    with_payload: WithPayloadInterface,
    with_vector: WithVector,
}

/// A grouped query: the query itself (its `limit` and `offset` are set while grouping) and
/// how to group.
pub struct Groups {
    query: QueryRequestRest,
    group_by: JsonPath,
    group_size: usize,
    limit: usize,
    lookup: Option<Lookup>,
}

/// How a `groups` body names its query.
pub enum GroupsOf {
    Search,
    Recommend,
    Query,
}

/// Splits a `groups` body into the query and its grouping.
pub fn groups(kind: GroupsOf, mut body: Value) -> Result<Groups, EngineError> {
    let fields: GroupFields = from_value(body.clone())?;
    if let Some(map) = body.as_object_mut() {
        for key in ["group_by", "group_size", "limit", "with_lookup"] {
            map.remove(key);
        }
    }
    // Search and recommend require both sizes; the Query API defaults them.
    let (group_size, limit) = match kind {
        GroupsOf::Query => (fields.group_size.unwrap_or(3), fields.limit.unwrap_or(10)),
        GroupsOf::Search | GroupsOf::Recommend => (
            fields.group_size.ok_or_else(|| missing("group_size"))?,
            fields.limit.ok_or_else(|| missing("limit"))?,
        ),
    };
    if group_size == 0 {
        return Err(EngineError::validation(
            "group_size: value 0 invalid, must be 1 or larger",
        ));
    }
    if limit == 0 {
        return Err(EngineError::validation(
            "limit: value 0 invalid, must be 1 or larger",
        ));
    }
    let group_by: JsonPath = from_value(Value::String(fields.group_by))?;
    let query = match kind {
        GroupsOf::Search => {
            let search: Search = from_value(body)?;
            let (query, using) = named_vector(search.vector)?;
            from_value(search.common.into_query(query, using, None))?
        }
        GroupsOf::Recommend => {
            let recommend: Recommend = from_value(body)?;
            from_value(recommend_query(recommend, None))?
        }
        GroupsOf::Query => from_value(body)?,
    };
    let lookup = fields.with_lookup.map(lookup).transpose()?;
    Ok(Groups {
        query,
        group_by,
        group_size,
        limit,
        lookup,
    })
}

fn lookup(value: Value) -> Result<Lookup, EngineError> {
    #[derive(Deserialize)]
    struct WithLookup {
        collection: String,
        with_payload: Option<WithPayloadInterface>,
        #[serde(alias = "with_vector")]
        with_vectors: Option<WithVector>,
    }
    let with: WithLookup = match value {
        Value::String(collection) => WithLookup {
            collection,
            with_payload: None,
            with_vectors: None,
        },
        other => from_value(other)?,
    };
    Ok(Lookup {
        collection: with.collection,
        with_payload: with
            .with_payload
            .unwrap_or(WithPayloadInterface::Bool(true)),
        with_vector: with.with_vectors.unwrap_or(WithVector::Bool(false)),
    })
}

/// At most this many points are read while filling groups (Qdrant also bounds its rounds).
const MAX_GROUPED_POINTS: usize = 100_000;

/// Runs a grouped query: the best-scoring points, taken in score order into groups by the
/// value(s) at `group_by` (strings and integers; points without one are skipped), until
/// `limit` groups hold `group_size` points each or the query runs out. Groups are ordered by
/// their best point.
pub fn run_groups(
    engine: &Engine,
    collection: &Collection,
    groups: Groups,
) -> Result<Value, EngineError> {
    let Groups {
        mut query,
        group_by,
        group_size,
        limit,
        lookup,
    } = groups;
    let with_payload = query
        .with_payload
        .take()
        .unwrap_or(WithPayloadInterface::Bool(false));
    query.with_payload = Some(WithPayloadInterface::Bool(true));
    query.offset = None; // no `groups` request has one
    if collection.read_scope(query.shard_key.as_ref())? == Scope::Nothing {
        return Ok(json!({"groups": []}));
    }
    let mut fetch = limit
        .saturating_mul(group_size)
        .saturating_mul(4)
        .clamp(64, MAX_GROUPED_POINTS);
    loop {
        query.limit = Some(fetch);
        let lookups = rest::Lookups::resolve(engine, &query)?;
        let (request, _) = rest::query_request(&collection.shard, &lookups, query.clone())?;
        let points = collection.shard.query(request)?;
        let exhausted = points.len() < fetch;
        let mut order: Vec<Value> = Vec::new();
        let mut members: HashMap<String, Vec<Value>> = HashMap::new();
        for mut point in points {
            let keys = group_keys(point.payload.as_ref(), &group_by);
            point.payload = point
                .payload
                .take()
                .and_then(|payload| project(payload, &with_payload));
            let json = rest::scored_point_json(point);
            for key in keys {
                let id = key.to_string();
                let hits = members.entry(id).or_insert_with(|| {
                    if order.len() < limit {
                        order.push(key.clone());
                    }
                    Vec::new()
                });
                if hits.len() < group_size {
                    hits.push(json.clone());
                }
            }
        }
        let full = order.len() == limit
            && order
                .iter()
                .all(|key| members[&key.to_string()].len() == group_size);
        if full || exhausted || fetch >= MAX_GROUPED_POINTS {
            let lookups = match &lookup {
                Some(lookup) => lookup_records(engine, lookup, &order)?,
                None => HashMap::new(),
            };
            let groups: Vec<Value> = order
                .into_iter()
                .map(|key| {
                    let hits = members.remove(&key.to_string()).unwrap_or_default();
                    let mut group = json!({"id": key, "hits": hits});
                    if let Some(record) = lookups.get(&key.to_string()) {
                        group["lookup"] = record.clone();
                    }
                    group
                })
                .collect();
            return Ok(json!({"groups": groups}));
        }
        fetch = (fetch * 4).min(MAX_GROUPED_POINTS);
    }
}

/// The group ids of a point: each string or integer at `path` (arrays are looked into).
fn group_keys(payload: Option<&Payload>, path: &JsonPath) -> Vec<Value> {
    let Some(payload) = payload else {
        return vec![];
    };
    let mut keys = Vec::new();
    let mut seen = HashSet::new();
    let mut add = |value: &Value| {
        let usable = matches!(value, Value::String(_))
            || value.as_i64().is_some()
            || value.as_u64().is_some();
        if usable && seen.insert(value.to_string()) {
            keys.push(value.clone());
        }
    };
    for value in path.value_get(&payload.0) {
        match value {
            Value::Array(items) => items.iter().for_each(&mut add),
            other => add(other),
        }
    }
    keys
}

/// The payload a point is returned with, as `with_payload` selects it.
fn project(payload: Payload, with_payload: &WithPayloadInterface) -> Option<Payload> {
    match with_payload {
        WithPayloadInterface::Bool(true) => Some(payload),
        WithPayloadInterface::Bool(false) => None,
        WithPayloadInterface::Fields(fields) => {
            Some(PayloadSelector::new_include(fields.clone()).process(payload))
        }
        WithPayloadInterface::Selector(selector) => Some(selector.process(payload)),
    }
}

/// `with_lookup`: the record whose id is each group's id, from the lookup collection.
fn lookup_records(
    engine: &Engine,
    lookup: &Lookup,
    keys: &[Value],
) -> Result<HashMap<String, Value>, EngineError> {
    let collection = engine.get(&lookup.collection)?;
    let ids: Vec<PointId> = keys
        .iter()
        .filter_map(|key| serde_json::from_value(key.clone()).ok())
        .collect();
    let records = collection.shard.retrieve(
        &ids,
        Some(lookup.with_payload.clone()),
        Some(lookup.with_vector.clone()),
    )?;
    Ok(records
        .into_iter()
        .map(|record| {
            let json = rest::record_json(record);
            (json["id"].to_string(), json)
        })
        .collect())
}
