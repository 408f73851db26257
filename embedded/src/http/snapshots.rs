//! Collection and full-storage snapshots.

use super::*;

pub(super) async fn create_snapshot(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Response {
    let started = Instant::now();
    let engine = state.engine.clone();
    reply(
        started,
        blocking(move || snapshot::create(&engine, &name)).await,
    )
}

pub(super) async fn list_snapshots(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Response {
    let started = Instant::now();
    let engine = state.engine.clone();
    reply(
        started,
        blocking(move || snapshot::list(&engine, &name)).await,
    )
}

pub(super) async fn download_snapshot(
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
pub(super) async fn send_snapshot(
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

pub(super) async fn delete_snapshot(
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

pub(super) async fn create_full_snapshot(State(state): State<AppState>) -> Response {
    let started = Instant::now();
    let engine = state.engine.clone();
    reply(
        started,
        blocking(move || snapshot::create_full(&engine)).await,
    )
}

pub(super) async fn list_full_snapshots(State(state): State<AppState>) -> Response {
    let started = Instant::now();
    let engine = state.engine.clone();
    reply(
        started,
        blocking(move || snapshot::list_full(&engine)).await,
    )
}

pub(super) async fn download_full_snapshot(
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

pub(super) async fn delete_full_snapshot(
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

pub(super) async fn recover_snapshot(
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
