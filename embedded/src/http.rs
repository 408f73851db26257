//! Qdrant's REST surface: routes, the `{"result","status","time"}` envelope, error bodies
//! and api-key checks, per `openapi-v1.18.json`.

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
// Collections
// ---------------------------------------------------------------------------------------------

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

async fn create_collection(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let result = async {
        crate::engine::check_name(&name)?;
        let request: rest::CreateCollection = parse_optional_body(&body)?;
        let (config, meta) = rest::collection_config(request)?;
        let engine = state.engine.clone();
        blocking(move || engine.create(&name, config, meta)).await?;
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

async fn update_collection(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let result = async {
        let update: rest::UpdateCollection = parse_optional_body(&body)?;
        let engine = state.engine.clone();
        blocking(move || {
            let collection = engine.get(&name)?;
            let mut config = collection.shard.config().clone();
            let mut meta = collection.meta();
            rest::apply_update(&mut config, &mut meta, &update)?;
            let before = collection.shard.config().clone();
            let needs_reopen = config.quantization_config != before.quantization_config
                || config.on_disk_payload != before.on_disk_payload
                || config.vectors != before.vectors
                || config.sparse_vectors != before.sparse_vectors;
            collection.update_meta(|m| *m = meta)?;
            if needs_reopen {
                drop(collection);
                engine.reopen(&name, |dir| config.save(dir).map_err(EngineError::from))?;
            } else {
                collection.with_gate(|shard| -> Result<(), EngineError> {
                    if config.hnsw_config != before.hnsw_config {
                        shard.set_hnsw_config(config.hnsw_config)?;
                    }
                    if config.optimizers != before.optimizers {
                        shard.set_optimizers_config(config.optimizers.clone())?;
                    }
                    Ok(())
                })?;
                drop(collection);
            }
            engine.get(&name)?.request_optimization();
            Ok(json!(true))
        })
        .await
    };
    reply(started, result.await)
}

async fn collection_exists(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let started = Instant::now();
    ok(started, json!({"exists": state.engine.exists(&name)}))
}

async fn collection_info(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let started = Instant::now();
    let engine = state.engine.clone();
    let result = blocking(move || {
        let collection = engine.get(&name)?;
        Ok(rest::collection_info(&collection))
    })
    .await;
    reply(started, result)
}

// ---------------------------------------------------------------------------------------------
// Aliases
// ---------------------------------------------------------------------------------------------

fn aliases_json(aliases: Vec<(String, String)>) -> Value {
    let list: Vec<Value> = aliases
        .into_iter()
        .map(|(alias, collection)| json!({"alias_name": alias, "collection_name": collection}))
        .collect();
    json!({"aliases": list})
}

async fn list_aliases(State(state): State<AppState>) -> Response {
    let started = Instant::now();
    ok(started, aliases_json(state.engine.aliases()))
}

async fn collection_aliases(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let started = Instant::now();
    let result = state.engine.get(&name).map(|_| {
        let target = state.engine.resolve(&name);
        aliases_json(
            state
                .engine
                .aliases()
                .into_iter()
                .filter(|(_, c)| *c == target)
                .collect(),
        )
    });
    reply(started, result)
}

async fn update_aliases(State(state): State<AppState>, body: Bytes) -> Response {
    let started = Instant::now();
    #[derive(Deserialize)]
    struct Actions {
        actions: Vec<Value>,
    }
    #[derive(Deserialize)]
    struct Create {
        collection_name: String,
        alias_name: String,
    }
    #[derive(Deserialize)]
    struct Delete {
        alias_name: String,
    }
    #[derive(Deserialize)]
    struct Rename {
        old_alias_name: String,
        new_alias_name: String,
    }
    let result = async {
        let request: Actions = parse_body(&body)?;
        let mut actions = Vec::new();
        for action in request.actions {
            let Value::Object(mut map) = action else {
                return Err(EngineError::new(
                    400,
                    "Json deserialize error: alias action must be an object",
                ));
            };
            if let Some(v) = map.remove("create_alias") {
                let c: Create = rest::from_value(v)?;
                actions.push(AliasAction::Create {
                    collection_name: c.collection_name,
                    alias_name: c.alias_name,
                });
            } else if let Some(v) = map.remove("delete_alias") {
                let d: Delete = rest::from_value(v)?;
                actions.push(AliasAction::Delete {
                    alias_name: d.alias_name,
                });
            } else if let Some(v) = map.remove("rename_alias") {
                let r: Rename = rest::from_value(v)?;
                actions.push(AliasAction::Rename {
                    old_alias_name: r.old_alias_name,
                    new_alias_name: r.new_alias_name,
                });
            } else {
                return Err(EngineError::new(
                    400,
                    "Json deserialize error: unknown variant, expected one of `create_alias`, `delete_alias`, `rename_alias`",
                ));
            }
        }
        let engine = state.engine.clone();
        blocking(move || engine.update_aliases(actions)).await?;
        Ok(json!(true))
    };
    reply(started, result.await)
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

/// `PUT /collections/{name}/vectors/{vector}`: a new named vector, empty in every point.
async fn create_vector_name(
    State(state): State<AppState>,
    Path((name, vector)): Path<(String, String)>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let result = async {
        let wait = wait_param(&params, false)?;
        let collection = state.engine.get(&name)?;
        let wanted: VectorNameConfig = parse_body(&body)?;
        let operation = vector_names::create(&collection.shard.config(), &vector, wanted.clone())?;
        let Some(operation) = operation else {
            return Ok(acknowledge(&state, wait));
        };
        let answer = write(&state, collection.clone(), wait, operation).await?;
        collection.update_meta(|meta| vector_names::record(meta, &vector, &wanted))?;
        Ok(answer)
    };
    reply(started, result.await)
}

/// `DELETE /collections/{name}/vectors/{vector}`: the vector and its values.
async fn delete_vector_name(
    State(state): State<AppState>,
    Path((name, vector)): Path<(String, String)>,
    Query(params): Params,
) -> Response {
    let started = Instant::now();
    let result = async {
        let wait = wait_param(&params, false)?;
        let collection = state.engine.get(&name)?;
        let operation = vector_names::delete(&collection.shard.config(), &vector)?;
        let Some(operation) = operation else {
            return Ok(acknowledge(&state, wait));
        };
        let answer = write(&state, collection.clone(), wait, operation).await?;
        collection.update_meta(|meta| vector_names::forget(meta, &vector))?;
        Ok(answer)
    };
    reply(started, result.await)
}

/// Parses a `T` body, makes it an update with `wrap`, checks it and writes it.
async fn update<T: DeserializeOwned>(
    state: AppState,
    name: String,
    params: HashMap<String, String>,
    body: Bytes,
    wrap: fn(T) -> UpdateRest,
) -> Response {
    let started = Instant::now();
    let result = async {
        let wait = wait_param(&params, false)?;
        let collection = state.engine.get(&name)?;
        let request: T = parse_body(&body)?;
        let operation = updates::operation(&collection, &collection.shard.config(), wrap(request))?;
        write(&state, collection, wait, operation).await
    };
    reply(started, result.await)
}

async fn upsert_points(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    update(state, name, params, body, UpdateRest::Upsert).await
}

async fn delete_points(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    update(state, name, params, body, UpdateRest::Delete).await
}

async fn set_payload(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    update(state, name, params, body, UpdateRest::SetPayload).await
}

async fn overwrite_payload(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    update(state, name, params, body, UpdateRest::OverwritePayload).await
}

async fn delete_payload(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    update(state, name, params, body, UpdateRest::DeletePayload).await
}

async fn clear_payload(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    update(state, name, params, body, UpdateRest::ClearPayload).await
}

async fn update_vectors(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    update(state, name, params, body, UpdateRest::UpdateVectors).await
}

async fn delete_vectors(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    update(state, name, params, body, UpdateRest::DeleteVectors).await
}

/// `POST .../points/batch`: every operation is checked first (a bad one writes nothing), then
/// they are applied in order; a failure at apply time leaves the earlier ones applied, as in
/// Qdrant. The answer has one `UpdateResult` per operation.
async fn batch_update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let result = async {
        let wait = wait_param(&params, false)?;
        let collection = state.engine.get(&name)?;
        let batch: updates::BatchUpdate = parse_body(&body)?;
        let operations = {
            let config = collection.shard.config();
            batch
                .operations
                .into_iter()
                .map(|update| updates::operation(&collection, &config, update))
                .collect::<Result<Vec<_>, _>>()?
        };
        let mut results = Vec::with_capacity(operations.len());
        for operation in operations {
            results.push(write(&state, collection.clone(), wait, operation).await?);
        }
        Ok(Value::Array(results))
    };
    reply(started, result.await)
}

async fn create_index(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    #[derive(Deserialize)]
    struct CreateIndexRest {
        field_name: JsonPath,
        field_schema: Option<PayloadFieldSchema>,
    }
    let result = async {
        let wait = wait_param(&params, false)?;
        let collection = state.engine.get(&name)?;
        let request: CreateIndexRest = parse_body(&body)?;
        if request.field_schema.is_none() {
            return Err(EngineError::bad_input(
                "Can't auto-detect field type, please specify `field_schema` in the request",
            ));
        }
        let operation =
            UpdateOperation::FieldIndexOperation(FieldIndexOperations::CreateIndex(CreateIndex {
                field_name: request.field_name,
                field_schema: request.field_schema,
            }));
        write(&state, collection, wait, operation).await
    };
    reply(started, result.await)
}

async fn delete_index(
    State(state): State<AppState>,
    Path((name, field)): Path<(String, String)>,
    Query(params): Params,
) -> Response {
    let started = Instant::now();
    let result = async {
        let wait = wait_param(&params, false)?;
        let collection = state.engine.get(&name)?;
        let field: JsonPath = field
            .parse()
            .map_err(|_| EngineError::bad_input(format!("Invalid field name `{field}`")))?;
        let operation =
            UpdateOperation::FieldIndexOperation(FieldIndexOperations::DeleteIndex(field));
        write(&state, collection, wait, operation).await
    };
    reply(started, result.await)
}

// ---------------------------------------------------------------------------------------------
// Points: reads
// ---------------------------------------------------------------------------------------------

async fn get_points(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    #[derive(Deserialize)]
    struct PointRequest {
        ids: Vec<PointId>,
        with_payload: Option<WithPayloadInterface>,
        #[serde(default, alias = "with_vectors")]
        with_vector: Option<WithVector>,
        shard_key: Option<ShardKeySelector>,
    }
    let result = async {
        let collection = state.engine.get(&name)?;
        let request: PointRequest = parse_body(&body)?;
        if collection.read_scope(request.shard_key.as_ref())? == Scope::Nothing {
            return Ok(json!([]));
        }
        blocking(move || {
            let records = collection.shard.retrieve(
                &request.ids,
                Some(
                    request
                        .with_payload
                        .unwrap_or(WithPayloadInterface::Bool(true)),
                ),
                Some(request.with_vector.unwrap_or(WithVector::Bool(false))),
            )?;
            Ok(Value::Array(
                records.into_iter().map(rest::record_json).collect(),
            ))
        })
        .await
    };
    reply(started, result.await)
}

async fn get_point(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, String)>,
) -> Response {
    let started = Instant::now();
    let result = async {
        let collection = state.engine.get(&name)?;
        let point_id: PointId = match id.parse::<u64>() {
            Ok(n) => PointId::NumId(n),
            Err(_) => rest::from_value(Value::String(id.clone())).map_err(|_| {
                EngineError::bad_input(format!(
                    "Unable to parse point id `{id}`: expected an unsigned integer or a UUID"
                ))
            })?,
        };
        blocking(move || {
            let records = collection.shard.retrieve(
                &[point_id],
                Some(WithPayloadInterface::Bool(true)),
                Some(WithVector::Bool(true)),
            )?;
            match records.into_iter().next() {
                Some(record) => Ok(rest::record_json(record)),
                None => Err(EngineError::new(
                    404,
                    format!("Not found: No point with id {point_id} found"),
                )),
            }
        })
        .await
    };
    reply(started, result.await)
}

async fn count_points(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    #[derive(Deserialize)]
    struct CountRest {
        filter: Option<Filter>,
        exact: Option<bool>,
        shard_key: Option<ShardKeySelector>,
    }
    let result = async {
        let collection = state.engine.get(&name)?;
        let request: CountRest = parse_optional_body(&body)?;
        rest::check_filter(request.filter.as_ref())?;
        if collection.read_scope(request.shard_key.as_ref())? == Scope::Nothing {
            return Ok(json!({"count": 0}));
        }
        blocking(move || {
            let count = collection.shard.count(CountRequest {
                filter: request.filter,
                exact: request.exact.unwrap_or(true),
            })?;
            Ok(json!({"count": count}))
        })
        .await
    };
    reply(started, result.await)
}

async fn scroll_points(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    #[derive(Deserialize)]
    struct ScrollRest {
        offset: Option<PointId>,
        limit: Option<usize>,
        filter: Option<Filter>,
        with_payload: Option<WithPayloadInterface>,
        #[serde(default, alias = "with_vectors")]
        with_vector: Option<WithVector>,
        order_by: Option<OrderByInterface>,
        shard_key: Option<ShardKeySelector>,
    }
    let result = async {
        let collection = state.engine.get(&name)?;
        let request: ScrollRest = parse_optional_body(&body)?;
        rest::check_filter(request.filter.as_ref())?;
        if request.limit == Some(0) {
            return Err(EngineError::validation(
                "limit: value 0 invalid, must be 1 or larger",
            ));
        }
        if collection.read_scope(request.shard_key.as_ref())? == Scope::Nothing {
            return Ok(json!({"points": [], "next_page_offset": null}));
        }
        blocking(move || {
            let (records, next) = collection.shard.scroll(ScrollRequest {
                offset: request.offset,
                limit: Some(request.limit.unwrap_or(10)),
                filter: request.filter,
                with_payload: Some(
                    request
                        .with_payload
                        .unwrap_or(WithPayloadInterface::Bool(true)),
                ),
                with_vector: request.with_vector.unwrap_or(WithVector::Bool(false)),
                order_by: request.order_by,
            })?;
            let points: Vec<Value> = records.into_iter().map(rest::record_json).collect();
            Ok(json!({"points": points, "next_page_offset": next}))
        })
        .await
    };
    reply(started, result.await)
}

/// The scored points of one query, as `[ScoredPoint]`.
fn scored_points(
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

fn run_query(
    engine: &Engine,
    collection: &Collection,
    request: rest::QueryRequestRest,
) -> Result<Value, EngineError> {
    Ok(json!({"points": scored_points(engine, collection, request)?}))
}

async fn query_points(
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

async fn query_batch(
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

async fn matrix_pairs(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    search_matrix(state, name, body, matrix::pairs_json).await
}

async fn matrix_offsets(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    search_matrix(state, name, body, matrix::offsets_json).await
}

/// The search matrix, answered by `format` as pairs or offsets.
async fn search_matrix(
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

/// `PUT /collections/{name}/shards`: a standalone server has no shard keys to create.
async fn create_shard_key() -> Response {
    reply(Instant::now(), Err(sharding::distributed_mode_disabled()))
}

/// `POST /collections/{name}/shards/delete`: likewise.
async fn delete_shard_key() -> Response {
    reply(Instant::now(), Err(sharding::distributed_mode_disabled()))
}

/// `GET /collections/{name}/shards`: none (`null` for automatic sharding, which has no keys
/// at all).
async fn list_shard_keys(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let started = Instant::now();
    let result = state.engine.get(&name).map(|collection| {
        if collection.custom_sharding() {
            json!({"shard_keys": []})
        } else {
            json!({"shard_keys": null})
        }
    });
    reply(started, result)
}

/// `POST /collections/{name}/facet`: the most frequent values of an indexed payload key.
async fn facet(State(state): State<AppState>, Path(name): Path<String>, body: Bytes) -> Response {
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

// ---------------------------------------------------------------------------------------------
// Search, recommend and groups: the older endpoints, through the Query API's path
// ---------------------------------------------------------------------------------------------

/// Which older endpoint a request came in on.
#[derive(Clone, Copy)]
enum Legacy {
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

async fn legacy_one(state: AppState, name: String, body: Bytes, kind: Legacy) -> Response {
    let started = Instant::now();
    let result = async {
        let collection = state.engine.get(&name)?;
        let request = kind.request(parse_body(&body)?)?;
        let engine = state.engine.clone();
        blocking(move || scored_points(&engine, &collection, request)).await
    };
    reply(started, result.await)
}

async fn legacy_batch(state: AppState, name: String, body: Bytes, kind: Legacy) -> Response {
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

async fn legacy_groups(
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

async fn search_points(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    legacy_one(state, name, body, Legacy::Search).await
}

async fn search_batch(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    legacy_batch(state, name, body, Legacy::Search).await
}

async fn recommend_points(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    legacy_one(state, name, body, Legacy::Recommend).await
}

async fn recommend_batch(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    legacy_batch(state, name, body, Legacy::Recommend).await
}

async fn discover_points(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    legacy_one(state, name, body, Legacy::Discover).await
}

async fn discover_batch(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    legacy_batch(state, name, body, Legacy::Discover).await
}

async fn search_groups(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    legacy_groups(state, name, body, legacy::GroupsOf::Search).await
}

async fn recommend_groups(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    legacy_groups(state, name, body, legacy::GroupsOf::Recommend).await
}

async fn query_groups(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    legacy_groups(state, name, body, legacy::GroupsOf::Query).await
}

// ---------------------------------------------------------------------------------------------
// Snapshots
// ---------------------------------------------------------------------------------------------

async fn create_snapshot(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let started = Instant::now();
    let engine = state.engine.clone();
    reply(
        started,
        blocking(move || snapshot::create(&engine, &name)).await,
    )
}

async fn list_snapshots(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let started = Instant::now();
    let engine = state.engine.clone();
    reply(
        started,
        blocking(move || snapshot::list(&engine, &name)).await,
    )
}

async fn download_snapshot(
    State(state): State<AppState>,
    Path((name, snapshot_name)): Path<(String, String)>,
) -> Response {
    let started = Instant::now();
    let engine = state.engine.clone();
    send_snapshot(
        started,
        blocking(move || snapshot::path(&engine, &name, &snapshot_name)).await,
    )
    .await
}

/// Sends a snapshot file, or the error that found none.
async fn send_snapshot(
    started: Instant,
    path: Result<std::path::PathBuf, EngineError>,
) -> Response {
    let path = match path {
        Ok(path) => path,
        Err(e) => return error(started, e),
    };
    // Snapshots of the collections this engine serves are small enough to send whole.
    let bytes = match tokio::fs::read(&path).await {
        Ok(bytes) => bytes,
        Err(e) => return error(started, EngineError::internal(e)),
    };
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(bytes))
        .unwrap_or_else(|e| error(started, EngineError::internal(e)))
}

async fn delete_snapshot(
    State(state): State<AppState>,
    Path((name, snapshot_name)): Path<(String, String)>,
) -> Response {
    let started = Instant::now();
    let engine = state.engine.clone();
    reply(
        started,
        blocking(move || snapshot::delete(&engine, &name, &snapshot_name).map(|()| json!(true)))
            .await,
    )
}

async fn create_full_snapshot(State(state): State<AppState>) -> Response {
    let started = Instant::now();
    let engine = state.engine.clone();
    reply(
        started,
        blocking(move || snapshot::create_full(&engine)).await,
    )
}

async fn list_full_snapshots(State(state): State<AppState>) -> Response {
    let started = Instant::now();
    let engine = state.engine.clone();
    reply(
        started,
        blocking(move || snapshot::list_full(&engine)).await,
    )
}

async fn download_full_snapshot(
    State(state): State<AppState>,
    Path(snapshot_name): Path<String>,
) -> Response {
    let started = Instant::now();
    let engine = state.engine.clone();
    send_snapshot(
        started,
        blocking(move || snapshot::full_path(&engine, &snapshot_name)).await,
    )
    .await
}

async fn delete_full_snapshot(
    State(state): State<AppState>,
    Path(snapshot_name): Path<String>,
) -> Response {
    let started = Instant::now();
    let engine = state.engine.clone();
    reply(
        started,
        blocking(move || snapshot::delete_full(&engine, &snapshot_name).map(|()| json!(true)))
            .await,
    )
}

async fn recover_snapshot(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    #[derive(Deserialize)]
    struct Recover {
        location: String,
        checksum: Option<String>,
    }
    let result = async {
        let request: Recover = parse_body(&body)?;
        let engine = state.engine.clone();
        blocking(move || {
            snapshot::recover(
                &engine,
                &name,
                &request.location,
                request.checksum.as_deref(),
            )
        })
        .await?;
        Ok(json!(true))
    };
    reply(started, result.await)
}
