//! Qdrant's REST surface: routes, the `{"result","status","time"}` envelope, error bodies
//! and api-key checks, per `openapi-v1.18.json`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use qdrant_edge::external::ordered_float::OrderedFloat;
use qdrant_edge::{
    DEFAULT_VECTOR_NAME, Distance, EdgeShard, Filter, NamedQuery, OperationError,
    PointInsertOperations, PointOperations, PointStructPersisted, QueryEnum, QueryRequest,
    ScoredPoint, ScoringQuery, SearchParams, UpdateOperation, VectorInternal,
    VectorStructPersisted, WithPayloadInterface, WithVector,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::engine::{Engine, EngineError};

/// Qdrant's default cap on request bodies.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
/// The Qdrant release whose REST API this server follows.
const COMPATIBLE_VERSION: &str = "1.18.0";

#[derive(Clone)]
struct AppState {
    engine: Arc<Engine>,
    operations: Arc<AtomicU64>,
}

pub fn router(engine: Arc<Engine>, api_key: Option<String>) -> Router {
    let state = AppState {
        engine,
        operations: Arc::new(AtomicU64::new(0)),
    };
    let protected = Router::new()
        .route("/collections", get(list_collections))
        .route(
            "/collections/{name}",
            put(create_collection)
                .delete(delete_collection)
                .get(collection_info),
        )
        .route("/collections/{name}/exists", get(collection_exists))
        .route("/collections/{name}/points", put(upsert_points))
        .route("/collections/{name}/points/query", post(query_points))
        .layer(middleware::from_fn_with_state(
            api_key.map(Arc::new),
            require_api_key,
        ));
    // As in Qdrant, the root and health endpoints stay open when an api-key is set.
    Router::new()
        .route("/", get(root))
        .route("/healthz", get(health))
        .route("/livez", get(health))
        .route("/readyz", get(|| async { "all shards are ready" }))
        .merge(protected)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

async fn require_api_key(
    State(expected): State<Option<Arc<String>>>,
    headers: HeaderMap,
    request: Request,
    next: Next,
) -> Response {
    let Some(expected) = expected else {
        return next.run(request).await;
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let given = headers
        .get("api-key")
        .and_then(|v| v.to_str().ok())
        .or(bearer);
    match given {
        Some(key) if key == expected.as_str() => next.run(request).await,
        Some(_) => (StatusCode::UNAUTHORIZED, "Invalid API key or JWT").into_response(),
        None => (
            StatusCode::UNAUTHORIZED,
            "Must provide an API key or an Authorization bearer token",
        )
            .into_response(),
    }
}

/// `{"result": .., "status": "ok", "time": seconds}`.
fn ok(started: Instant, result: Value) -> Response {
    let body = json!({"result": result, "status": "ok", "time": started.elapsed().as_secs_f64()});
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// `{"status": {"error": ..}, "time": seconds}` with Qdrant's status code.
fn error(started: Instant, e: EngineError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = json!({"status": {"error": e.message}, "time": started.elapsed().as_secs_f64()});
    (status, axum::Json(body)).into_response()
}

fn reply(started: Instant, result: Result<Value, EngineError>) -> Response {
    match result {
        Ok(value) => ok(started, value),
        Err(e) => error(started, e),
    }
}

fn parse_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, EngineError> {
    serde_json::from_slice(body)
        .map_err(|e| EngineError::new(400, format!("Json deserialize error: {e}")))
}

/// Runs blocking engine work off the async workers.
async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> Result<R, EngineError> + Send + 'static,
) -> Result<R, EngineError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(EngineError::new(
            500,
            format!("Service internal error: {e}"),
        ))
    })
}

async fn root() -> Response {
    axum::Json(json!({"title": "qdrant - vector search engine", "version": COMPATIBLE_VERSION}))
        .into_response()
}

async fn health() -> &'static str {
    "healthz check passed"
}

async fn list_collections(State(state): State<AppState>) -> Response {
    let started = Instant::now();
    let names: Vec<Value> = state
        .engine
        .names()
        .into_iter()
        .map(|name| json!({"name": name}))
        .collect();
    ok(started, json!({"collections": names}))
}

#[derive(Deserialize)]
struct CreateCollection {
    vectors: VectorParams,
}

#[derive(Deserialize)]
struct VectorParams {
    size: usize,
    distance: Distance,
}

async fn create_collection(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let result = async {
        let request: CreateCollection = parse_body(&body)?;
        let engine = state.engine.clone();
        blocking(move || engine.create(&name, request.vectors.size, request.vectors.distance))
            .await?;
        Ok(json!(true))
    };
    reply(started, result.await)
}

async fn delete_collection(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let started = Instant::now();
    let engine = state.engine.clone();
    reply(
        started,
        blocking(move || engine.delete(&name))
            .await
            .map(Value::Bool),
    )
}

async fn collection_exists(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let started = Instant::now();
    ok(started, json!({"exists": state.engine.exists(&name)}))
}

async fn collection_info(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let started = Instant::now();
    let result = state.engine.get(&name).map(|collection| {
        let info = collection.shard.info();
        let config = collection.shard.config();
        let vectors = config.vectors.get(DEFAULT_VECTOR_NAME).map(|v| json!({"size": v.size, "distance": v.distance}));
        json!({
            "status": "green",
            "optimizer_status": "ok",
            "indexed_vectors_count": info.indexed_vectors_count,
            "points_count": info.points_count,
            "segments_count": info.segments_count,
            "config": {
                "params": {"vectors": vectors, "shard_number": 1, "replication_factor": 1,
                           "write_consistency_factor": 1, "on_disk_payload": config.on_disk_payload},
                "hnsw_config": config.hnsw_config,
                "optimizer_config": {},
            },
            "payload_schema": {},
        })
    });
    reply(started, result)
}

#[derive(Deserialize)]
struct UpsertPoints {
    points: Vec<PointStructPersisted>,
}

async fn upsert_points(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let wait = params.get("wait").is_some_and(|w| w == "true");
    let result = async {
        let collection = state.engine.get(&name)?;
        let request: UpsertPoints = parse_body(&body)?;
        check_dimensions(&collection.shard, &request.points)?;
        blocking(move || {
            collection.write(|shard| {
                shard.update(UpdateOperation::PointOperation(
                    PointOperations::UpsertPoints(PointInsertOperations::PointsList(
                        request.points,
                    )),
                ))
            })
        })
        .await?;
        let operation_id = state.operations.fetch_add(1, Ordering::Relaxed);
        // Writes are applied before the reply either way; `wait` only changes what is reported.
        let status = if wait { "completed" } else { "acknowledged" };
        Ok(json!({"operation_id": operation_id, "status": status}))
    };
    reply(started, result.await)
}

/// Qdrant rejects the whole batch when one vector has the wrong size; the shard applies
/// upserts in chunks, so check first to keep the request all-or-nothing.
fn check_dimensions(shard: &EdgeShard, points: &[PointStructPersisted]) -> Result<(), EngineError> {
    let config = shard.config();
    for point in points {
        if let VectorStructPersisted::Single(vector) = &point.vector {
            let Some(params) = config.vectors.get(DEFAULT_VECTOR_NAME) else {
                return Err(OperationError::VectorNameNotExists {
                    received_name: DEFAULT_VECTOR_NAME.into(),
                }
                .into());
            };
            if vector.len() != params.size {
                return Err(OperationError::WrongVectorDimension {
                    expected_dim: params.size,
                    received_dim: vector.len(),
                }
                .into());
            }
        }
    }
    Ok(())
}

#[derive(Deserialize)]
struct QueryPoints {
    query: Option<Value>,
    using: Option<String>,
    filter: Option<Filter>,
    limit: Option<usize>,
    offset: Option<usize>,
    score_threshold: Option<f32>,
    with_payload: Option<WithPayloadInterface>,
    with_vector: Option<WithVector>,
    params: Option<SearchParams>,
}

async fn query_points(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let result = async {
        let collection = state.engine.get(&name)?;
        let request: QueryPoints = parse_body(&body)?;
        let offset = request.offset.unwrap_or(0);
        let query = match request.query {
            None => None,
            Some(q) => Some(ScoringQuery::Vector(QueryEnum::Nearest(NamedQuery {
                query: VectorInternal::Dense(dense_query(q)?),
                using: request.using.clone(),
            }))),
        };
        let shard_request = QueryRequest {
            prefetches: vec![],
            query,
            filter: request.filter,
            score_threshold: request.score_threshold.map(OrderedFloat),
            limit: request.limit.unwrap_or(10),
            offset,
            params: request.params,
            with_vector: request.with_vector.unwrap_or(WithVector::Bool(false)),
            with_payload: request
                .with_payload
                .unwrap_or(WithPayloadInterface::Bool(false)),
        };
        let points = blocking(move || Ok(collection.shard.query(shard_request)?)).await?;
        // `EdgeShard::query` fetches `limit + offset` and leaves the skip to the caller.
        let points: Vec<Value> = points
            .into_iter()
            .skip(offset)
            .map(scored_point_json)
            .collect();
        Ok(json!({"points": points}))
    };
    reply(started, result.await)
}

/// A dense query: `[..]` or `{"nearest": [..]}`.
fn dense_query(query: Value) -> Result<Vec<f32>, EngineError> {
    let vector = match query {
        Value::Object(mut map) if map.contains_key("nearest") => {
            map.remove("nearest").unwrap_or_default()
        }
        other => other,
    };
    serde_json::from_value(vector).map_err(|_| {
        EngineError::new(
            400,
            "Wrong input: the embedded engine answers dense vector queries only",
        )
    })
}

fn scored_point_json(point: ScoredPoint) -> Value {
    let mut out = json!({"id": point.id, "version": point.version, "score": point.score});
    if let Some(payload) = point.payload {
        out["payload"] = Value::Object(payload.0);
    }
    if let Some(vector) = point.vector {
        out["vector"] =
            serde_json::to_value(VectorStructPersisted::from(vector)).unwrap_or(Value::Null);
    }
    out
}
