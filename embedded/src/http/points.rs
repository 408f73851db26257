//! Point writes (each body one checked update, applied under the write gate) and reads.

use super::*;

/// Parses a `T` body, makes it an update with `wrap`, checks it and writes it.
pub(super) async fn update<T: DeserializeOwned>(
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

pub(super) async fn upsert_points(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    update(state, name, params, body, UpdateRest::Upsert).await
}

pub(super) async fn delete_points(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    update(state, name, params, body, UpdateRest::Delete).await
}

pub(super) async fn set_payload(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    update(state, name, params, body, UpdateRest::SetPayload).await
}

pub(super) async fn overwrite_payload(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    update(state, name, params, body, UpdateRest::OverwritePayload).await
}

pub(super) async fn delete_payload(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    update(state, name, params, body, UpdateRest::DeletePayload).await
}

pub(super) async fn clear_payload(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    update(state, name, params, body, UpdateRest::ClearPayload).await
}

pub(super) async fn update_vectors(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    update(state, name, params, body, UpdateRest::UpdateVectors).await
}

pub(super) async fn delete_vectors(
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
pub(super) async fn batch_update(
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

pub(super) async fn get_points(
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

pub(super) async fn get_point(
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

pub(super) async fn count_points(
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

pub(super) async fn scroll_points(
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
