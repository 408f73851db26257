//! A `PointBatch` made ready for upsert: every point checked (ids, vectors, payloads,
//! size) before anything is sent, then written as JSON one point at a time.

use std::borrow::Cow;

use serde_json::Value;

use crate::model::{PointBatch, SparseVector};
use crate::{Error, float_text, ids, json_reader, vector};

use super::payload::{parse_payload, reserved_key};
use super::upsert::{BODY_START, MAX_BODY_BYTES, MAX_BODY_END};

/// Checks `batch` as [`crate::rest::Qdrant::upsert_points`] does before its first request,
/// sending nothing (the collection's vector sizes are not checked).
pub fn validate_points(batch: &PointBatch) -> Result<(), Error> {
    UpsertPoints::prepare(batch).map(drop)
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

/// The points of one upsert, every one checked (ids, vectors, payloads, size) before the
/// first body is sent; their bodies are then written one at a time. Written by hand rather
/// than through serde: dense rows go from their packed bytes straight to text.
pub(super) struct UpsertPoints<'a> {
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
    pub(super) fn prepare(batch: &'a PointBatch) -> Result<Self, Error> {
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

    pub(super) fn len(&self) -> usize {
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
    pub(super) fn write(&self, i: usize, out: &mut Vec<u8>) {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::SparseColumn;
    use crate::points::fixtures::{batch, dense};
    use crate::testing::{OK_UPDATE, Recorder, body_json, client};

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
}
