//! Qdrant's REST surface: routes, the `{"result","status","time"}` envelope, error bodies
//! and api-key checks, per `openapi-v1.18.json`. The handlers live by area in `http/`:
//! collections, points, search and snapshots.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use qdrant_edge::{
    CountRequest, CreateIndex, FieldIndexOperations, Filter, JsonPath, OrderByInterface,
    PayloadFieldSchema, PointId, ScrollRequest, UpdateOperation, VectorNameConfig,
    WithPayloadInterface, WithVector,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::engine::{AliasAction, Collection, Engine, EngineError};
use crate::legacy;
use crate::matrix;
use crate::rest;
use crate::sharding::{self, Scope, ShardKeySelector};
use crate::snapshot;
use crate::updates::{self, UpdateRest};
use crate::vector_names;

mod collections;
mod points;
mod search;
mod snapshots;

use collections::*;
use points::*;
use search::*;
use snapshots::*;

/// Qdrant's default cap on request bodies.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
/// The Qdrant release whose REST API this server follows.
const COMPATIBLE_VERSION: &str = "1.18.0";

#[derive(Clone)]
struct AppState {
    engine: Arc<Engine>,
    operations: Arc<AtomicU64>,
}

type Params = Query<HashMap<String, String>>;

pub fn router(engine: Arc<Engine>, api_key: Option<String>) -> Router {
    let state = AppState {
        engine,
        operations: Arc::new(AtomicU64::new(0)),
    };
    let protected = Router::new()
        .route("/collections", get(list_collections))
        .route("/aliases", get(list_aliases))
        .route("/collections/aliases", post(update_aliases))
        .route(
            "/collections/{name}",
            put(create_collection)
                .delete(delete_collection)
                .get(collection_info)
                .patch(update_collection),
        )
        .route("/collections/{name}/exists", get(collection_exists))
        .route(
            "/collections/{name}/vectors/{vector}",
            put(create_vector_name).delete(delete_vector_name),
        )
        .route("/collections/{name}/aliases", get(collection_aliases))
        .route(
            "/collections/{name}/points",
            put(upsert_points).post(get_points),
        )
        .route("/collections/{name}/points/{id}", get(get_point))
        .route("/collections/{name}/points/delete", post(delete_points))
        .route("/collections/{name}/points/batch", post(batch_update))
        .route("/collections/{name}/points/vectors", put(update_vectors))
        .route(
            "/collections/{name}/points/vectors/delete",
            post(delete_vectors),
        )
        .route(
            "/collections/{name}/points/payload",
            post(set_payload).put(overwrite_payload),
        )
        .route(
            "/collections/{name}/points/payload/delete",
            post(delete_payload),
        )
        .route(
            "/collections/{name}/points/payload/clear",
            post(clear_payload),
        )
        .route("/collections/{name}/points/count", post(count_points))
        .route("/collections/{name}/points/scroll", post(scroll_points))
        .route("/collections/{name}/points/query", post(query_points))
        .route("/collections/{name}/points/query/batch", post(query_batch))
        .route(
            "/collections/{name}/points/query/groups",
            post(query_groups),
        )
        .route("/collections/{name}/points/search", post(search_points))
        .route(
            "/collections/{name}/points/search/batch",
            post(search_batch),
        )
        .route(
            "/collections/{name}/points/search/groups",
            post(search_groups),
        )
        .route(
            "/collections/{name}/points/recommend",
            post(recommend_points),
        )
        .route(
            "/collections/{name}/points/recommend/batch",
            post(recommend_batch),
        )
        .route(
            "/collections/{name}/points/recommend/groups",
            post(recommend_groups),
        )
        .route("/collections/{name}/points/discover", post(discover_points))
        .route(
            "/collections/{name}/points/discover/batch",
            post(discover_batch),
        )
        .route("/collections/{name}/facet", post(facet))
        .route(
            "/collections/{name}/points/search/matrix/pairs",
            post(matrix_pairs),
        )
        .route(
            "/collections/{name}/points/search/matrix/offsets",
            post(matrix_offsets),
        )
        .route(
            "/collections/{name}/shards",
            put(create_shard_key).get(list_shard_keys),
        )
        .route("/collections/{name}/shards/delete", post(delete_shard_key))
        .route("/collections/{name}/index", put(create_index))
        .route(
            "/collections/{name}/index/{field}",
            axum::routing::delete(delete_index),
        )
        .route(
            "/snapshots",
            post(create_full_snapshot).get(list_full_snapshots),
        )
        .route(
            "/snapshots/{snapshot}",
            get(download_full_snapshot).delete(delete_full_snapshot),
        )
        .route(
            "/collections/{name}/snapshots",
            post(create_snapshot).get(list_snapshots),
        )
        .route(
            "/collections/{name}/snapshots/recover",
            put(recover_snapshot),
        )
        .route(
            "/collections/{name}/snapshots/{snapshot}",
            get(download_snapshot).delete(delete_snapshot),
        )
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

/// An optional body: empty means `{}`.
fn parse_optional_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, EngineError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        parse_body(&Bytes::from_static(b"{}"))
    } else {
        parse_body(body)
    }
}

/// Runs blocking engine work off the async workers; a panic becomes a 500, never a crash.
async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> Result<R, EngineError> + Send + 'static,
) -> Result<R, EngineError> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(EngineError::internal(e)))
}

/// `?wait=true|false` (default `default`).
fn wait_param(params: &HashMap<String, String>, default: bool) -> Result<bool, EngineError> {
    match params.get("wait").map(String::as_str) {
        None => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(other) => Err(EngineError::new(
            400,
            format!("Query deserialize error: failed to parse `wait`: `{other}` is not a boolean"),
        )),
    }
}

async fn root() -> Response {
    axum::Json(json!({"title": "qdrant - vector search engine", "version": COMPATIBLE_VERSION}))
        .into_response()
}

async fn health() -> &'static str {
    "healthz check passed"
}

// ---------------------------------------------------------------------------------------------
// Points: writes
// ---------------------------------------------------------------------------------------------

/// Applies an update under the write gate; `{"operation_id", "status"}`.
async fn write(
    state: &AppState,
    collection: Arc<Collection>,
    wait: bool,
    operation: UpdateOperation,
) -> Result<Value, EngineError> {
    blocking(move || collection.write(|shard| shard.update(operation))).await?;
    Ok(acknowledge(state, wait))
}

/// `{"operation_id", "status"}` for an update that has been applied (or had nothing to do).
fn acknowledge(state: &AppState, wait: bool) -> Value {
    let operation_id = state.operations.fetch_add(1, Ordering::Relaxed);
    // Writes are applied before the reply either way; `wait` only changes what is reported.
    let status = if wait { "completed" } else { "acknowledged" };
    json!({"operation_id": operation_id, "status": status})
}
