//! Points: upsert in batches, get, delete, payload changes, count and scroll; and the
//! decoding of points and their vectors shared with queries.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::ids::ReturnedId;
use crate::model::{
    DEFAULT_UPSERT_BATCH, Filter, NamedVector, PackedVectors, PayloadSelector, Point, PointBatch,
    PointsSelector, ScrollPage, ScrollRequest, SparseVector, UpdateResult, VectorData,
    VectorSelector,
};
use crate::rest::{Qdrant, Retry, collection_path, decode, update_result};
use crate::transport::{InFlight, Method, Transport};
use crate::{Error, filter, float_text, ids, json_reader, vector};

type JsonObject = Map<String, Value>;

/// Qdrant rejects request bodies over 32 MiB by default; stay below with headroom.
pub const MAX_BODY_BYTES: usize = 30 * 1024 * 1024;

/// Checks `batch` as [`Qdrant::upsert_points`] does before its first request, sending
/// nothing (the collection's vector sizes are not checked).
pub fn validate_points(batch: &PointBatch) -> Result<(), Error> {
    UpsertPoints::prepare(batch).map(drop)
}

impl<T: Transport> Qdrant<T> {
    /// Validates every point first (nothing is written if any is bad), then upserts in
    /// requests of at most `upsert-batch-size` points and [`MAX_BODY_BYTES`] bytes. When the
    /// points need several requests, the vector sizes are first checked against the
    /// collection, so a wrong dimension cannot leave the batch half-written.
    pub fn upsert_points(
        &self,
        collection: &str,
        batch: &PointBatch,
        wait: bool,
    ) -> Result<u32, Error> {
        let path = self.write_path(collection_path(collection, "/points")?, wait);
        let count = u32::try_from(batch.ids.len())
            .map_err(|_| Error::InvalidInput("too many points in one call".into()))?;
        let per_request = self
            .config
            .upsert_batch_size
            .unwrap_or(DEFAULT_UPSERT_BATCH) as usize;
        // More points than one request takes: the size check's request is begun first, so
        // where the transport sends begun requests at once, its round trip overlaps
        // checking the points and writing the first body.
        let mut size_check = if batch.ids.len() > per_request {
            Some(self.begin_get_collection(collection)?)
        } else {
            None
        };
        let points = match UpsertPoints::prepare(batch) {
            Ok(points) => points,
            Err(bad) => {
                if let Some(asked) = size_check.filter(|asked| asked.ticket.is_some()) {
                    // Already sent: collected so the transport holds nothing for it. The
                    // input error is the answer. (Without a ticket nothing was sent.)
                    let _ = self.complete(&asked, Retry::Never);
                }
                return Err(bad);
            }
        };
        // Each body is written while the previous one is in flight, and sent once that
        // one has been answered: the server sees the bodies one by one, in order.
        let mut bodies = Bodies::new(per_request, self.upsert_body_end());
        let mut in_flight = None;
        for i in 0..points.len() {
            if let Some(full) = bodies.push(|out| points.write(i, out)) {
                let previous = match in_flight.take() {
                    Some(previous) => Some(previous),
                    None => {
                        // The first of several bodies: check the sizes before any is sent.
                        let asked = match size_check.take() {
                            Some(asked) => asked,
                            None => self.begin_get_collection(collection)?,
                        };
                        self.check_dimensions(collection, batch, &asked)?;
                        None
                    }
                };
                in_flight = Some(self.send_upsert_body(&path, full, previous)?);
            }
        }
        if let Some(last) = bodies.finish() {
            in_flight = Some(self.send_upsert_body(&path, last, in_flight)?);
        }
        if let Some(last) = in_flight {
            self.finish_update(&last)?;
        }
        Ok(count)
    }

    /// Waits for the previous body's answer, if there is one, then begins sending `body`.
    fn send_upsert_body(
        &self,
        path: &str,
        body: Vec<u8>,
        previous: Option<InFlight>,
    ) -> Result<InFlight, Error> {
        if let Some(previous) = previous {
            self.finish_update(&previous)?;
        }
        Ok(self.begin(Method::Put, path, Some(body)))
    }

    fn finish_update(&self, in_flight: &InFlight) -> Result<(), Error> {
        update_result(&self.result_of(in_flight, Retry::Bulk)?)?;
        Ok(())
    }

    /// Checks the dense columns' names and sizes against the collection described by the
    /// answer to `asked` (its `GET /collections/{collection}`).
    fn check_dimensions(
        &self,
        collection: &str,
        batch: &PointBatch,
        asked: &InFlight,
    ) -> Result<(), Error> {
        let info = self.collection_info_of(asked)?;
        for column in &batch.dense {
            let Some(params) = info.vectors.iter().find(|v| v.name == column.name) else {
                return Err(Error::InvalidInput(format!(
                    "collection `{collection}` has no dense vector named `{}`",
                    column.name
                )));
            };
            if params.size != u64::from(column.dimension) {
                return Err(Error::InvalidInput(format!(
                    "vector `{}` of collection `{collection}` has dimension {}, the points have {}",
                    column.name, params.size, column.dimension
                )));
            }
        }
        Ok(())
    }

    /// The points with these ids that exist, in the order asked.
    pub fn get_points(
        &self,
        collection: &str,
        wanted: &[String],
        with_payload: &PayloadSelector,
        with_vectors: &VectorSelector,
    ) -> Result<Vec<Point>, Error> {
        let path = self.read_path(collection_path(collection, "/points")?);
        let qdrant_ids = ids::to_qdrant_list(wanted)?;
        let mut body = Map::new();
        body.insert("ids".into(), Value::Array(qdrant_ids.clone()));
        body.insert("with_payload".into(), payload_selector_json(with_payload));
        body.insert("with_vector".into(), vector_selector_json(with_vectors));
        self.select_shards(&mut body);
        let result = self.result(
            Method::Post,
            &path,
            Some(Value::Object(body)),
            Retry::Idempotent,
        )?;
        let found = result
            .as_array()
            .ok_or_else(|| decode("get points: result is not a list"))?;
        let mut by_id: HashMap<String, &Value> = HashMap::new();
        for point in found {
            by_id.insert(
                point.get("id").map(Value::to_string).unwrap_or_default(),
                point,
            );
        }
        qdrant_ids
            .iter()
            .filter_map(|id| by_id.get(&id.to_string()))
            .map(|point| decode_point(point, with_payload))
            .collect()
    }

    pub fn delete_points(
        &self,
        collection: &str,
        selector: &PointsSelector,
        wait: bool,
    ) -> Result<UpdateResult, Error> {
        let path = self.write_path(collection_path(collection, "/points/delete")?, wait);
        let body = Value::Object(self.selector_body(selector)?);
        update_result(&self.result(Method::Post, &path, Some(body), Retry::Idempotent)?)
    }

    /// Merges `payload` into the selected points (at `key` when given).
    pub fn set_payload(
        &self,
        collection: &str,
        selector: &PointsSelector,
        payload: &str,
        key: Option<&str>,
        wait: bool,
    ) -> Result<UpdateResult, Error> {
        let path = self.write_path(collection_path(collection, "/points/payload")?, wait);
        let mut body = self.selector_body(selector)?;
        body.insert(
            "payload".into(),
            Value::Object(user_payload(payload, "payload")?),
        );
        if let Some(key) = key {
            if key.trim().is_empty() {
                return Err(Error::InvalidInput("payload key must not be empty".into()));
            }
            body.insert("key".into(), json!(key));
        }
        update_result(&self.result(
            Method::Post,
            &path,
            Some(Value::Object(body)),
            Retry::Idempotent,
        )?)
    }

    /// Replaces the selected points' payloads. Points whose string ids were mapped keep
    /// their original id (one extra request per such point); with a filter selector the
    /// server cannot do that, so those points then report their UUID.
    pub fn overwrite_payload(
        &self,
        collection: &str,
        selector: &PointsSelector,
        payload: &str,
        wait: bool,
    ) -> Result<UpdateResult, Error> {
        let payload = user_payload(payload, "payload")?;
        let path = self.write_path(collection_path(collection, "/points/payload")?, wait);
        let mut last = None;
        for (selected, payload) in keep_string_ids(selector, payload)? {
            let mut body = selected;
            body.insert("payload".into(), Value::Object(payload));
            self.select_shards(&mut body);
            let result = self.result(
                Method::Put,
                &path,
                Some(Value::Object(body)),
                Retry::Idempotent,
            )?;
            last = Some(update_result(&result)?);
        }
        last.ok_or_else(|| Error::InvalidInput("no points selected".into()))
    }

    pub fn delete_payload_keys(
        &self,
        collection: &str,
        selector: &PointsSelector,
        keys: &[String],
        wait: bool,
    ) -> Result<UpdateResult, Error> {
        if keys.is_empty() {
            return Err(Error::InvalidInput("no payload keys to delete".into()));
        }
        if keys.iter().any(|k| k == ids::STRING_ID_KEY) {
            return Err(reserved_key("payload keys"));
        }
        let path = self.write_path(collection_path(collection, "/points/payload/delete")?, wait);
        let mut body = self.selector_body(selector)?;
        body.insert("keys".into(), json!(keys));
        update_result(&self.result(
            Method::Post,
            &path,
            Some(Value::Object(body)),
            Retry::Idempotent,
        )?)
    }

    /// Removes all payload keys; like [`Self::overwrite_payload`] with `{}`, so mapped
    /// string ids survive a clear by ids.
    pub fn clear_payload(
        &self,
        collection: &str,
        selector: &PointsSelector,
        wait: bool,
    ) -> Result<UpdateResult, Error> {
        match selector {
            PointsSelector::Ids(_) => self.overwrite_payload(collection, selector, "{}", wait),
            PointsSelector::Filter(_) => {
                let path =
                    self.write_path(collection_path(collection, "/points/payload/clear")?, wait);
                let body = Value::Object(self.selector_body(selector)?);
                update_result(&self.result(Method::Post, &path, Some(body), Retry::Idempotent)?)
            }
        }
    }

    pub fn count(
        &self,
        collection: &str,
        filter: Option<&Filter>,
        exact: bool,
    ) -> Result<u64, Error> {
        let path = self.read_path(collection_path(collection, "/points/count")?);
        let mut body = Map::new();
        body.insert("exact".into(), Value::Bool(exact));
        if let Some(f) = filter {
            body.insert("filter".into(), filter::to_json(f)?);
        }
        self.select_shards(&mut body);
        self.result(
            Method::Post,
            &path,
            Some(Value::Object(body)),
            Retry::Idempotent,
        )?
        .get("count")
        .and_then(Value::as_u64)
        .ok_or_else(|| decode("count: no `count` number"))
    }

    pub fn scroll(&self, collection: &str, request: &ScrollRequest) -> Result<ScrollPage, Error> {
        if request.limit == 0 {
            return Err(Error::InvalidInput("limit must be at least 1".into()));
        }
        let path = self.read_path(collection_path(collection, "/points/scroll")?);
        let mut body = json!({
            "limit": request.limit,
            "with_payload": payload_selector_json(&request.with_payload),
            "with_vector": vector_selector_json(&request.with_vectors),
        });
        if let Some(f) = &request.filter {
            body["filter"] = filter::to_json(f)?;
        }
        if let Some(offset) = &request.offset {
            body["offset"] = ids::to_qdrant(offset)?.json;
        }
        if let Value::Object(members) = &mut body {
            self.select_shards(members);
        }
        let result = self.result(Method::Post, &path, Some(body), Retry::Idempotent)?;
        let points = result
            .get("points")
            .and_then(Value::as_array)
            .ok_or_else(|| decode("scroll: no `points` list"))?
            .iter()
            .map(|p| decode_point(p, &request.with_payload))
            .collect::<Result<_, _>>()?;
        let next_offset = match result.get("next_page_offset") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) if n.is_u64() => Some(n.to_string()),
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(decode("scroll: next_page_offset is not an id")),
        };
        Ok(ScrollPage {
            points,
            next_offset,
        })
    }
}

impl<T: Transport> Qdrant<T> {
    /// The body that selects points (by ids or filter) in the configured shards.
    fn selector_body(&self, selector: &PointsSelector) -> Result<JsonObject, Error> {
        let mut body = selector_json(selector)?;
        self.select_shards(&mut body);
        Ok(body)
    }
}

fn reserved_key(what: &str) -> Error {
    Error::InvalidInput(format!(
        "{what}: key `{}` is reserved for string point ids",
        ids::STRING_ID_KEY
    ))
}

/// A caller's payload: a JSON object without the reserved string-id key.
fn user_payload(text: &str, what: &str) -> Result<Map<String, Value>, Error> {
    let payload = parse_payload(text, what)?;
    if payload.contains_key(ids::STRING_ID_KEY) {
        return Err(reserved_key(what));
    }
    Ok(payload)
}

/// How deep an upsert body nests a payload: `{"points":[{"payload":`.
const PAYLOAD_LEVELS_IN_BODY: u32 = 3;

/// A caller's upsert payload as the text to send, borrowed: one JSON object (white space
/// around it trimmed; none at all is `{}`) without the reserved string-id key, checked as
/// the server will parse it inside the body, so a payload that passes cannot fail the
/// request.
fn checked_payload(text: &str, what: impl Fn() -> String) -> Result<&str, Error> {
    let check = |text: &str| {
        json_reader::object_has_key(text.as_bytes(), ids::STRING_ID_KEY, PAYLOAD_LEVELS_IN_BODY)
    };
    let mut text = text.trim_ascii();
    if text.is_empty() {
        // No payload (checked first: most points of a batch without payloads come here).
        return Ok("{}");
    }
    let mut outcome = check(text);
    if outcome.is_err() && text.trim().len() != text.len() {
        // White space other than JSON's around it.
        text = text.trim();
        outcome = check(text);
    }
    if text.is_empty() {
        return Ok("{}");
    }
    match outcome {
        Ok(false) => Ok(text),
        Ok(true) => Err(reserved_key(&what())),
        // serde_json's message says why; where it takes the text alone, the body's own
        // levels took the nesting over the server's limit.
        Err(_) => Err(match parse_payload(text, &what()) {
            Err(serde) => serde,
            Ok(_) => Error::InvalidInput(format!(
                "{} nests too deep for the server once inside the request body",
                what()
            )),
        }),
    }
}

/// `{"points": [...]}` or `{"filter": {...}}`.
pub(crate) fn selector_json(selector: &PointsSelector) -> Result<Map<String, Value>, Error> {
    let mut body = Map::new();
    match selector {
        PointsSelector::Ids(list) => {
            if list.is_empty() {
                return Err(Error::InvalidInput("no point ids selected".into()));
            }
            body.insert("points".into(), Value::Array(ids::to_qdrant_list(list)?));
        }
        PointsSelector::Filter(f) => {
            body.insert("filter".into(), filter::to_json(f)?);
        }
    }
    Ok(body)
}

/// Splits an overwrite so points with mapped string ids get their `_string_id` back.
fn keep_string_ids(
    selector: &PointsSelector,
    payload: Map<String, Value>,
) -> Result<Vec<(JsonObject, JsonObject)>, Error> {
    let PointsSelector::Ids(list) = selector else {
        return Ok(vec![(selector_json(selector)?, payload)]);
    };
    if list.is_empty() {
        return Err(Error::InvalidInput("no point ids selected".into()));
    }
    let mut plain = Vec::new();
    let mut requests = Vec::new();
    for id in list {
        let mapped = ids::to_qdrant(id)?;
        match mapped.original {
            None => plain.push(mapped.json),
            Some(original) => {
                let mut own = payload.clone();
                own.insert(ids::STRING_ID_KEY.into(), Value::String(original));
                let mut selected = Map::new();
                selected.insert("points".into(), json!([mapped.json]));
                requests.push((selected, own));
            }
        }
    }
    if !plain.is_empty() {
        let mut selected = Map::new();
        selected.insert("points".into(), Value::Array(plain));
        requests.insert(0, (selected, payload));
    }
    Ok(requests)
}

/// `with_payload`, asking for `_string_id` too so results can report original ids.
pub(crate) fn payload_selector_json(selector: &PayloadSelector) -> Value {
    match selector {
        PayloadSelector::All => json!(true),
        PayloadSelector::None => json!({"include": [ids::STRING_ID_KEY]}),
        PayloadSelector::Include(keys) => {
            let mut keys = keys.clone();
            keys.push(ids::STRING_ID_KEY.into());
            json!({"include": keys})
        }
        PayloadSelector::Exclude(keys) => {
            json!({"exclude": keys.iter().filter(|k| *k != ids::STRING_ID_KEY).collect::<Vec<_>>()})
        }
    }
}

pub(crate) fn vector_selector_json(selector: &VectorSelector) -> Value {
    match selector {
        VectorSelector::All => json!(true),
        VectorSelector::None => json!(false),
        VectorSelector::Only(names) => json!(names),
    }
}

/// A point from get/scroll. The payload is `{}` when it was not asked for.
fn decode_point(point: &Value, with_payload: &PayloadSelector) -> Result<Point, Error> {
    let (id, payload, vectors) = decode_common(point, with_payload)?;
    Ok(Point {
        id,
        payload,
        vectors,
    })
}

/// Id (original string id restored), payload JSON text and vectors of a returned point.
pub(crate) fn decode_common(
    point: &Value,
    with_payload: &PayloadSelector,
) -> Result<(String, String, Vec<NamedVector>), Error> {
    let id = point
        .get("id")
        .ok_or_else(|| decode("point without an id"))?;
    let mut payload = match point.get("payload") {
        Some(Value::Object(map)) => map.clone(),
        Some(Value::Null) | None => Map::new(),
        Some(_) => return Err(decode("payload is not an object")),
    };
    let id = ids::from_qdrant(ReturnedId::of_json(id)?, &mut payload);
    if *with_payload == PayloadSelector::None {
        payload.clear();
    }
    let vectors = decode_vectors(point.get("vector"))?;
    Ok((id, Value::Object(payload).to_string(), vectors))
}

pub(crate) fn decode_vectors(vector: Option<&Value>) -> Result<Vec<NamedVector>, Error> {
    match vector {
        None | Some(Value::Null) => Ok(vec![]),
        Some(Value::Array(values)) => Ok(vec![NamedVector {
            name: String::new(),
            vector: VectorData::Dense(dense_from_json(values)?),
        }]),
        Some(Value::Object(named)) => named
            .iter()
            .map(|(name, v)| {
                let vector = match v {
                    Value::Array(values) => VectorData::Dense(dense_from_json(values)?),
                    Value::Object(_) => VectorData::Sparse(sparse_from_json(v)?),
                    _ => return Err(decode("vector is neither dense nor sparse")),
                };
                Ok(NamedVector {
                    name: name.clone(),
                    vector,
                })
            })
            .collect(),
        Some(_) => Err(decode("`vector` is neither a list nor an object")),
    }
}

fn dense_from_json(values: &[Value]) -> Result<PackedVectors, Error> {
    let floats = values
        .iter()
        .map(|v| v.as_f64().map(|f| f as f32))
        .collect::<Option<Vec<f32>>>()
        .ok_or_else(|| {
            decode("dense vector holds a non-number (multivectors are not supported)")
        })?;
    Ok(vector::pack(&floats))
}

fn sparse_from_json(v: &Value) -> Result<SparseVector, Error> {
    let list = |key: &str| v.get(key).and_then(Value::as_array);
    let (Some(indices), Some(values)) = (list("indices"), list("values")) else {
        return Err(decode("sparse vector without indices and values"));
    };
    Ok(SparseVector {
        indices: indices
            .iter()
            .map(|i| i.as_u64().and_then(|i| u32::try_from(i).ok()))
            .collect::<Option<_>>()
            .ok_or_else(|| decode("sparse index is not a u32"))?,
        values: values
            .iter()
            .map(|x| x.as_f64().map(|f| f as f32))
            .collect::<Option<_>>()
            .ok_or_else(|| decode("sparse value is not a number"))?,
    })
}

/// The points of one upsert, every one checked (ids, vectors, payloads, size) before the
/// first body is sent; their bodies are then written one at a time. Written by hand rather
/// than through serde: dense rows go from their packed bytes straight to text.
struct UpsertPoints<'a> {
    /// By name; a map serializes in that order too.
    columns: Vec<(&'a str, Column<'a>)>,
    /// A lone unnamed dense vector goes in Qdrant's short form; otherwise a map by name.
    short_form: bool,
    points: Vec<PointText<'a>>,
}

/// A point's id and payload as JSON text, borrowed from the call where they can be.
struct PointText<'a> {
    id: Cow<'a, str>,
    payload: Cow<'a, [u8]>,
}

impl<'a> UpsertPoints<'a> {
    fn prepare(batch: &'a PointBatch) -> Result<Self, Error> {
        let count = batch.ids.len();
        if count == 0 {
            return Err(Error::InvalidInput("no points to upsert".into()));
        }
        if !batch.payloads.is_empty() && batch.payloads.len() != count {
            return Err(Error::InvalidInput(format!(
                "{count} ids but {} payloads (give one per id, or none)",
                batch.payloads.len()
            )));
        }
        let mut columns: Vec<(&str, Column)> = Vec::new();
        for column in &batch.dense {
            let rows = vector::PackedRows::decode(&column.data, column.dimension, count)
                .map_err(|e| in_column(e, &column.name))?;
            columns.push((&column.name, Column::Dense(rows)));
        }
        for column in &batch.sparse {
            if column.name.is_empty() {
                return Err(Error::InvalidInput("sparse vectors need a name".into()));
            }
            if column.vectors.len() != count {
                return Err(Error::InvalidInput(format!(
                    "{count} ids but {} sparse vectors in `{}`",
                    column.vectors.len(),
                    column.name
                )));
            }
            for (i, v) in column.vectors.iter().enumerate() {
                vector::check_sparse(v, &format!("sparse vector `{}`[{i}]", column.name))?;
            }
            columns.push((&column.name, Column::Sparse(&column.vectors)));
        }
        columns.sort_by_key(|(name, _)| *name);
        if columns.windows(2).any(|w| w[0].0 == w[1].0) {
            return Err(Error::InvalidInput(
                "a vector name appears in two columns".into(),
            ));
        }
        let short_form = matches!(columns.as_slice(), [("", Column::Dense(_))]);
        let points = batch
            .ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let ids::IdText { json: id, original } =
                    ids::to_json_text(id).map_err(|e| at_point(e, i))?;
                let text = batch.payloads.get(i).map_or("", String::as_str);
                let what = || format!("payload {i}");
                let payload = match original {
                    // The caller's text is sent as it is once checked.
                    None => Cow::Borrowed(checked_payload(text, what)?.as_bytes()),
                    Some(original) => {
                        let text = checked_payload(text, what)?;
                        let mut payload = parse_payload(text, &what())?;
                        payload.insert(ids::STRING_ID_KEY.to_owned(), Value::String(original));
                        Cow::Owned(json_bytes(&payload))
                    }
                };
                Ok(PointText { id, payload })
            })
            .collect::<Result<_, Error>>()?;
        let prepared = UpsertPoints {
            columns,
            short_form,
            points,
        };
        for i in 0..count {
            prepared.check_size(i)?;
        }
        Ok(prepared)
    }

    fn len(&self) -> usize {
        self.points.len()
    }

    /// Fails if point `i` alone would not fit in a request (an estimate first, the exact
    /// size only when the estimate is over).
    fn check_size(&self, i: usize) -> Result<(), Error> {
        let limit = MAX_BODY_BYTES - BODY_START.len() - MAX_BODY_END;
        let PointText { id, payload } = &self.points[i];
        let vectors: usize = self
            .columns
            .iter()
            .map(|(name, column)| name.len() + 4 + column.max_len(i))
            .sum();
        if id.len() + payload.len() + vectors + 32 <= limit {
            return Ok(());
        }
        let mut exact = Vec::new();
        self.write(i, &mut exact);
        if exact.len() > limit {
            return Err(Error::InvalidInput(format!(
                "point {i} encodes to {} bytes, over the {MAX_BODY_BYTES}-byte request cap",
                exact.len()
            )));
        }
        Ok(())
    }

    /// Appends point `i` as JSON.
    fn write(&self, i: usize, out: &mut Vec<u8>) {
        let PointText { id, payload } = &self.points[i];
        out.extend_from_slice(b"{\"id\":");
        out.extend_from_slice(id.as_bytes());
        if !self.columns.is_empty() {
            out.extend_from_slice(b",\"vector\":");
            if self.short_form {
                self.columns[0].1.write_json(i, out);
            } else {
                out.push(b'{');
                for (n, (name, column)) in self.columns.iter().enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(&json_bytes(name));
                    out.push(b':');
                    column.write_json(i, out);
                }
                out.push(b'}');
            }
        }
        out.extend_from_slice(b",\"payload\":");
        out.extend_from_slice(payload);
        out.push(b'}');
    }
}

fn json_bytes(value: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(value).expect("ids, names and payloads always serialize")
}

/// `error` with the point's position in front, so the caller can find it.
fn at_point(error: Error, i: usize) -> Error {
    match error {
        Error::InvalidInput(m) => Error::InvalidInput(format!("point {i}: {m}")),
        other => other,
    }
}

fn in_column(error: Error, name: &str) -> Error {
    match error {
        Error::InvalidInput(m) if !name.is_empty() => {
            Error::InvalidInput(format!("vector `{name}`: {m}"))
        }
        other => other,
    }
}

enum Column<'a> {
    Dense(vector::PackedRows<'a>),
    Sparse(&'a [SparseVector]),
}

impl Column<'_> {
    /// At most how many bytes row `row` takes as JSON.
    fn max_len(&self, row: usize) -> usize {
        match self {
            Column::Dense(rows) => rows.dimension() * float_text::MAX_TEXT + 2,
            Column::Sparse(vectors) => {
                let v = &vectors[row];
                v.indices.len() * 11 + v.values.len() * float_text::MAX_TEXT + 32
            }
        }
    }

    fn write_json(&self, row: usize, out: &mut Vec<u8>) {
        match self {
            Column::Dense(rows) => rows.write_json(row, out),
            Column::Sparse(vectors) => vector::write_sparse_json(&vectors[row], out),
        }
    }
}

/// Upsert bodies being filled: a point goes into the open body unless that body has
/// `per_request` points or the point would take it over [`MAX_BODY_BYTES`]; then the
/// open body is closed and handed out, and the point opens the next one.
struct Bodies {
    open: Vec<u8>,
    in_open: usize,
    per_request: usize,
    /// `]}`, or `],"shard_key":..}` when the config selects shards.
    end: Vec<u8>,
}

const BODY_START: &[u8] = b"{\"points\":[";
/// The end of a body without a shard key.
#[cfg(test)]
const BODY_END: &[u8] = b"]}";
/// Room left for the end of a body: `]}` plus the shard-key selector, which
/// [`crate::cluster`] keeps shorter.
pub(crate) const MAX_BODY_END: usize = 4096;

impl<T: Transport> Qdrant<T> {
    fn upsert_body_end(&self) -> Vec<u8> {
        let mut end = b"]}".to_vec();
        self.select_shards_in_text(&mut end);
        end
    }
}

impl Bodies {
    fn new(per_request: usize, end: Vec<u8>) -> Self {
        Bodies {
            open: Vec::new(),
            in_open: 0,
            per_request,
            end,
        }
    }

    /// Adds a point (which must fit in a body on its own); returns the body it closed, if
    /// any.
    fn push(&mut self, write_point: impl FnOnce(&mut Vec<u8>)) -> Option<Vec<u8>> {
        let mut closed = None;
        if self.in_open == self.per_request {
            closed = Some(self.close());
        }
        self.open
            .extend_from_slice(if self.in_open == 0 { BODY_START } else { b"," });
        let start = self.open.len();
        write_point(&mut self.open);
        let point = self.open.len() - start;
        debug_assert!(point + BODY_START.len() + self.end.len() <= MAX_BODY_BYTES);
        if self.open.len() + self.end.len() > MAX_BODY_BYTES {
            // Too big with this point: it opens the next body instead.
            let moved = self.open.split_off(start);
            self.open.truncate(start - 1);
            closed = Some(self.close());
            self.open.extend_from_slice(BODY_START);
            self.open.extend_from_slice(&moved);
        }
        if self.in_open == 0 {
            // The first point's size predicts the body's: one allocation, not a doubling chain.
            let room = (point + 1).saturating_mul(self.per_request.saturating_sub(1));
            self.open
                .reserve(room.min(MAX_BODY_BYTES - self.open.len()));
        }
        self.in_open += 1;
        closed
    }

    fn close(&mut self) -> Vec<u8> {
        self.open.extend_from_slice(&self.end);
        self.in_open = 0;
        std::mem::take(&mut self.open)
    }

    /// The last body, if it holds any point.
    fn finish(mut self) -> Option<Vec<u8>> {
        (self.in_open > 0).then(|| self.close())
    }
}

fn parse_payload(text: &str, what: &str) -> Result<Map<String, Value>, Error> {
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::InvalidInput(format!("{what} is not a JSON object"))),
        Err(e) => Err(Error::InvalidInput(format!(
            "{what} is not valid JSON: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Config, DEFAULT_UPSERT_RETRY, DenseColumn, RetryPolicy, SparseColumn};
    use crate::testing::{Holding, OK_UPDATE, Recorder, body_json, client, ok};

    fn dense(name: &str, dimension: u32, values: &[f32]) -> DenseColumn {
        DenseColumn {
            name: name.into(),
            dimension,
            data: vector::pack(values),
        }
    }

    fn batch(ids: &[&str], dense_columns: Vec<DenseColumn>) -> PointBatch {
        PointBatch {
            ids: ids.iter().map(|s| s.to_string()).collect(),
            dense: dense_columns,
            sparse: vec![],
            payloads: vec![],
        }
    }

    /// Each upsert request has the bulk budget: seven 503s in a row are outlasted by default,
    /// and `upsert-retry` bounds it as configured; reads keep the ordinary policy.
    #[test]
    fn upserts_retry_under_their_own_budget() {
        let points = batch(&["1"], vec![dense("", 2, &[0.5, 0.5])]);
        let mut rec = Recorder::default();
        for _ in 0..7 {
            rec = rec.reply(503, "busy");
        }
        let rec = rec.reply(200, OK_UPDATE);
        assert_eq!(
            client(&rec, None)
                .upsert_points("c", &points, true)
                .unwrap(),
            1
        );
        assert_eq!(rec.sent.borrow().len(), 8);
        assert_eq!(rec.slept.borrow().len(), 7);

        let mut rec = Recorder::default();
        for _ in 0..5 {
            rec = rec.reply(503, "busy");
        }
        let config = Config {
            url: "http://qdrant:6333".into(),
            upsert_retry: Some(RetryPolicy {
                max_attempts: 2,
                ..DEFAULT_UPSERT_RETRY
            }),
            ..Config::default()
        };
        let q = Qdrant::new(config, &rec).unwrap();
        let got = q.upsert_points("c", &points, true);
        assert!(
            matches!(got, Err(Error::Server { status: 503, .. })),
            "{got:?}"
        );
        assert_eq!(rec.sent.borrow().len(), 2);
        // A read on the same client: the ordinary three attempts.
        assert!(q.count("c", None, true).is_err());
        assert_eq!(rec.sent.borrow().len(), 5);

        let zero = Config {
            upsert_retry: Some(RetryPolicy {
                max_attempts: 0,
                ..DEFAULT_UPSERT_RETRY
            }),
            url: "http://qdrant:6333".into(),
            ..Config::default()
        };
        assert!(
            matches!(Qdrant::new(zero, &rec), Err(Error::InvalidInput(m)) if m.contains("upsert-retry"))
        );
    }

    #[test]
    fn upsert_maps_ids_and_splits_batches() {
        let n = DEFAULT_UPSERT_BATCH as usize + 1;
        let info = ok(json!({"status": "green", "segments_count": 1,
            "config": {"params": {"vectors": {"size": 2, "distance": "Dot"}}}}));
        // Two requests' worth of points: the dimension is checked against the info first.
        let rec = Recorder::default()
            .reply(200, &info)
            .reply(200, OK_UPDATE)
            .reply(200, OK_UPDATE);
        let mut points = batch(&[], vec![dense("", 2, &vec![0.5; n * 2])]);
        points.ids = (0..n)
            .map(|i| {
                if i == 0 {
                    "doc-zero".into()
                } else {
                    i.to_string()
                }
            })
            .collect();
        points.payloads = (0..n).map(|i| format!(r#"{{"n":{i}}}"#)).collect();
        assert_eq!(
            client(&rec, None)
                .upsert_points("c", &points, true)
                .unwrap(),
            n as u32
        );
        let urls = rec.urls();
        assert_eq!(urls[0], "http://qdrant:6333/collections/c");
        assert_eq!(urls[1], "http://qdrant:6333/collections/c/points?wait=true");
        let bodies = rec.bodies();
        assert_eq!(bodies.len(), 3);
        assert_eq!(
            bodies[1]["points"].as_array().unwrap().len(),
            DEFAULT_UPSERT_BATCH as usize
        );
        assert_eq!(
            bodies[1]["points"][0]["payload"],
            json!({"n": 0, "_string_id": "doc-zero"})
        );
        assert_eq!(
            bodies[1]["points"][1],
            json!({"id": 1, "vector": [0.5, 0.5], "payload": {"n": 1}})
        );
        assert_eq!(bodies[2]["points"][0]["id"], json!(DEFAULT_UPSERT_BATCH));
    }

    #[test]
    fn dense_values_are_written_as_shortest_f32_text() {
        let rec = Recorder::default().reply(200, OK_UPDATE);
        let points = batch(&["1"], vec![dense("", 3, &[0.1, -2.5e-8, 1.0 / 3.0])]);
        client(&rec, None)
            .upsert_points("c", &points, true)
            .unwrap();
        let body = String::from_utf8(rec.sent.borrow()[0].body.clone().unwrap()).unwrap();
        assert!(body.contains("[0.1,-2.5e-8,0.33333334]"), "{body}");
    }

    /// Every body, in order, as `Bodies` hands them out.
    fn all_bodies(per_request: usize, sizes: &[usize]) -> Vec<Vec<u8>> {
        let mut bodies = Bodies::new(per_request, BODY_END.to_vec());
        let mut done: Vec<Vec<u8>> = sizes
            .iter()
            .filter_map(|&n| bodies.push(|out| out.resize(out.len() + n, b'1')))
            .collect();
        done.extend(bodies.finish());
        done
    }

    #[test]
    fn bodies_split_at_the_point_count_and_the_byte_cap() {
        let done: Vec<String> = all_bodies(2, &[1; 5])
            .into_iter()
            .map(|b| String::from_utf8(b).unwrap())
            .collect();
        assert_eq!(
            done,
            [
                r#"{"points":[1,1]}"#,
                r#"{"points":[1,1]}"#,
                r#"{"points":[1]}"#
            ]
        );
        // Three of these do not fit under the cap: the third opens a second body.
        let third = MAX_BODY_BYTES / 3 + 1;
        let done = all_bodies(256, &[third; 3]);
        let framing = BODY_START.len() + BODY_END.len();
        assert_eq!(
            done.iter().map(Vec::len).collect::<Vec<_>>(),
            [framing + 2 * third + 1, framing + third]
        );
        assert!(
            done.iter()
                .all(|b| b.starts_with(BODY_START) && b.ends_with(BODY_END))
        );
    }

    #[test]
    fn a_point_over_the_request_cap_is_rejected_before_sending() {
        let rec = Recorder::default();
        let mut points = batch(&["1", "2"], vec![dense("", 1, &[1.0, 2.0])]);
        let huge = format!(r#"{{"text":"{}"}}"#, "x".repeat(MAX_BODY_BYTES));
        points.payloads = vec!["{}".into(), huge];
        let got = client(&rec, None).upsert_points("c", &points, true);
        assert!(
            matches!(&got, Err(Error::InvalidInput(m)) if m.contains("point 1") && m.contains("request cap")),
            "{got:?}"
        );
        assert!(rec.sent.borrow().is_empty());
    }

    fn batches_of_two(rec: &Recorder) -> Qdrant<&Recorder> {
        let config = Config {
            url: "http://q".into(),
            upsert_batch_size: Some(2),
            ..Config::default()
        };
        Qdrant::new(config, rec).unwrap()
    }

    const INFO_SIZE_1: &str = r#"{"result":{"status":"green","segments_count":1,"config":{"params":{"vectors":{"size":1,"distance":"Dot"}}}},"status":"ok","time":0}"#;

    #[test]
    fn bulk_upsert_begins_each_body_after_the_previous_answer() {
        let rec = Recorder::default()
            .reply(200, INFO_SIZE_1)
            .reply(200, OK_UPDATE)
            .reply(200, OK_UPDATE)
            .reply(200, OK_UPDATE);
        let points = batch(
            &["1", "2", "3", "4", "5"],
            vec![dense("", 1, &[1.0, 2.0, 3.0, 4.0, 5.0])],
        );
        assert_eq!(
            batches_of_two(&rec)
                .upsert_points("c", &points, true)
                .unwrap(),
            5
        );
        // The size check begun first (it is in flight while the points are checked and
        // the first body written), then each body started only once the one before was
        // answered.
        assert_eq!(
            *rec.events.borrow(),
            [
                "start", "finish", "start", "finish", "start", "finish", "start", "finish"
            ]
        );
        assert_eq!(rec.sent.borrow()[0].method, Method::Get);
        assert_eq!(rec.urls()[0], "http://q/collections/c");
        let ids: Vec<Vec<u64>> = rec.bodies()[1..]
            .iter()
            .map(|b| {
                let points = b["points"].as_array().unwrap();
                points.iter().map(|p| p["id"].as_u64().unwrap()).collect()
            })
            .collect();
        assert_eq!(ids, [vec![1, 2], vec![3, 4], vec![5]]);
    }

    #[test]
    fn bulk_upsert_stops_at_the_first_failed_body() {
        let rec = Recorder::default()
            .reply(200, INFO_SIZE_1)
            .reply(200, OK_UPDATE)
            .reply(400, r#"{"status":{"error":"bad"},"time":0}"#);
        let points = batch(
            &["1", "2", "3", "4", "5"],
            vec![dense("", 1, &[1.0, 2.0, 3.0, 4.0, 5.0])],
        );
        let got = batches_of_two(&rec).upsert_points("c", &points, true);
        assert!(matches!(got, Err(Error::BadRequest(_))), "{got:?}");
        assert_eq!(
            *rec.events.borrow(),
            ["start", "finish", "start", "finish", "start", "finish"],
            "the third body is never sent"
        );
    }

    #[test]
    fn bulk_upsert_with_a_bad_point_writes_nothing_and_collects_its_size_check() {
        let rec = Recorder::default().reply(200, INFO_SIZE_1);
        let mut points = batch(
            &["1", "2", "3", "4", "5"],
            vec![dense("", 1, &[1.0, 2.0, 3.0, 4.0, 5.0])],
        );
        points.payloads = ["{}", "{}", "{}", "{}", "[5]"].map(String::from).to_vec();
        let got = batches_of_two(&rec).upsert_points("c", &points, true);
        assert!(
            matches!(&got, Err(Error::InvalidInput(m)) if m.contains("payload 4")),
            "{got:?}"
        );
        assert_eq!(*rec.events.borrow(), ["start", "finish"]);
        assert_eq!(rec.sent.borrow()[0].method, Method::Get);

        // The size check's own failure does not hide the input error.
        let rec = Recorder::default().fail(Error::Connection("refused".into()));
        let got = batches_of_two(&rec).upsert_points("c", &points, true);
        assert!(matches!(&got, Err(Error::InvalidInput(_))), "{got:?}");

        // A transport that sends begun requests only when asked sends nothing at all.
        let rec = Recorder::default();
        let holding = Qdrant::new(batches_of_two(&rec).config.clone(), Holding(&rec)).unwrap();
        let got = holding.upsert_points("c", &points, true);
        assert!(matches!(&got, Err(Error::InvalidInput(_))), "{got:?}");
        assert!(rec.events.borrow().is_empty(), "{:?}", rec.events.borrow());
    }

    #[test]
    fn multi_request_upsert_checks_dimension_first() {
        let info = ok(json!({"status": "green", "segments_count": 1,
            "config": {"params": {"vectors": {"size": 3, "distance": "Dot"}}}}));
        let rec = Recorder::default().reply(200, &info);
        let config = Config {
            url: "http://q".into(),
            upsert_batch_size: Some(1),
            ..Config::default()
        };
        let c = Qdrant::new(config, &rec).unwrap();
        let got = c.upsert_points(
            "c",
            &batch(&["1", "2"], vec![dense("", 2, &[1.0; 4])]),
            true,
        );
        assert!(matches!(got, Err(Error::InvalidInput(m)) if m.contains("dimension 3")));
        assert_eq!(rec.sent.borrow().len(), 1, "only the info request");
    }

    #[test]
    fn named_and_sparse_columns_build_vector_maps() {
        let rec = Recorder::default().reply(200, OK_UPDATE);
        let mut points = batch(&["1"], vec![dense("text", 2, &[1.0, 0.0])]);
        points.sparse = vec![SparseColumn {
            name: "bm25".into(),
            vectors: vec![SparseVector {
                indices: vec![3, 9],
                values: vec![0.5, 1.5],
            }],
        }];
        client(&rec, None)
            .upsert_points("c", &points, false)
            .unwrap();
        assert_eq!(
            rec.urls()[0],
            "http://qdrant:6333/collections/c/points?wait=false"
        );
        assert_eq!(
            rec.bodies()[0]["points"][0]["vector"],
            json!({"text": [1.0, 0.0], "bm25": {"indices": [3, 9], "values": [0.5, 1.5]}})
        );
    }

    #[test]
    fn payload_text_is_sent_as_given_once_checked() {
        let rec = Recorder::default().reply(200, OK_UPDATE);
        let mut points = batch(
            &["1", "2", "3", "doc", "5", "6"],
            vec![dense("", 1, &[1.0; 6])],
        );
        points.payloads = vec![
            r#" {"b": [1, {"c": null}], "a": "é \"q\""} "#.into(),
            r#"{"key \"quoted\"": 2}"#.into(),
            "".into(),
            r#"{"n": 4}"#.into(),
            "\u{a0}{\"m\": 5}\u{2003}".into(),
            " \n ".into(),
        ];
        client(&rec, None)
            .upsert_points("c", &points, true)
            .unwrap();
        let sent = rec.sent.borrow();
        let text = std::str::from_utf8(sent[0].body.as_deref().unwrap()).unwrap();
        // Untouched, apart from the outer whitespace: key order, spacing, escapes.
        assert!(
            text.contains(r#""payload":{"b": [1, {"c": null}], "a": "é \"q\""}}"#),
            "{text}"
        );
        let body = body_json(&sent[0]);
        let payloads: Vec<&Value> = body["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| &p["payload"])
            .collect();
        assert_eq!(payloads[1], &json!({"key \"quoted\"": 2}));
        assert!(
            text.contains(r#""payload":{"key \"quoted\"": 2}}"#),
            "{text}"
        );
        assert_eq!(payloads[2], &json!({}));
        assert_eq!(payloads[3], &json!({"n": 4, "_string_id": "doc"}));
        // White space that is not JSON's is trimmed too; white space alone is no payload.
        assert_eq!(payloads[4], &json!({"m": 5}));
        assert_eq!(payloads[5], &json!({}));
    }

    #[test]
    fn upsert_rejects_bad_points_before_sending() {
        let rec = Recorder::default();
        let c = client(&rec, None);
        let good = batch(&["1", "2"], vec![dense("", 2, &[1.0, 2.0, 3.0, 4.0])]);
        let sparse = |indices: Vec<u32>, values: Vec<f32>| SparseColumn {
            name: "s".into(),
            vectors: vec![
                SparseVector {
                    indices: vec![1],
                    values: vec![1.0],
                },
                SparseVector { indices, values },
            ],
        };
        let cases = [
            PointBatch {
                payloads: vec!["{}".into()],
                ..good.clone()
            },
            PointBatch {
                payloads: vec!["{}".into(), "[1]".into()],
                ..good.clone()
            },
            PointBatch {
                payloads: vec!["{}".into(), r#"{"n":1e400}"#.into()],
                ..good.clone()
            },
            PointBatch {
                payloads: vec![r#"{"a":1} {"b":2}"#.into(), "{}".into()],
                ..good.clone()
            },
            PointBatch {
                payloads: vec![r#"{"a":"\q"}"#.into(), "{}".into()],
                ..good.clone()
            },
            PointBatch {
                payloads: vec![r#"{"a":"\ud800"}"#.into(), "{}".into()],
                ..good.clone()
            },
            // Valid alone, but too deep for the server once inside the body.
            PointBatch {
                payloads: vec![
                    format!("{{\"a\":{}{}}}", "[".repeat(124), "]".repeat(124)),
                    "{}".into(),
                ],
                ..good.clone()
            },
            // The key that carries mapped string ids is not the caller's to set.
            PointBatch {
                payloads: vec!["{}".into(), r#"{"a":1,"_string_id":"x"}"#.into()],
                ..good.clone()
            },
            PointBatch {
                payloads: vec![r#"{"\u005fstring_id":"x"}"#.into(), "{}".into()],
                ..good.clone()
            },
            PointBatch {
                ids: vec!["1".into(), "doc".into()],
                payloads: vec!["{}".into(), r#"{"_string_id":"x"}"#.into()],
                ..good.clone()
            },
            PointBatch {
                ids: vec!["1".into(), "".into()],
                ..good.clone()
            },
            batch(&["1", "2"], vec![dense("", 2, &[1.0, f32::NAN, 3.0, 4.0])]),
            batch(&["1", "2"], vec![dense("", 3, &[1.0, 2.0, 3.0, 4.0])]),
            batch(&[], vec![]),
            batch(
                &["1", "2"],
                vec![dense("a", 1, &[1.0, 2.0]), dense("a", 1, &[1.0, 2.0])],
            ),
            PointBatch {
                sparse: vec![sparse(vec![1, 1], vec![1.0, 2.0])],
                ..good.clone()
            },
            PointBatch {
                sparse: vec![sparse(vec![1, 2], vec![1.0])],
                ..good.clone()
            },
            PointBatch {
                sparse: vec![sparse(vec![1], vec![f32::INFINITY])],
                ..good.clone()
            },
        ];
        for points in cases {
            let got = c.upsert_points("c", &points, true);
            assert!(
                matches!(got, Err(Error::InvalidInput(_))),
                "{points:?} gave {got:?}"
            );
            // The check alone finds the same fault.
            assert_eq!(validate_points(&points).err(), got.err(), "{points:?}");
        }
        validate_points(&good).unwrap();
        // A bad id names its point, as bad vectors and payloads do.
        let empty_id = PointBatch {
            ids: vec!["1".into(), "".into()],
            ..good.clone()
        };
        assert_eq!(
            validate_points(&empty_id),
            Err(Error::InvalidInput(
                "point 1: point id must not be empty".into()
            ))
        );
        assert!(rec.sent.borrow().is_empty());
    }

    #[test]
    fn get_returns_asked_order_with_original_ids_and_vectors() {
        let mapped = ids::to_qdrant("doc").unwrap().json;
        let reply = ok(json!([
            {"id": 2, "payload": {}, "vector": {"s": {"indices": [1], "values": [0.5]}}},
            {"id": mapped, "payload": {"_string_id": "doc", "a": 1}, "vector": [1.0, 2.0]}
        ]));
        let rec = Recorder::default().reply(200, &reply);
        let points = client(&rec, None)
            .get_points(
                "c",
                &["doc".into(), "404".into(), "2".into()],
                &PayloadSelector::All,
                &VectorSelector::All,
            )
            .unwrap();
        assert_eq!(points.len(), 2);
        assert_eq!(points[0].id, "doc");
        assert_eq!(points[0].payload, r#"{"a":1}"#);
        assert_eq!(
            points[0].vectors,
            [NamedVector {
                name: String::new(),
                vector: VectorData::Dense(vector::pack(&[1.0, 2.0]))
            }]
        );
        assert_eq!(points[1].id, "2");
        assert_eq!(
            points[1].vectors[0].vector,
            VectorData::Sparse(SparseVector {
                indices: vec![1],
                values: vec![0.5]
            })
        );
        assert_eq!(
            rec.bodies()[0],
            json!({"ids": [mapped, 404, 2], "with_payload": true, "with_vector": true})
        );
    }

    #[test]
    fn payload_writes_keep_string_ids() {
        let rec = Recorder::default()
            .reply(200, OK_UPDATE)
            .reply(200, OK_UPDATE);
        let c = client(&rec, None);
        let selector = PointsSelector::Ids(vec!["1".into(), "doc".into()]);
        c.overwrite_payload("c", &selector, r#"{"x":1}"#, true)
            .unwrap();
        let mapped = ids::to_qdrant("doc").unwrap().json;
        assert_eq!(
            rec.bodies(),
            [
                json!({"points": [1], "payload": {"x": 1}}),
                json!({"points": [mapped], "payload": {"x": 1, "_string_id": "doc"}})
            ]
        );
        for bad in [r#"{"_string_id":"x"}"#, "[1]", "nope"] {
            assert!(matches!(
                c.set_payload("c", &selector, bad, None, true),
                Err(Error::InvalidInput(_))
            ));
        }
        assert!(matches!(
            c.delete_payload_keys("c", &selector, &["_string_id".into()], true),
            Err(Error::InvalidInput(_))
        ));
    }

    #[test]
    fn scroll_passes_cursor_and_reports_next_page() {
        let page = ok(json!({"points": [{"id": 1, "payload": {"a": 1}}], "next_page_offset": 2}));
        let last = ok(json!({"points": [{"id": 2}], "next_page_offset": null}));
        let rec = Recorder::default().reply(200, &page).reply(200, &last);
        let c = client(&rec, None);
        let mut request = ScrollRequest {
            filter: None,
            limit: 1,
            offset: None,
            with_payload: PayloadSelector::None,
            with_vectors: VectorSelector::None,
        };
        let first = c.scroll("c", &request).unwrap();
        assert_eq!(first.points[0].payload, "{}");
        assert_eq!(first.next_offset.as_deref(), Some("2"));
        request.offset = first.next_offset;
        assert_eq!(c.scroll("c", &request).unwrap().next_offset, None);
        assert_eq!(
            rec.bodies()[1],
            json!({"limit": 1, "offset": 2, "with_payload": {"include": ["_string_id"]},
                   "with_vector": false})
        );
    }

    #[test]
    fn count_and_delete_by_filter() {
        let rec = Recorder::default()
            .reply(200, &ok(json!({"count": 7})))
            .reply(200, OK_UPDATE);
        let c = client(&rec, None);
        let f = Filter::MustMatch(vec![("k".into(), "v".into())]);
        assert_eq!(c.count("c", Some(&f), true).unwrap(), 7);
        c.delete_points("c", &PointsSelector::Filter(f), true)
            .unwrap();
        let filter = json!({"must": [{"key": "k", "match": {"value": "v"}}]});
        assert_eq!(
            rec.bodies(),
            [
                json!({"exact": true, "filter": filter}),
                json!({"filter": filter})
            ]
        );
    }
}
