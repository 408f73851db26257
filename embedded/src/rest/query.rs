//! Query bodies: the Query API (and facets) translated to `qdrant-edge` queries, with
//! examples by point id looked up in this or another collection (`lookup_from`).

use super::*;

/// `FacetRequest`.
#[derive(Deserialize)]
pub struct FacetRest {
    key: JsonPath,
    limit: Option<usize>,
    filter: Option<Filter>,
    exact: Option<bool>,
    pub shard_key: Option<ShardKeySelector>,
}

pub fn facet_request(request: FacetRest) -> Result<FacetRequest, EngineError> {
    let limit = request.limit.unwrap_or(10);
    if limit == 0 {
        return Err(EngineError::validation(
            "limit: value 0 invalid, must be 1 or larger",
        ));
    }
    check_filter(request.filter.as_ref())?;
    Ok(FacetRequest {
        key: request.key,
        limit,
        filter: request.filter,
        exact: request.exact.unwrap_or(false),
    })
}

/// `FacetResponse`: hits by descending count, then ascending value.
pub fn facet_json(response: FacetResponse) -> Value {
    let hits: Vec<Value> = response
        .hits
        .into_iter()
        .map(|hit| {
            let value = match hit.value {
                FacetValue::Keyword(s) => Value::String(s),
                FacetValue::Int(i) => Value::from(i),
                FacetValue::Uuid(u) => Value::String(uuid::Uuid::from_u128(u).to_string()),
                FacetValue::Bool(b) => Value::Bool(b),
            };
            json!({"value": value, "count": hit.count})
        })
        .collect();
    json!({"hits": hits})
}

// ---------------------------------------------------------------------------------------------
// Query
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize, Clone)]
pub struct QueryRequestRest {
    pub prefetch: Option<Value>,
    pub query: Option<Value>,
    pub using: Option<String>,
    pub filter: Option<Filter>,
    pub params: Option<SearchParams>,
    pub score_threshold: Option<f32>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
    pub with_vector: Option<WithVector>,
    pub with_payload: Option<WithPayloadInterface>,
    pub lookup_from: Option<LookupFrom>,
    pub shard_key: Option<ShardKeySelector>,
}

/// `lookup_from`: the collection (and vector) whose points give the vectors of examples
/// named by id.
#[derive(Deserialize, Clone)]
pub struct LookupFrom {
    pub collection: String,
    pub vector: Option<String>,
}

/// The collections a query's `lookup_from`s name, at the root and in any prefetch, held
/// open while the query runs.
#[derive(Default)]
pub struct Lookups {
    collections: HashMap<String, std::sync::Arc<Collection>>,
}

impl Lookups {
    pub fn resolve(engine: &Engine, request: &QueryRequestRest) -> Result<Self, EngineError> {
        let mut names = Vec::new();
        if let Some(from) = &request.lookup_from {
            names.push(from.collection.clone());
        }
        if let Some(prefetch) = &request.prefetch {
            prefetch_lookups(prefetch, &mut names);
        }
        let mut lookups = Lookups::default();
        for name in names {
            if let std::collections::hash_map::Entry::Vacant(slot) = lookups.collections.entry(name)
            {
                // Taken while the request holds the queried collection: see the method.
                let collection = engine.get_without_waiting(slot.key())?;
                slot.insert(collection);
            }
        }
        Ok(lookups)
    }

    /// The examples source for a stage with this `lookup_from`.
    fn source<'a>(
        &'a self,
        from: Option<&'a LookupFrom>,
    ) -> Option<(&'a EdgeShard, Option<&'a str>)> {
        let from = from?;
        let collection = self.collections.get(&from.collection)?;
        Some((&collection.shard, from.vector.as_deref()))
    }
}

/// The collection names of `lookup_from`s in a prefetch (one or a list) and its nested ones.
/// Malformed members are left for the parse to report.
pub(crate) fn prefetch_lookups(prefetch: &Value, names: &mut Vec<String>) {
    let stages = match prefetch {
        Value::Array(list) => list.iter().collect(),
        one => vec![one],
    };
    for stage in stages {
        if let Some(name) = stage
            .get("lookup_from")
            .and_then(|from| from.get("collection"))
            .and_then(Value::as_str)
        {
            names.push(name.to_owned());
        }
        if let Some(nested) = stage.get("prefetch") {
            prefetch_lookups(nested, names);
        }
    }
}

/// Where examples named by point id take their vectors: the queried collection (and the
/// ids are left out of the results), or `lookup_from`'s.
pub(crate) struct Examples<'a> {
    shard: &'a EdgeShard,
    lookup: Option<(&'a EdgeShard, Option<&'a str>)>,
}

#[derive(Deserialize)]
pub(crate) struct PrefetchRest {
    prefetch: Option<Value>,
    query: Option<Value>,
    using: Option<String>,
    filter: Option<Filter>,
    params: Option<SearchParams>,
    score_threshold: Option<f32>,
    limit: Option<usize>,
    lookup_from: Option<LookupFrom>,
}

pub(crate) const DEFAULT_LIMIT: usize = 10;

/// Translates a REST query into a shard query; the offset is left for the caller to apply.
/// `lookups` holds the collections its `lookup_from`s name, resolved by the caller.
pub fn query_request(
    shard: &EdgeShard,
    lookups: &Lookups,
    request: QueryRequestRest,
) -> Result<(QueryRequest, usize), EngineError> {
    let limit = request.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 {
        return Err(EngineError::validation(
            "limit: value 0 invalid, must be 1 or larger",
        ));
    }
    let examples = examples(shard, lookups, request.lookup_from.as_ref())?;
    check_filter(request.filter.as_ref())?;
    let offset = request.offset.unwrap_or(0);
    let prefetches = prefetches(shard, lookups, request.prefetch)?;
    let mut filter = request.filter;
    let query = match request.query {
        None | Some(Value::Null) => None,
        Some(q) => {
            let (query, exclude) = scoring_query(
                &examples,
                q,
                request.using.as_deref(),
                !prefetches.is_empty(),
            )?;
            filter = exclude_ids(filter, exclude);
            Some(query)
        }
    };
    if query.is_none() && !prefetches.is_empty() {
        // Qdrant answers a prefetch without a root query with the first prefetch's results.
    }
    let request = QueryRequest {
        prefetches,
        query,
        filter,
        score_threshold: request.score_threshold.map(OrderedFloat),
        limit,
        offset,
        params: request.params,
        with_vector: request.with_vector.unwrap_or(WithVector::Bool(false)),
        with_payload: request
            .with_payload
            .unwrap_or(WithPayloadInterface::Bool(false)),
    };
    Ok((request, offset))
}

pub(crate) fn examples<'a>(
    shard: &'a EdgeShard,
    lookups: &'a Lookups,
    from: Option<&'a LookupFrom>,
) -> Result<Examples<'a>, EngineError> {
    let lookup = lookups.source(from);
    if from.is_some() && lookup.is_none() {
        return Err(EngineError::internal("lookup_from was not resolved"));
    }
    Ok(Examples { shard, lookup })
}

pub(crate) fn prefetches(
    shard: &EdgeShard,
    lookups: &Lookups,
    value: Option<Value>,
) -> Result<Vec<Prefetch>, EngineError> {
    let list = match value {
        None | Some(Value::Null) => return Ok(vec![]),
        Some(Value::Array(list)) => list,
        Some(one) => vec![one],
    };
    list.into_iter()
        .map(|p| {
            let p: PrefetchRest = from_value(p)?;
            let limit = p.limit.unwrap_or(DEFAULT_LIMIT);
            if limit == 0 {
                return Err(EngineError::validation(
                    "prefetch.limit: value 0 invalid, must be 1 or larger",
                ));
            }
            check_filter(p.filter.as_ref())?;
            let nested = prefetches(shard, lookups, p.prefetch)?;
            let mut filter = p.filter;
            let query = match p.query {
                None | Some(Value::Null) => None,
                Some(q) => {
                    let examples = examples(shard, lookups, p.lookup_from.as_ref())?;
                    let (query, exclude) =
                        scoring_query(&examples, q, p.using.as_deref(), !nested.is_empty())?;
                    filter = exclude_ids(filter, exclude);
                    Some(query)
                }
            };
            Ok(Prefetch {
                prefetches: nested,
                query,
                limit,
                params: p.params,
                filter,
                score_threshold: p.score_threshold.map(OrderedFloat),
            })
        })
        .collect()
}

pub(crate) fn exclude_ids(filter: Option<Filter>, ids: Vec<PointId>) -> Option<Filter> {
    if ids.is_empty() {
        return filter;
    }
    let condition = qdrant_edge::Condition::HasId(ids.into_iter().collect::<HasIdCondition>());
    let mut filter = filter.unwrap_or_default();
    filter.must_not.get_or_insert_with(Vec::new).push(condition);
    Some(filter)
}

/// A REST `Query`/`VectorInput`, with the point ids it references (excluded from results).
pub(crate) fn scoring_query(
    examples: &Examples,
    query: Value,
    using: Option<&str>,
    has_prefetch: bool,
) -> Result<(ScoringQuery, Vec<PointId>), EngineError> {
    let using_name = using.unwrap_or(DEFAULT_VECTOR_NAME);
    let mut referenced = Vec::new();
    let Value::Object(mut map) = query else {
        let vector = vector_input(examples, query, using_name, &mut referenced)?;
        return Ok((nearest(vector, using), referenced));
    };
    let scoring = if let Some(nearest_input) = map.remove("nearest") {
        let vector = vector_input(examples, nearest_input, using_name, &mut referenced)?;
        match map.remove("mmr") {
            Some(Value::Null) | None => nearest(vector, using),
            Some(mmr) => {
                #[derive(Deserialize)]
                struct MmrRest {
                    diversity: Option<f32>,
                    candidates_limit: Option<usize>,
                }
                let m: MmrRest = from_value(mmr)?;
                let diversity = m.diversity.unwrap_or(0.5);
                if !(0.0..=1.0).contains(&diversity) {
                    return Err(EngineError::validation(
                        "query.mmr.diversity: must be in 0.0..=1.0",
                    ));
                }
                ScoringQuery::Mmr(Mmr {
                    vector,
                    using: using_name.to_owned(),
                    lambda: OrderedFloat(1.0 - diversity),
                    candidates_limit: m.candidates_limit.unwrap_or(100),
                })
            }
        }
    } else if let Some(fusion) = map.remove("fusion") {
        match fusion.as_str() {
            Some("rrf") => ScoringQuery::Fusion(Fusion::Rrf {
                k: 2,
                weights: None,
            }),
            Some("dbsf") => ScoringQuery::Fusion(Fusion::Dbsf),
            _ => {
                return Err(EngineError::new(
                    400,
                    format!(
                        "Json deserialize error: unknown fusion `{fusion}`, expected `rrf` or `dbsf`"
                    ),
                ));
            }
        }
    } else if let Some(rrf) = map.remove("rrf") {
        #[derive(Deserialize)]
        struct RrfRest {
            k: Option<usize>,
            weights: Option<Vec<f32>>,
        }
        let r: RrfRest = from_value(rrf)?;
        ScoringQuery::Fusion(Fusion::Rrf {
            k: r.k.unwrap_or(2),
            weights: r.weights.map(|w| w.into_iter().map(OrderedFloat).collect()),
        })
    } else if let Some(order_by) = map.remove("order_by") {
        let order_by: OrderByInterface = from_value(order_by)?;
        ScoringQuery::OrderBy(order_by.into())
    } else if let Some(sample) = map.remove("sample") {
        match sample.as_str() {
            Some("random") => ScoringQuery::Sample(Sample::Random),
            _ => {
                return Err(EngineError::new(
                    400,
                    "Json deserialize error: unknown sample, expected `random`",
                ));
            }
        }
    } else if let Some(recommend) = map.remove("recommend") {
        #[derive(Deserialize)]
        struct RecommendRest {
            positive: Option<Vec<Value>>,
            negative: Option<Vec<Value>>,
            strategy: Option<String>,
        }
        let r: RecommendRest = from_value(recommend)?;
        let mut resolve = |list: Option<Vec<Value>>| -> Result<Vec<VectorInternal>, EngineError> {
            list.unwrap_or_default()
                .into_iter()
                .map(|v| vector_input(examples, v, using_name, &mut referenced))
                .collect()
        };
        let positives = resolve(r.positive)?;
        let negatives = resolve(r.negative)?;
        match r.strategy.as_deref().unwrap_or("average_vector") {
            "average_vector" => {
                let vector = average_vector(&positives, &negatives)?;
                nearest(vector, using)
            }
            strategy @ ("best_score" | "sum_scores") => {
                let query = NamedQuery {
                    query: RecommendQuery::new(positives, negatives),
                    using: using.map(str::to_owned),
                };
                ScoringQuery::Vector(if strategy == "best_score" {
                    QueryEnum::RecommendBestScore(query)
                } else {
                    QueryEnum::RecommendSumScores(query)
                })
            }
            other => {
                return Err(EngineError::new(
                    400,
                    format!(
                        "Json deserialize error: unknown variant `{other}`, expected one of `average_vector`, `best_score`, `sum_scores`"
                    ),
                ));
            }
        }
    } else if map.contains_key("indices") && map.contains_key("values") {
        let vector = vector_input(examples, Value::Object(map), using_name, &mut referenced)?;
        return Ok((nearest(vector, using), referenced));
    } else if map.contains_key("formula") {
        return Err(EngineError::bad_input(
            "formula queries are not supported by the embedded engine",
        ));
    } else if let Some(discover) = map.remove("discover") {
        #[derive(Deserialize)]
        struct DiscoverRest {
            target: Value,
            context: Value,
        }
        let d: DiscoverRest = from_value(discover)?;
        let target = vector_input(examples, d.target, using_name, &mut referenced)?;
        let pairs = context_pairs(examples, d.context, using_name, &mut referenced)?;
        ScoringQuery::Vector(QueryEnum::Discover(NamedQuery {
            query: DiscoverQuery::new(target, pairs),
            using: using.map(str::to_owned),
        }))
    } else if let Some(context) = map.remove("context") {
        let pairs = context_pairs(examples, context, using_name, &mut referenced)?;
        if pairs.is_empty() {
            return Err(EngineError::bad_input(
                "context query needs at least one pair of positive and negative examples",
            ));
        }
        ScoringQuery::Vector(QueryEnum::Context(NamedQuery {
            query: ContextQuery::new(pairs),
            using: using.map(str::to_owned),
        }))
    } else if map.contains_key("relevance_feedback") {
        return Err(EngineError::bad_input(
            "relevance feedback queries are not supported by the embedded engine",
        ));
    } else if ["text", "image", "object"]
        .iter()
        .any(|k| map.contains_key(*k))
    {
        return Err(EngineError::bad_input(
            "inference (documents, images, objects) is not supported by the embedded engine",
        ));
    } else {
        return Err(EngineError::new(
            400,
            "Json deserialize error: data did not match any variant of untagged enum QueryInterface",
        ));
    };
    if matches!(scoring, ScoringQuery::Fusion(_)) && !has_prefetch {
        return Err(EngineError::bad_input("Fusion queries require prefetches"));
    }
    Ok((scoring, referenced))
}

/// A `ContextInput`: one `{positive, negative}` pair or a list of them.
pub(crate) fn context_pairs(
    examples: &Examples,
    context: Value,
    using: &str,
    referenced: &mut Vec<PointId>,
) -> Result<Vec<ContextPair<VectorInternal>>, EngineError> {
    #[derive(Deserialize)]
    struct PairRest {
        positive: Value,
        negative: Value,
    }
    let list = match context {
        Value::Null => vec![],
        Value::Array(list) => list,
        one => vec![one],
    };
    list.into_iter()
        .map(|pair| {
            let pair: PairRest = from_value(pair)?;
            Ok(ContextPair {
                positive: vector_input(examples, pair.positive, using, referenced)?,
                negative: vector_input(examples, pair.negative, using, referenced)?,
            })
        })
        .collect()
}

pub(crate) fn nearest(vector: VectorInternal, using: Option<&str>) -> ScoringQuery {
    ScoringQuery::Vector(QueryEnum::Nearest(NamedQuery {
        query: vector,
        using: using.map(str::to_owned),
    }))
}

pub(crate) fn average_vector(
    positives: &[VectorInternal],
    negatives: &[VectorInternal],
) -> Result<VectorInternal, EngineError> {
    let dense = |v: &VectorInternal| match v {
        VectorInternal::Dense(d) => Ok(d.clone()),
        _ => Err(EngineError::bad_input(
            "average_vector recommendation needs dense vectors",
        )),
    };
    let Some(first) = positives.first() else {
        return Err(EngineError::bad_input(
            "At least one positive vector ID required",
        ));
    };
    let dim = dense(first)?.len();
    let mean = |list: &[VectorInternal]| -> Result<Vec<f32>, EngineError> {
        let mut sum = vec![0.0f32; dim];
        for v in list {
            for (s, x) in sum.iter_mut().zip(dense(v)?) {
                *s += x;
            }
        }
        let n = list.len().max(1) as f32;
        Ok(sum.into_iter().map(|s| s / n).collect())
    };
    let pos = mean(positives)?;
    if negatives.is_empty() {
        return Ok(VectorInternal::Dense(pos));
    }
    let neg = mean(negatives)?;
    Ok(VectorInternal::Dense(
        pos.iter().zip(&neg).map(|(p, n)| p + p - n).collect(),
    ))
}

/// A `VectorInput`: dense, sparse or multi-dense vector, or a point id (whose stored vector
/// `using` is taken). Checks it against the collection config.
pub(crate) fn vector_input(
    examples: &Examples,
    input: Value,
    using: &str,
    referenced: &mut Vec<PointId>,
) -> Result<VectorInternal, EngineError> {
    let shard = examples.shard;
    let vector = match input {
        Value::Number(_) | Value::String(_) => {
            let id: PointId = from_value(input)?;
            let config = shard.config().clone();
            if !config.vectors.contains_key(using) && !config.sparse_vectors.contains_key(using) {
                return Err(vector_name_error(using));
            }
            let (source, name) = match examples.lookup {
                Some((lookup, vector)) => (lookup, vector.unwrap_or(using)),
                None => {
                    referenced.push(id);
                    (shard, using)
                }
            };
            let records = source.retrieve(
                &[id],
                Some(WithPayloadInterface::Bool(false)),
                Some(WithVector::Selector(vec![name.to_owned()])),
            )?;
            let Some(record) = records.into_iter().next() else {
                return Err(EngineError::new(
                    404,
                    format!("Not found: No point with id {id} found"),
                ));
            };
            let mut vector = record.vector;
            let Some(vector) = VectorStructInternal::take_opt(&mut vector, name) else {
                return Err(EngineError::bad_input(format!(
                    "Point {id} has no vector `{name}`"
                )));
            };
            if examples.lookup.is_some() {
                // From another collection: it must fit this one's `using`.
                check_vector(&config, using, &vector)?;
            }
            return Ok(vector);
        }
        Value::Array(list) => {
            if list.first().is_some_and(Value::is_array) {
                let multi: Vec<Vec<f32>> = from_value(Value::Array(list))?;
                check_multi(&multi)?;
                VectorInternal::MultiDense(TypedMultiDenseVector::new_unchecked(multi))
            } else {
                VectorInternal::Dense(from_value(Value::Array(list))?)
            }
        }
        Value::Object(map) if map.contains_key("indices") => {
            #[derive(Deserialize)]
            struct SparseRest {
                indices: Vec<u32>,
                values: Vec<f32>,
            }
            let s: SparseRest = from_value(Value::Object(map))?;
            let sparse = SparseVector {
                indices: s.indices,
                values: s.values,
            };
            check_sparse(&sparse)?;
            VectorInternal::Sparse(sparse)
        }
        Value::Object(map)
            if ["text", "image", "object"]
                .iter()
                .any(|k| map.contains_key(*k)) =>
        {
            return Err(EngineError::bad_input(
                "inference (documents, images, objects) is not supported by the embedded engine",
            ));
        }
        _ => {
            return Err(EngineError::new(
                400,
                "Json deserialize error: data did not match any variant of untagged enum VectorInput",
            ));
        }
    };
    check_vector(&shard.config(), using, &vector)?;
    Ok(vector)
}
