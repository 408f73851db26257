//! The edge API's JSON bodies, read into the WIT records the client takes. Every field is
//! checked by name and type here, so a typo (`"limt"`) is an `invalid-input` that names it,
//! not a silently ignored setting; the client then checks the values as for any host.

use serde_json::{Map, Value};

use crate::Error;
use crate::model::{
    DenseColumn, Distance, Filter, NamedVector, PackedVectors, PayloadSelector, PointBatch,
    PointsSelector, Query, QueryRequest, QueryVector, SearchParams, SparseColumn, SparseVector,
    VectorData, VectorSelector,
};
use crate::vector::le_bytes;

/// Results per query when the body names no `limit`.
pub const DEFAULT_LIMIT: u32 = 10;

/// A body as a JSON object with only the `allowed` members.
pub fn object<'a>(
    value: &'a Value,
    what: &str,
    allowed: &[&str],
) -> Result<&'a Map<String, Value>, Error> {
    let object = value
        .as_object()
        .ok_or_else(|| invalid(format!("{what} must be a JSON object")))?;
    if let Some(unknown) = object.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(invalid(format!(
            "unknown field `{unknown}` in {what}; expected one of: {}",
            allowed.join(", ")
        )));
    }
    Ok(object)
}

/// `PUT /v1/collections/{c}`: `{"size": 384, "distance": "Cosine"}`.
pub fn collection(body: &Value) -> Result<(u64, Distance), Error> {
    let fields = object(body, "the collection", &["size", "distance"])?;
    let size = fields
        .get("size")
        .and_then(Value::as_u64)
        .filter(|&n| n > 0)
        .ok_or_else(|| invalid("`size` must be a positive integer (the vector dimension)"))?;
    let distance = match fields.get("distance") {
        None => Distance::Cosine,
        Some(name) => name
            .as_str()
            .and_then(|name| Distance::from_user(name).ok())
            .ok_or_else(|| invalid("`distance` must be one of Cosine, Dot, Euclid, Manhattan"))?,
    };
    Ok((size, distance))
}

/// `POST /v1/collections/{c}/query`, and each of a batch's `queries`.
pub fn query(body: &Value, what: &str) -> Result<QueryRequest, Error> {
    let fields = object(
        body,
        what,
        &[
            "vector",
            "point_id",
            "using",
            "filter",
            "limit",
            "offset",
            "score_threshold",
            "with_payload",
            "with_vector",
            "exact",
            "hnsw_ef",
        ],
    )?;
    let nearest = match (member(fields, "vector"), member(fields, "point_id")) {
        (Some(vector), None) => match vector_data(vector, "`vector`")? {
            VectorData::Dense(packed) => QueryVector::Dense(packed),
            VectorData::Sparse(sparse) => QueryVector::Sparse(sparse),
        },
        (None, Some(id)) => QueryVector::Point(point_id(id, "`point_id`")?),
        _ => {
            return Err(invalid(format!(
                "{what} needs exactly one of `vector` (numbers, or {{\"indices\", \"values\"}}) and `point_id`"
            )));
        }
    };
    let exact = optional(fields, "exact", Value::as_bool, "true or false")?;
    let hnsw_ef = optional(fields, "hnsw_ef", as_u32, "an integer")?;
    Ok(QueryRequest {
        query: Query::Nearest(nearest),
        using: optional(fields, "using", as_string, "a string")?,
        prefetch: vec![],
        filter: filter(fields.get("filter"))?,
        limit: optional(fields, "limit", as_u32, "an integer")?.unwrap_or(DEFAULT_LIMIT),
        offset: optional(fields, "offset", as_u32, "an integer")?.unwrap_or(0),
        score_threshold: optional(fields, "score_threshold", as_f32, "a number")?,
        with_payload: payload_selector(fields.get("with_payload"))?,
        with_vectors: match optional(fields, "with_vector", Value::as_bool, "true or false")? {
            Some(true) => VectorSelector::All,
            _ => VectorSelector::None,
        },
        params: (exact.is_some() || hnsw_ef.is_some()).then(|| SearchParams {
            hnsw_ef,
            exact: exact.unwrap_or(false),
        }),
    })
}

/// `POST /v1/collections/{c}/query/batch`: `{"queries": [query, ...]}`.
pub fn query_batch(body: &Value) -> Result<Vec<QueryRequest>, Error> {
    let fields = object(body, "the batch", &["queries"])?;
    let queries = fields
        .get("queries")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("`queries` must be an array of queries"))?;
    queries
        .iter()
        .enumerate()
        .map(|(i, q)| query(q, &format!("query {i}")))
        .collect()
}

/// `PUT /v1/collections/{c}/points`: `{"points": [{"id", "vector", "payload"}], "wait"}`.
/// Every point has the same vectors (one unnamed array, or the same names), since they
/// cross to the client column-wise.
pub fn points(body: &Value) -> Result<(PointBatch, bool), Error> {
    let fields = object(body, "the upsert", &["points", "wait"])?;
    let wait = optional(fields, "wait", Value::as_bool, "true or false")?.unwrap_or(true);
    let points = fields
        .get("points")
        .and_then(Value::as_array)
        .filter(|p| !p.is_empty())
        .ok_or_else(|| invalid("`points` must be a non-empty array of points"))?;
    let mut columns: Vec<Column> = Vec::new();
    let mut ids = Vec::with_capacity(points.len());
    let mut payloads = Vec::with_capacity(points.len());
    for (i, point) in points.iter().enumerate() {
        let what = format!("point {i}");
        let fields = object(point, &what, &["id", "vector", "payload"])?;
        ids.push(point_id(
            fields
                .get("id")
                .ok_or_else(|| invalid(format!("{what} has no `id`")))?,
            &format!("{what}'s `id`"),
        )?);
        let vectors = named_vectors(
            fields
                .get("vector")
                .ok_or_else(|| invalid(format!("{what} has no `vector`")))?,
            &what,
        )?;
        if i == 0 {
            columns = vectors.iter().map(Column::first).collect();
        }
        add_row(&mut columns, vectors, &what)?;
        payloads.push(match fields.get("payload") {
            None | Some(Value::Null) => None,
            Some(payload) => Some(serde_json::to_string(payload).expect("a JSON value")),
        });
    }
    let payloads = if payloads.iter().all(Option::is_none) {
        vec![]
    } else {
        payloads
            .into_iter()
            .map(|p| p.unwrap_or_else(|| "{}".into()))
            .collect()
    };
    let (mut dense, mut sparse) = (vec![], vec![]);
    for column in columns {
        match column {
            Column::Dense {
                name,
                dimension,
                values,
            } => dense.push(DenseColumn {
                name,
                dimension,
                data: PackedVectors::LeBytes(le_bytes(&values)),
            }),
            Column::Sparse { name, vectors } => sparse.push(SparseColumn { name, vectors }),
        }
    }
    let batch = PointBatch {
        ids,
        dense,
        sparse,
        payloads,
    };
    Ok((batch, wait))
}

/// `POST /v1/collections/{c}/points/delete`: `{"ids": [...]}` or `{"filter": {...}}`.
pub fn points_selector(body: &Value) -> Result<(PointsSelector, bool), Error> {
    let fields = object(body, "the deletion", &["ids", "filter", "wait"])?;
    let wait = optional(fields, "wait", Value::as_bool, "true or false")?.unwrap_or(true);
    let selector = match (member(fields, "ids"), member(fields, "filter")) {
        (Some(ids), None) => PointsSelector::Ids(
            ids.as_array()
                .ok_or_else(|| invalid("`ids` must be an array of point ids"))?
                .iter()
                .enumerate()
                .map(|(i, id)| point_id(id, &format!("`ids[{i}]`")))
                .collect::<Result<_, _>>()?,
        ),
        (None, Some(given)) => PointsSelector::Filter(filter_of(given)?),
        _ => {
            return Err(invalid(
                "the deletion needs exactly one of `ids` and `filter`",
            ));
        }
    };
    Ok((selector, wait))
}

/// `POST /v1/collections/{c}/count`: `{"filter": {...}, "exact": true}`, both optional.
pub fn count(body: &Value) -> Result<(Option<Filter>, bool), Error> {
    let fields = object(body, "the count", &["filter", "exact"])?;
    let exact = optional(fields, "exact", Value::as_bool, "true or false")?.unwrap_or(true);
    Ok((filter(fields.get("filter"))?, exact))
}

/// One column of an upsert, filled point by point.
enum Column {
    Dense {
        name: String,
        dimension: u32,
        values: Vec<f32>,
    },
    Sparse {
        name: String,
        vectors: Vec<SparseVector>,
    },
}

impl Column {
    /// An empty column shaped like the first point's vector.
    fn first(vector: &NamedVector) -> Column {
        match &vector.vector {
            VectorData::Dense(PackedVectors::LeBytes(bytes)) => Column::Dense {
                name: vector.name.clone(),
                dimension: (bytes.len() / 4) as u32,
                values: vec![],
            },
            _ => Column::Sparse {
                name: vector.name.clone(),
                vectors: vec![],
            },
        }
    }
}

fn add_row(columns: &mut [Column], vectors: Vec<NamedVector>, what: &str) -> Result<(), Error> {
    let names: Vec<String> = columns
        .iter()
        .map(|c| match c {
            Column::Dense { name, .. } | Column::Sparse { name, .. } => name.clone(),
        })
        .collect();
    let layout_differs = || {
        invalid(format!(
            "{what} has other vectors than point 0 ({names:?}); every point of one upsert needs the same"
        ))
    };
    if vectors.len() != columns.len() {
        return Err(layout_differs());
    }
    for (column, vector) in columns.iter_mut().zip(vectors) {
        match (column, vector.vector) {
            (
                Column::Dense {
                    name,
                    dimension,
                    values,
                },
                VectorData::Dense(PackedVectors::LeBytes(bytes)),
            ) if *name == vector.name => {
                if bytes.len() / 4 != *dimension as usize {
                    return Err(invalid(format!(
                        "{what}'s vector {} has {} values, point 0's has {dimension}",
                        if name.is_empty() { "" } else { name.as_str() },
                        bytes.len() / 4,
                    )));
                }
                values.extend(
                    bytes
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                );
            }
            (Column::Sparse { name, vectors }, VectorData::Sparse(sparse))
                if *name == vector.name =>
            {
                vectors.push(sparse)
            }
            _ => return Err(layout_differs()),
        }
    }
    Ok(())
}

/// A point's `vector`: an array (the unnamed vector) or `{name: vector}`.
fn named_vectors(value: &Value, what: &str) -> Result<Vec<NamedVector>, Error> {
    match value {
        Value::Object(named) if !named.contains_key("indices") => named
            .iter()
            .map(|(name, v)| {
                if name.is_empty() {
                    return Err(invalid(format!("{what} has a vector with an empty name")));
                }
                Ok(NamedVector {
                    name: name.clone(),
                    vector: vector_data(v, &format!("{what}'s vector `{name}`"))?,
                })
            })
            .collect(),
        Value::Array(_) => Ok(vec![NamedVector {
            name: String::new(),
            vector: vector_data(value, &format!("{what}'s `vector`"))?,
        }]),
        _ => Err(invalid(format!(
            "{what}'s `vector` must be an array of numbers or an object of named vectors"
        ))),
    }
}

/// A dense vector (an array of numbers) or a sparse one (`{"indices", "values"}`).
fn vector_data(value: &Value, what: &str) -> Result<VectorData, Error> {
    match value {
        Value::Array(values) => {
            let floats = values
                .iter()
                .map(as_f32)
                .collect::<Option<Vec<f32>>>()
                .ok_or_else(|| invalid(format!("{what} must hold only numbers")))?;
            Ok(VectorData::Dense(PackedVectors::LeBytes(le_bytes(&floats))))
        }
        Value::Object(_) => {
            let fields = object(value, what, &["indices", "values"])?;
            let indices = fields
                .get("indices")
                .and_then(Value::as_array)
                .and_then(|a| a.iter().map(as_u32).collect::<Option<Vec<u32>>>())
                .ok_or_else(|| invalid(format!("{what}'s `indices` must be an array of u32")))?;
            let values = fields
                .get("values")
                .and_then(Value::as_array)
                .and_then(|a| a.iter().map(as_f32).collect::<Option<Vec<f32>>>())
                .ok_or_else(|| invalid(format!("{what}'s `values` must be an array of numbers")))?;
            Ok(VectorData::Sparse(SparseVector { indices, values }))
        }
        _ => Err(invalid(format!(
            "{what} must be an array of numbers or {{\"indices\", \"values\"}}"
        ))),
    }
}

/// A point id: an unsigned integer or a string (a UUID, or any other, which the client maps).
fn point_id(value: &Value, what: &str) -> Result<String, Error> {
    match value {
        Value::Number(n) if n.is_u64() => Ok(n.to_string()),
        Value::String(s) => Ok(s.clone()),
        _ => Err(invalid(format!(
            "{what} must be an unsigned integer or a string"
        ))),
    }
}

fn filter(value: Option<&Value>) -> Result<Option<Filter>, Error> {
    value.filter(|v| !v.is_null()).map(filter_of).transpose()
}

fn filter_of(value: &Value) -> Result<Filter, Error> {
    match value {
        Value::Object(_) => Ok(Filter::Json(value.to_string())),
        _ => Err(invalid("`filter` must be a Qdrant filter object")),
    }
}

fn payload_selector(value: Option<&Value>) -> Result<PayloadSelector, Error> {
    match value {
        None | Some(Value::Bool(true)) => Ok(PayloadSelector::All),
        Some(Value::Bool(false)) => Ok(PayloadSelector::None),
        Some(Value::Array(keys)) => keys
            .iter()
            .map(|k| k.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .map(PayloadSelector::Include)
            .ok_or_else(|| invalid("`with_payload` keys must be strings")),
        Some(_) => Err(invalid(
            "`with_payload` must be true, false or an array of keys",
        )),
    }
}

/// A member, `None` when absent or null (JSON's two ways of leaving a field out).
fn member<'a>(fields: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    fields.get(name).filter(|v| !v.is_null())
}

/// A member read with `read`, `None` when absent or null.
fn optional<T>(
    fields: &Map<String, Value>,
    name: &str,
    read: impl Fn(&Value) -> Option<T>,
    expected: &str,
) -> Result<Option<T>, Error> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => read(value)
            .map(Some)
            .ok_or_else(|| invalid(format!("`{name}` must be {expected}"))),
    }
}

fn as_u32(value: &Value) -> Option<u32> {
    value.as_u64().and_then(|n| u32::try_from(n).ok())
}

/// A JSON number as the `f32` it rounds to; `None` past `f32`'s range.
fn as_f32(value: &Value) -> Option<f32> {
    let float = value.as_f64()? as f32;
    float.is_finite().then_some(float)
}

fn as_string(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidInput(message.into())
}
