//! The edge API's answers: WIT records as JSON. Payloads are the client's JSON text, copied
//! as they are; ids are numbers when they are integers, as Qdrant writes them.

use serde_json::{Value, json};

use crate::collections::{schema_name, status_name};
use crate::model::{
    CollectionInfo, NamedVector, PackedVectors, ScoredPoint, ServerInfo, VectorData,
};
use crate::{float_text, vector};

pub fn health(info: &ServerInfo) -> Vec<u8> {
    let body = json!({
        "status": "ok",
        "qdrant": {"title": info.title, "version": info.version},
    });
    body.to_string().into_bytes()
}

/// `{"points": [{"id", "score", "payload", "vector"?}]}`.
pub fn scored_points(points: &[ScoredPoint]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + points.len() * 128);
    write_points(points, &mut out);
    out
}

/// `{"results": [{"points": [...]}, ...]}`, one per query, in order.
pub fn batch(results: &[Vec<ScoredPoint>]) -> Vec<u8> {
    let mut out = b"{\"results\":[".to_vec();
    for (i, points) in results.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_points(points, &mut out);
    }
    out.extend_from_slice(b"]}");
    out
}

fn write_points(points: &[ScoredPoint], out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"points\":[");
    for (i, point) in points.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"id\":");
        write_id(&point.id, out);
        out.extend_from_slice(b",\"score\":");
        // As the `f32` it is (`0.91`, not the widened `0.9100000262260437`).
        serde_json::to_writer(&mut *out, &point.score).expect("writing to a Vec");
        out.extend_from_slice(b",\"payload\":");
        out.extend_from_slice(point.payload.as_bytes());
        if !point.vectors.is_empty() {
            out.extend_from_slice(b",\"vector\":");
            write_vectors(&point.vectors, out);
        }
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
}

/// An integer id as a number, any other as a string.
fn write_id(id: &str, out: &mut Vec<u8>) {
    let integer = !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_digit())
        && (id == "0" || !id.starts_with('0'))
        && id.parse::<u64>().is_ok();
    if integer {
        out.extend_from_slice(id.as_bytes());
    } else {
        serde_json::to_writer(&mut *out, id).expect("writing to a Vec");
    }
}

/// The unnamed vector as an array; named ones as `{name: vector}`.
fn write_vectors(vectors: &[NamedVector], out: &mut Vec<u8>) {
    if let [only] = vectors
        && only.name.is_empty()
    {
        write_vector(&only.vector, out);
        return;
    }
    out.push(b'{');
    for (i, named) in vectors.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut *out, &named.name).expect("writing to a Vec");
        out.push(b':');
        write_vector(&named.vector, out);
    }
    out.push(b'}');
}

fn write_vector(data: &VectorData, out: &mut Vec<u8>) {
    match data {
        VectorData::Dense(packed) => {
            let bytes = match packed {
                PackedVectors::LeBytes(bytes) => Ok(bytes.clone()),
                PackedVectors::Base64(text) => vector::base64_bytes(text),
            };
            let values = bytes
                .and_then(|b| vector::unpack_le(&b))
                .unwrap_or_default();
            float_text::write_f32_array(out, values.into_iter());
        }
        VectorData::Sparse(sparse) => vector::write_sparse_json(sparse, out),
    }
}

/// The typed part of a collection's description.
pub fn collection(info: &CollectionInfo) -> Vec<u8> {
    let vectors: Vec<Value> = info
        .vectors
        .iter()
        .map(|v| json!({"name": v.name, "size": v.size, "distance": v.distance.as_qdrant()}))
        .collect();
    let sparse: Vec<Value> = info
        .sparse_vectors
        .iter()
        .map(|v| json!({"name": v.name}))
        .collect();
    let schema: serde_json::Map<String, Value> = info
        .payload_schema
        .iter()
        .map(|(field, kind)| (field.clone(), schema_name(*kind).into()))
        .collect();
    json!({
        "status": status_name(info.status),
        "points_count": info.points_count,
        "indexed_vectors_count": info.indexed_vectors_count,
        "segments_count": info.segments_count,
        "vectors": vectors,
        "sparse_vectors": sparse,
        "payload_schema": schema,
    })
    .to_string()
    .into_bytes()
}
