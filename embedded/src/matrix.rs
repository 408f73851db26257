//! The search matrix (`points/search/matrix/pairs` and `.../offsets`): a random sample of
//! the points that match a filter and have the vector, and for each of them its nearest
//! neighbours within the sample. Both stages are Query API requests on the one query path.

use qdrant_edge::{Filter, PointId};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::engine::{Collection, EngineError};
use crate::rest::{self, QueryRequestRest, from_value};
use crate::sharding::{Scope, ShardKeySelector};

/// `SearchMatrixRequest`.
#[derive(Deserialize)]
pub struct MatrixRequest {
    filter: Option<Filter>,
    sample: Option<usize>,
    limit: Option<usize>,
    using: Option<String>,
    shard_key: Option<ShardKeySelector>,
}

const DEFAULT_SAMPLE: usize = 10;
const DEFAULT_LIMIT: usize = 3;

/// The sampled ids in ascending order, and each one's nearest neighbours in the sample,
/// best first, itself left out.
pub struct Matrix {
    ids: Vec<PointId>,
    nearest: Vec<Vec<(PointId, f32)>>,
}

pub fn search(collection: &Collection, request: MatrixRequest) -> Result<Matrix, EngineError> {
    let sample = request.sample.unwrap_or(DEFAULT_SAMPLE);
    if sample < 2 {
        return Err(EngineError::validation(format!(
            "sample: value {sample} invalid, must be 2 or larger"
        )));
    }
    let limit = request.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 {
        return Err(EngineError::validation(
            "limit: value 0 invalid, must be 1 or larger",
        ));
    }
    rest::check_filter(request.filter.as_ref())?;
    let using = request.using.unwrap_or_default();
    rest::check_vector_exists(&collection.shard.config(), &using)?;
    let empty = Matrix {
        ids: vec![],
        nearest: vec![],
    };
    if collection.read_scope(request.shard_key.as_ref())? == Scope::Nothing {
        return Ok(empty);
    }
    // Only points that have the vector take part.
    let mut must = vec![json!({"has_vector": using})];
    if let Some(filter) = &request.filter {
        must.push(serde_json::to_value(filter).map_err(EngineError::internal)?);
    }
    let sampled = run(
        collection,
        json!({"query": {"sample": "random"}, "filter": {"must": must}, "limit": sample,
               "with_payload": false}),
    )?;
    if sampled.len() < 2 {
        return Ok(empty);
    }
    let mut ids: Vec<PointId> = sampled.into_iter().map(|(id, _)| id).collect();
    ids.sort_unstable();
    let in_sample = json!({"must": [{"has_id": ids}]});
    // A query by point id leaves that point out of its own results.
    let nearest = ids
        .iter()
        .map(|id| {
            run(
                collection,
                json!({"query": id, "using": using, "filter": in_sample, "limit": limit,
                       "with_payload": false}),
            )
        })
        .collect::<Result<_, _>>()?;
    Ok(Matrix { ids, nearest })
}

fn run(collection: &Collection, query: Value) -> Result<Vec<(PointId, f32)>, EngineError> {
    let query: QueryRequestRest = from_value(query)?;
    let (request, _) = rest::query_request(&collection.shard, &rest::Lookups::default(), query)?;
    Ok(collection
        .shard
        .query(request)?
        .into_iter()
        .map(|p| (p.id, p.score))
        .collect())
}

/// `SearchMatrixPairsResponse`.
pub fn pairs_json(matrix: Matrix) -> Value {
    let pairs: Vec<Value> = matrix
        .ids
        .iter()
        .zip(&matrix.nearest)
        .flat_map(|(a, row)| {
            row.iter()
                .map(move |(b, score)| json!({"a": a, "b": b, "score": rest::f32_json(*score)}))
        })
        .collect();
    json!({"pairs": pairs})
}

/// `SearchMatrixOffsetsResponse`: row and column offsets into `ids`.
pub fn offsets_json(matrix: Matrix) -> Value {
    let column = |id: &PointId| matrix.ids.binary_search(id).unwrap_or_default();
    let mut rows = Vec::new();
    let mut columns = Vec::new();
    let mut scores = Vec::new();
    for (row, nearest) in matrix.nearest.iter().enumerate() {
        for (id, score) in nearest {
            rows.push(row);
            columns.push(column(id));
            scores.push(rest::f32_json(*score));
        }
    }
    json!({"offsets_row": rows, "offsets_col": columns, "scores": scores, "ids": matrix.ids})
}
