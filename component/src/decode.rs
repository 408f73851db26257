//! Decoding the points Qdrant returns: the original string id restored, the payload, and
//! dense and sparse vectors. Shared by get/scroll and queries.

use serde_json::{Map, Value};

use crate::Error;
use crate::ids::{self, ReturnedId};
use crate::model::{NamedVector, PackedVectors, PayloadSelector, Point, SparseVector, VectorData};
use crate::rest::decode;
use crate::vector;

/// A point from get/scroll. The payload is `{}` when it was not asked for.
pub(crate) fn decode_point(point: &Value, with_payload: &PayloadSelector) -> Result<Point, Error> {
    let (id, payload, vectors) = decode_common(point, with_payload)?;
    Ok(Point {
        id,
        payload,
        vectors,
    })
}

/// Id (original string id restored), payload JSON text and vectors of a returned point.
fn decode_common(
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
