//! Collections, aliases, named vectors, payload indexes and shard keys.

use super::*;

pub(super) async fn list_collections(State(state): State<AppState>) -> Response {
    let started = Instant::now();
    let names: Vec<Value> = state
        .engine
        .names()
        .into_iter()
        .map(|name| json!({"name": name}))
        .collect();
    ok(started, json!({"collections": names}))
}

pub(super) async fn create_collection(
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

pub(super) async fn delete_collection(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Response {
    let started = Instant::now();
    let engine = state.engine.clone();
    reply(
        started,
        blocking(move || engine.delete(&name))
            .await
            .map(Value::Bool),
    )
}

pub(super) async fn update_collection(
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

pub(super) async fn collection_exists(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Response {
    let started = Instant::now();
    ok(started, json!({"exists": state.engine.exists(&name)}))
}

pub(super) async fn collection_info(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Response {
    let started = Instant::now();
    let engine = state.engine.clone();
    let result = blocking(move || {
        let collection = engine.get(&name)?;
        Ok(rest::collection_info(&collection))
    })
    .await;
    reply(started, result)
}

pub(super) fn aliases_json(aliases: Vec<(String, String)>) -> Value {
    let list: Vec<Value> = aliases
        .into_iter()
        .map(|(alias, collection)| json!({"alias_name": alias, "collection_name": collection}))
        .collect();
    json!({"aliases": list})
}

pub(super) async fn list_aliases(State(state): State<AppState>) -> Response {
    let started = Instant::now();
    ok(started, aliases_json(state.engine.aliases()))
}

pub(super) async fn collection_aliases(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Response {
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

pub(super) async fn update_aliases(State(state): State<AppState>, body: Bytes) -> Response {
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

/// `PUT /collections/{name}/vectors/{vector}`: a new named vector, empty in every point.
pub(super) async fn create_vector_name(
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
pub(super) async fn delete_vector_name(
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

pub(super) async fn create_index(
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

pub(super) async fn delete_index(
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

/// `PUT /collections/{name}/shards`: a standalone server has no shard keys to create.
pub(super) async fn create_shard_key() -> Response {
    reply(Instant::now(), Err(sharding::distributed_mode_disabled()))
}

/// `POST /collections/{name}/shards/delete`: likewise.
pub(super) async fn delete_shard_key() -> Response {
    reply(Instant::now(), Err(sharding::distributed_mode_disabled()))
}

/// `GET /collections/{name}/shards`: none (`null` for automatic sharding, which has no keys
/// at all).
pub(super) async fn list_shard_keys(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Response {
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
