//! The Query API, the older search endpoints (rewritten onto it), the search matrix and
//! facets.

use super::*;

/// The scored points of one query, as `[ScoredPoint]`.
pub(super) fn scored_points(
    engine: &Engine,
    collection: &Collection,
    request: rest::QueryRequestRest,
) -> Result<Value, EngineError> {
    let scope = collection.read_scope(request.shard_key.as_ref())?;
    let lookups = rest::Lookups::resolve(engine, &request)?;
    let (request, offset) = rest::query_request(&collection.shard, &lookups, request)?;
    if scope == Scope::Nothing {
        return Ok(json!([]));
    }
    let points = collection.shard.query(request)?;
    // `EdgeShard::query` fetches `limit + offset` and leaves the skip to the caller.
    Ok(points
        .into_iter()
        .skip(offset)
        .map(rest::scored_point_json)
        .collect())
}

pub(super) fn run_query(
    engine: &Engine,
    collection: &Collection,
    request: rest::QueryRequestRest,
) -> Result<Value, EngineError> {
    Ok(json!({"points": scored_points(engine, collection, request)?}))
}

pub(super) async fn query_points(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let result = async {
        let collection = state.engine.get(&name)?;
        let request: rest::QueryRequestRest = parse_optional_body(&body)?;
        let engine = state.engine.clone();
        blocking(move || run_query(&engine, &collection, request)).await
    };
    reply(started, result.await)
}

pub(super) async fn query_batch(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    #[derive(Deserialize)]
    struct Batch {
        searches: Vec<rest::QueryRequestRest>,
    }
    let result = async {
        let collection = state.engine.get(&name)?;
        let batch: Batch = parse_body(&body)?;
        let engine = state.engine.clone();
        blocking(move || {
            let results = batch
                .searches
                .into_iter()
                .map(|request| run_query(&engine, &collection, request))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Array(results))
        })
        .await
    };
    reply(started, result.await)
}

pub(super) async fn matrix_pairs(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    search_matrix(state, name, body, matrix::pairs_json).await
}

pub(super) async fn matrix_offsets(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    search_matrix(state, name, body, matrix::offsets_json).await
}

/// The search matrix, answered by `format` as pairs or offsets.
pub(super) async fn search_matrix(
    state: AppState,
    name: String,
    body: Bytes,
    format: fn(matrix::Matrix) -> Value,
) -> Response {
    let started = Instant::now();
    let result = async {
        let collection = state.engine.get(&name)?;
        let request: matrix::MatrixRequest = parse_optional_body(&body)?;
        blocking(move || Ok(format(matrix::search(&collection, request)?))).await
    };
    reply(started, result.await)
}

/// `POST /collections/{name}/facet`: the most frequent values of an indexed payload key.
pub(super) async fn facet(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let result = async {
        let collection = state.engine.get(&name)?;
        let request: rest::FacetRest = parse_body(&body)?;
        let scope = collection.read_scope(request.shard_key.as_ref())?;
        let request = rest::facet_request(request)?;
        if scope == Scope::Nothing {
            return Ok(json!({"hits": []}));
        }
        blocking(move || Ok(rest::facet_json(collection.shard.facet(request)?))).await
    };
    reply(started, result.await)
}

/// Which older endpoint a request came in on.
#[derive(Clone, Copy)]
pub(super) enum Legacy {
    Search,
    Recommend,
    Discover,
}

impl Legacy {
    fn request(self, body: Value) -> Result<rest::QueryRequestRest, EngineError> {
        match self {
            Legacy::Search => legacy::search(body),
            Legacy::Recommend => legacy::recommend(body),
            Legacy::Discover => legacy::discover(body),
        }
    }
}

pub(super) async fn legacy_one(
    state: AppState,
    name: String,
    body: Bytes,
    kind: Legacy,
) -> Response {
    let started = Instant::now();
    let result = async {
        let collection = state.engine.get(&name)?;
        let request = kind.request(parse_body(&body)?)?;
        let engine = state.engine.clone();
        blocking(move || scored_points(&engine, &collection, request)).await
    };
    reply(started, result.await)
}

pub(super) async fn legacy_batch(
    state: AppState,
    name: String,
    body: Bytes,
    kind: Legacy,
) -> Response {
    let started = Instant::now();
    let result = async {
        let collection = state.engine.get(&name)?;
        let batch: legacy::Batch = parse_body(&body)?;
        let requests = batch
            .searches
            .into_iter()
            .map(|body| kind.request(body))
            .collect::<Result<Vec<_>, _>>()?;
        let engine = state.engine.clone();
        blocking(move || {
            let results = requests
                .into_iter()
                .map(|request| scored_points(&engine, &collection, request))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Array(results))
        })
        .await
    };
    reply(started, result.await)
}

pub(super) async fn legacy_groups(
    state: AppState,
    name: String,
    body: Bytes,
    kind: legacy::GroupsOf,
) -> Response {
    let started = Instant::now();
    let result = async {
        let collection = state.engine.get(&name)?;
        let groups = legacy::groups(kind, parse_body(&body)?)?;
        let engine = state.engine.clone();
        blocking(move || legacy::run_groups(&engine, &collection, groups)).await
    };
    reply(started, result.await)
}

pub(super) async fn search_points(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    legacy_one(state, name, body, Legacy::Search).await
}

pub(super) async fn search_batch(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    legacy_batch(state, name, body, Legacy::Search).await
}

pub(super) async fn recommend_points(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    legacy_one(state, name, body, Legacy::Recommend).await
}

pub(super) async fn recommend_batch(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    legacy_batch(state, name, body, Legacy::Recommend).await
}

pub(super) async fn discover_points(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    legacy_one(state, name, body, Legacy::Discover).await
}

pub(super) async fn discover_batch(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    legacy_batch(state, name, body, Legacy::Discover).await
}

pub(super) async fn search_groups(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    legacy_groups(state, name, body, legacy::GroupsOf::Search).await
}

pub(super) async fn recommend_groups(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    legacy_groups(state, name, body, legacy::GroupsOf::Recommend).await
}

pub(super) async fn query_groups(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    legacy_groups(state, name, body, legacy::GroupsOf::Query).await
}
