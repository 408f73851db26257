//! Packed vectors (WIT `packed-vectors`): little-endian f32 values, as bytes or base64, so a
//! host lowers one list or string instead of one value per float.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::model::{PackedVectors, SparseVector};
use crate::{Error, float_text};

/// The little-endian bytes: borrowed as they came, or decoded from base64.
fn bytes_of(packed: &PackedVectors) -> Result<Cow<'_, [u8]>, Error> {
    match packed {
        PackedVectors::LeBytes(bytes) => Ok(Cow::Borrowed(bytes)),
        PackedVectors::Base64(text) => base64_bytes(text).map(Cow::Owned),
    }
}

/// The bytes of the `base64` case.
pub fn base64_bytes(text: &str) -> Result<Vec<u8>, Error> {
    STANDARD
        .decode(text)
        .map_err(|e| Error::InvalidInput(format!("packed vectors are not valid base64: {e}")))
}

/// A packed column of `count` dense vectors, checked (length, finite values) and decoded
/// once; each row is written as JSON straight from its bytes.
pub struct PackedRows<'a> {
    bytes: Cow<'a, [u8]>,
    row_bytes: usize,
}

impl<'a> PackedRows<'a> {
    pub fn decode(packed: &'a PackedVectors, dimension: u32, count: usize) -> Result<Self, Error> {
        let bytes = bytes_of(packed)?;
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
        if let Some(at) = first_non_finite(&bytes) {
            return Err(non_finite(at / dimension, at % dimension));
        }
        Ok(PackedRows {
            bytes,
            row_bytes: dimension * 4,
        })
    }

    /// One vector of any non-zero dimension, as a single row.
    pub fn decode_one(packed: &'a PackedVectors) -> Result<Self, Error> {
        Self::one_row(bytes_of(packed)?)
    }

    fn one_row(bytes: Cow<'a, [u8]>) -> Result<Self, Error> {
        if bytes.is_empty() || !bytes.len().is_multiple_of(4) {
            return Err(Error::InvalidInput(format!(
                "a packed vector needs a non-zero multiple of 4 bytes, got {}",
                bytes.len()
            )));
        }
        if let Some(at) = first_non_finite(&bytes) {
            return Err(non_finite(0, at));
        }
        let row_bytes = bytes.len();
        Ok(PackedRows { bytes, row_bytes })
    }

    /// Values per row.
    pub fn dimension(&self) -> usize {
        self.row_bytes / 4
    }

    /// Row `row` as a JSON array of `f32` text.
    pub fn write_json(&self, row: usize, out: &mut Vec<u8>) {
        let bytes = &self.bytes[row * self.row_bytes..(row + 1) * self.row_bytes];
        float_text::write_f32_array(out, bytes.chunks_exact(4).map(f32_from_le));
    }
}

fn f32_from_le(b: &[u8]) -> f32 {
    f32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// Index of the first NaN or infinity among little-endian `f32` values. Every value of a
/// bulk upsert passes here before anything is written, so blocks of 64 values are checked
/// eight at a time, in four words of two, without a branch per value; only a block with
/// one is searched.
fn first_non_finite(bytes: &[u8]) -> Option<usize> {
    const BLOCK: usize = 64 * 4;
    // A value is NaN or infinite when its exponent bits are all ones. With the other bits
    // of both halves of a word cleared, adding one to each exponent carries into bit 31
    // exactly then; neither half's sum can reach into the other.
    const EXPONENTS: u64 = 0x7F80_0000_7F80_0000;
    const EXPONENT_ONE: u64 = 0x0080_0000_0080_0000;
    const CARRIES: u64 = 0x8000_0000_8000_0000;
    let carry = |pair: &[u8]| {
        let pair = u64::from_le_bytes(pair.try_into().expect("8 bytes"));
        (pair & EXPONENTS) + EXPONENT_ONE
    };
    let is_non_finite = |b: &[u8]| {
        let bits = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        bits & 0x7F80_0000 == 0x7F80_0000
    };
    bytes.chunks(BLOCK).enumerate().find_map(|(block, values)| {
        let eights = values.chunks_exact(32);
        let rest = eights.remainder();
        let carries = eights.fold(0, |carries, e| {
            carries | carry(&e[..8]) | carry(&e[8..16]) | carry(&e[16..24]) | carry(&e[24..])
        });
        let any = carries & CARRIES != 0 || rest.chunks_exact(4).any(is_non_finite);
        any.then(|| {
            let at = values.chunks_exact(4).position(is_non_finite).unwrap_or(0);
            block * 64 + at
        })
    })
}

/// The values of one vector of any non-zero dimension, from its little-endian bytes.
pub fn unpack_le(bytes: &[u8]) -> Result<Vec<f32>, Error> {
    let row = PackedRows::one_row(Cow::Borrowed(bytes))?;
    Ok(row.bytes.chunks_exact(4).map(f32_from_le).collect())
}

/// Checks a sparse vector as Qdrant would: equal lengths, unique indices, finite values.
pub fn check_sparse(vector: &SparseVector, what: &str) -> Result<(), Error> {
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
    Ok(())
}

/// A checked sparse vector as `{"indices":[..],"values":[..]}`.
pub fn write_sparse_json(vector: &SparseVector, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"indices\":");
    serde_json::to_writer(&mut *out, &vector.indices).expect("integers always serialize");
    out.extend_from_slice(b",\"values\":");
    float_text::write_f32_array(out, vector.values.iter().copied());
    out.push(b'}');
}

/// The little-endian bytes of `values`.
pub fn le_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Packs values as the component answers them (and as base64-only hosts send them).
pub fn pack(values: &[f32]) -> PackedVectors {
    PackedVectors::Base64(STANDARD.encode(le_bytes(values)))
}

fn non_finite(row: usize, col: usize) -> Error {
    Error::InvalidInput(format!(
        "vector {row} has a NaN or infinite value at index {col}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows_json(rows: &PackedRows, count: usize) -> Vec<String> {
        (0..count)
            .map(|row| {
                let mut out = Vec::new();
                rows.write_json(row, &mut out);
                String::from_utf8(out).unwrap()
            })
            .collect()
    }

    #[test]
    fn round_trip_in_both_cases() {
        let values = [1.0, -2.5, 0.0, 3.25];
        for packed in [pack(&values), PackedVectors::LeBytes(le_bytes(&values))] {
            let rows = PackedRows::decode(&packed, 2, 2).unwrap();
            assert_eq!(rows_json(&rows, 2), ["[1.0,-2.5]", "[0.0,3.25]"]);
            assert_eq!(unpack_le(&bytes_of(&packed).unwrap()).unwrap(), values);
        }
    }

    #[test]
    fn wrong_length_and_non_finite_are_rejected() {
        let decode = |packed: &PackedVectors, dimension, count| {
            PackedRows::decode(packed, dimension, count).map(|_| ())
        };
        let text = |s: &str| PackedVectors::Base64(s.into());
        assert!(matches!(
            decode(&pack(&[1.0, 2.0, 3.0]), 2, 2),
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(
            decode(&text(""), 0, 0),
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(
            decode(&text("not base64!"), 1, 1),
            Err(Error::InvalidInput(_))
        ));
        let Err(Error::InvalidInput(m)) = decode(&pack(&[1.0, 2.0, 3.0, f32::NAN]), 2, 2) else {
            panic!("NaN accepted");
        };
        assert!(m.contains("vector 1") && m.contains("index 1"), "{m}");
        assert!(PackedRows::decode_one(&pack(&[f32::INFINITY])).is_err());
        assert!(PackedRows::decode_one(&text(&STANDARD.encode([0u8, 0, 0]))).is_err());
        assert!(unpack_le(&[0, 0, 0]).is_err());
        assert!(unpack_le(&[]).is_err());
    }

    #[test]
    fn the_first_non_finite_value_is_found_in_any_block() {
        assert_eq!(first_non_finite(&le_bytes(&[0.5; 300])), None);
        for at in [0, 1, 2, 62, 63, 64, 65, 200, 298, 299] {
            for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
                let mut values = vec![-1.5f32; 300];
                values[at] = bad;
                values[299] = if at == 299 { bad } else { f32::NAN };
                assert_eq!(
                    first_non_finite(&le_bytes(&values)),
                    Some(at),
                    "{bad} at {at}"
                );
            }
        }
        assert_eq!(
            first_non_finite(&le_bytes(&[f32::MAX, f32::MIN, 1e-45])),
            None
        );
        // Counts that leave values outside the groups of eight.
        for count in [1, 7, 9, 301] {
            let mut values = vec![0.25f32; count];
            assert_eq!(first_non_finite(&le_bytes(&values)), None);
            values[count - 1] = f32::INFINITY;
            assert_eq!(
                first_non_finite(&le_bytes(&values)),
                Some(count - 1),
                "{count}"
            );
        }
    }

    #[test]
    fn every_exponent_and_sign_is_judged_as_is_finite_does() {
        for exponent in 0..=255u32 {
            for fraction in [0, 1, 0x40_0000, 0x7F_FFFF] {
                for sign in [0, 1u32 << 31] {
                    let value = f32::from_bits(sign | exponent << 23 | fraction);
                    // At each place of a group of eight (either half of each word),
                    // among the largest finite bits.
                    for at in 0..8 {
                        let mut group = [
                            f32::MAX,
                            f32::MIN,
                            f32::MIN_POSITIVE,
                            1.0,
                            0.0,
                            -0.0,
                            1e-45,
                            2.0,
                        ];
                        group[at] = value;
                        let expected = (!value.is_finite()).then_some(at);
                        assert_eq!(first_non_finite(&le_bytes(&group)), expected, "{value:e}");
                    }
                }
            }
        }
    }

    #[test]
    fn sparse_vectors_are_checked_and_written_as_f32() {
        let vector = SparseVector {
            indices: vec![7, 2],
            values: vec![0.1, -1.5],
        };
        check_sparse(&vector, "v").unwrap();
        let mut out = Vec::new();
        write_sparse_json(&vector, &mut out);
        assert_eq!(out, br#"{"indices":[7,2],"values":[0.1,-1.5]}"#);
        let twice = SparseVector {
            indices: vec![2, 2],
            values: vec![1.0, 1.0],
        };
        assert!(check_sparse(&twice, "v").is_err());
    }
}
