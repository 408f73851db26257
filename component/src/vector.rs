//! Packed vectors (WIT `packed-vectors`): little-endian f32 values, base64-encoded, so a
//! host lowers one string instead of one value per float.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::Error;
use crate::model::SparseVector;

fn decode_base64(packed: &str) -> Result<Vec<u8>, Error> {
    STANDARD
        .decode(packed)
        .map_err(|e| Error::InvalidInput(format!("packed vectors are not valid base64: {e}")))
}

/// Unpacks `bytes` into `count` vectors of `dimension` finite values each.
pub fn unpack(packed: &str, dimension: u32, count: usize) -> Result<Vec<Vec<f32>>, Error> {
    let bytes = decode_base64(packed)?;
    let dimension = dimension as usize;
    if dimension == 0 {
        return Err(Error::InvalidInput(
            "vector dimension must be at least 1".into(),
        ));
    }
    let expected = count
        .checked_mul(dimension)
        .and_then(|n| n.checked_mul(4))
        .ok_or_else(|| Error::InvalidInput("vector batch too large".into()))?;
    if bytes.len() != expected {
        return Err(Error::InvalidInput(format!(
            "expected {count} vectors of dimension {dimension} ({expected} bytes), got {} bytes",
            bytes.len()
        )));
    }
    bytes
        .chunks_exact(dimension * 4)
        .enumerate()
        .map(|(row, chunk)| decode_row(chunk).map_err(|col| non_finite(row, col)))
        .collect()
}

/// Unpacks one query vector of any non-zero dimension.
pub fn unpack_one(packed: &str) -> Result<Vec<f32>, Error> {
    let bytes = decode_base64(packed)?;
    if bytes.is_empty() || bytes.len() % 4 != 0 {
        return Err(Error::InvalidInput(format!(
            "a packed vector needs a non-zero multiple of 4 bytes, got {}",
            bytes.len()
        )));
    }
    decode_row(&bytes).map_err(|col| non_finite(0, col))
}

/// Checks a sparse vector as Qdrant would (equal lengths, unique indices, finite values)
/// and returns its JSON form.
pub fn sparse_json(vector: &SparseVector, what: &str) -> Result<serde_json::Value, Error> {
    if vector.indices.len() != vector.values.len() {
        return Err(Error::InvalidInput(format!(
            "{what}: {} indices but {} values",
            vector.indices.len(),
            vector.values.len()
        )));
    }
    if let Some(i) = vector.values.iter().position(|v| !v.is_finite()) {
        return Err(Error::InvalidInput(format!(
            "{what}: value {i} is not finite"
        )));
    }
    let mut seen = vector.indices.clone();
    seen.sort_unstable();
    if let Some(pair) = seen.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::InvalidInput(format!(
            "{what}: index {} appears twice",
            pair[0]
        )));
    }
    Ok(serde_json::json!({"indices": vector.indices, "values": vector.values}))
}

/// Packs values as hosts do before a call (the Rust host uses this; tests too).
pub fn pack(values: &[f32]) -> String {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    STANDARD.encode(bytes)
}

fn decode_row(chunk: &[u8]) -> Result<Vec<f32>, usize> {
    chunk
        .chunks_exact(4)
        .enumerate()
        .map(|(col, b)| {
            let v = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            if v.is_finite() { Ok(v) } else { Err(col) }
        })
        .collect()
}

fn non_finite(row: usize, col: usize) -> Error {
    Error::InvalidInput(format!(
        "vector {row} has a NaN or infinite value at index {col}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let rows = vec![vec![1.0, -2.5], vec![0.0, 3.25]];
        let packed = pack(&rows.concat());
        assert_eq!(unpack(&packed, 2, 2).unwrap(), rows);
        assert_eq!(unpack_one(&pack(&[0.5, 1.5])).unwrap(), vec![0.5, 1.5]);
    }

    #[test]
    fn wrong_length_and_non_finite_are_rejected() {
        assert!(matches!(
            unpack(&pack(&[1.0, 2.0, 3.0]), 2, 2),
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(unpack("", 0, 0), Err(Error::InvalidInput(_))));
        assert!(matches!(
            unpack("not base64!", 1, 1),
            Err(Error::InvalidInput(_))
        ));
        let Err(Error::InvalidInput(m)) = unpack(&pack(&[1.0, 2.0, 3.0, f32::NAN]), 2, 2) else {
            panic!("NaN accepted");
        };
        assert!(m.contains("vector 1") && m.contains("index 1"), "{m}");
        assert!(unpack_one(&pack(&[f32::INFINITY])).is_err());
        assert!(unpack_one(&STANDARD.encode([0u8, 0, 0])).is_err());
    }
}
