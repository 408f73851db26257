//! The Query API: nearest neighbours by dense, sparse or stored vector, prefetch + fusion,
//! single and batched.

use serde_json::{Map, Value};

use crate::decode::decode_vectors;
use crate::ids::ReturnedId;
use crate::json_reader::JsonReader;
use crate::model::{
    Fusion, PayloadSelector, Prefetch, Query, QueryRequest, QueryVector, ScoredPoint, SearchParams,
};
use crate::points::{payload_selector_json, vector_selector_json};
use crate::rest::{Qdrant, Retry, collection_path, decode, read_result};
use crate::transport::{Method, Transport};
use crate::{Error, filter, ids, vector};

impl<T: Transport> Qdrant<T> {
    /// `POST /collections/{name}/points/query`, best first.
    pub fn query(
        &self,
        collection: &str,
        request: &QueryRequest,
    ) -> Result<Vec<ScoredPoint>, Error> {
        let path = self.read_path(collection_path(collection, "/points/query")?);
        let mut body = Vec::new();
        write_request(request, &mut body)?;
        self.select_shards_in_text(&mut body);
        let response = self.send(Method::Post, &path, Some(body), Retry::Idempotent)?;
        read_result(&response, |reader| read_answer(reader, request))
    }

    /// Several queries in one request; one result list per query, in order.
    pub fn query_batch(
        &self,
        collection: &str,
        requests: &[QueryRequest],
    ) -> Result<Vec<Vec<ScoredPoint>>, Error> {
        if requests.is_empty() {
            return Ok(vec![]);
        }
        let path = self.read_path(collection_path(collection, "/points/query/batch")?);
        let mut body = b"{\"searches\":[".to_vec();
        for (i, request) in requests.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            write_request(request, &mut body)?;
            self.select_shards_in_text(&mut body);
        }
        body.extend_from_slice(b"]}");
        let response = self.send(Method::Post, &path, Some(body), Retry::Idempotent)?;
        let not_one_each = || decode("query batch: not one result per query");
        read_result(&response, |reader| {
            let mut answers = Vec::with_capacity(requests.len());
            reader.array(|reader| {
                let request = requests.get(answers.len()).ok_or_else(not_one_each)?;
                answers.push(read_answer(reader, request)?);
                Ok(())
            })?;
            if answers.len() != requests.len() {
                return Err(not_one_each());
            }
            Ok(answers)
        })
    }
}

/// One query's answer, `{"points":[..]}`, best first. Payloads stay the server's JSON text
/// (see [`id_and_payload`]).
fn read_answer(reader: &mut JsonReader, request: &QueryRequest) -> Result<Vec<ScoredPoint>, Error> {
    reader.member("points", |reader| {
        let mut points = Vec::with_capacity(request.limit.min(1024) as usize);
        reader.array(|reader| {
            points.push(read_point(reader, &request.with_payload)?);
            Ok(())
        })?;
        Ok(points)
    })
}

fn read_point(
    reader: &mut JsonReader,
    with_payload: &PayloadSelector,
) -> Result<ScoredPoint, Error> {
    let (mut id, mut score, mut payload, mut vector) = (None, None, None, None);
    // The members read, as bits: one given twice is an error, as serde's derive made it.
    let mut seen = 0u8;
    let mut first = |bit: u8, key: &str| {
        if seen & bit != 0 {
            return Err(decode(&format!("`{key}` twice in a point")));
        }
        seen |= bit;
        Ok(())
    };
    reader.object(|reader, key| {
        match key {
            b"id" => {
                first(1, "id")?;
                id = Some(read_id(reader)?);
            }
            b"score" => {
                first(2, "score")?;
                let text = reader.number()?;
                // Qdrant's scores are `f32`, written as such: read as `f32`, exactly.
                let value = text.parse::<f32>().ok().filter(|s| s.is_finite());
                score = Some(value.ok_or_else(|| decode(&format!("score {text}")))?);
            }
            b"payload" => {
                first(4, "payload")?;
                payload = read_payload(reader)?;
            }
            b"vector" => {
                first(8, "vector")?;
                vector = if reader.null() {
                    None
                } else {
                    Some(reader.skip()?)
                };
            }
            _ => reader.skip_value()?,
        }
        Ok(())
    })?;
    let id = id.ok_or_else(|| decode("point without an id"))?;
    let score = score.ok_or_else(|| decode("point without a score"))?;
    let (id, payload) = id_and_payload(id, payload, with_payload)?;
    let vectors = match vector {
        None => vec![],
        Some(text) => {
            let vector: Value =
                serde_json::from_str(text).map_err(|e| decode(&format!("vector: {e}")))?;
            decode_vectors(Some(&vector))?
        }
    };
    Ok(ScoredPoint {
        id,
        score,
        payload,
        vectors,
    })
}

/// A payload: the server's text (`None` for `null`), and whether one of its top-level keys
/// is the string-id key (found while the text is checked, so no second scan).
fn read_payload<'a>(reader: &mut JsonReader<'a>) -> Result<Option<PayloadText<'a>>, Error> {
    if reader.null() {
        return Ok(None);
    }
    let mut maps_id = false;
    let text = reader.capture(|reader| {
        reader.object(|reader, key| {
            maps_id |= key == ids::STRING_ID_KEY.as_bytes();
            reader.skip_value()
        })
    })?;
    Ok(Some(PayloadText { text, maps_id }))
}

struct PayloadText<'a> {
    text: &'a str,
    maps_id: bool,
}

/// The id to report (the original string id when the payload maps one) and the payload's
/// text: passed through as the server wrote it unless the string-id key must come out.
fn id_and_payload(
    id: ReturnedId<'_>,
    payload: Option<PayloadText<'_>>,
    with_payload: &PayloadSelector,
) -> Result<(String, String), Error> {
    let asked_none = *with_payload == PayloadSelector::None;
    match payload {
        Some(PayloadText {
            text,
            maps_id: true,
        }) => {
            let mut map: Map<String, Value> =
                serde_json::from_str(text).map_err(|e| decode(&format!("payload: {e}")))?;
            let id = ids::from_qdrant(id, &mut map);
            if asked_none {
                map.clear();
            }
            Ok((id, Value::Object(map).to_string()))
        }
        Some(PayloadText { text, .. }) if !asked_none => Ok((id.into_string(), text.to_owned())),
        _ => Ok((id.into_string(), "{}".to_owned())),
    }
}

/// A returned point id: an unsigned integer or a string (a UUID).
fn read_id<'a>(reader: &mut JsonReader<'a>) -> Result<ReturnedId<'a>, Error> {
    if reader.at_string() {
        return Ok(ReturnedId::Text(reader.string()?));
    }
    let text = reader.number()?;
    text.parse()
        .map(ReturnedId::Integer)
        .map_err(|_| decode(&format!("point id {text} is neither integer nor UUID")))
}

/// Appends the JSON body of one query to `out`, checking it on the way: on an error the
/// caller drops `out` unsent. Written straight into the body rather than through serde or
/// a `Map`: the vector's text is most of it (`f32` text, see [`crate::float_text`]), and a
/// `Map` costs an allocation per member on every search.
pub fn write_request(request: &QueryRequest, out: &mut Vec<u8>) -> Result<(), Error> {
    if request.limit == 0 {
        return Err(Error::InvalidInput("limit must be at least 1".into()));
    }
    out.extend_from_slice(b"{\"query\":");
    match &request.query {
        Query::Nearest(v) => write_query_vector(v, out)?,
        Query::Fusion(f) => {
            if request.prefetch.is_empty() {
                return Err(Error::InvalidInput(
                    "fusion needs at least one prefetch to fuse".into(),
                ));
            }
            out.extend_from_slice(match f {
                Fusion::Rrf => br#"{"fusion":"rrf"}"#,
                Fusion::Dbsf => br#"{"fusion":"dbsf"}"#,
            });
        }
    }
    if !request.prefetch.is_empty() {
        out.extend_from_slice(b",\"prefetch\":[");
        for (i, stage) in request.prefetch.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_prefetch(stage, out)?;
        }
        out.push(b']');
    }
    write_common(
        out,
        request.using.as_deref(),
        request.filter.as_ref(),
        request.score_threshold,
        request.params.as_ref(),
        request.limit,
    )?;
    if request.offset > 0 {
        member(out, "offset");
        out.extend_from_slice(itoa::Buffer::new().format(request.offset).as_bytes());
    }
    member(out, "with_payload");
    write_value(out, &payload_selector_json(&request.with_payload));
    member(out, "with_vector");
    write_value(out, &vector_selector_json(&request.with_vectors));
    out.push(b'}');
    Ok(())
}

fn write_prefetch(stage: &Prefetch, out: &mut Vec<u8>) -> Result<(), Error> {
    if stage.limit == 0 {
        return Err(Error::InvalidInput(
            "prefetch limit must be at least 1".into(),
        ));
    }
    out.extend_from_slice(b"{\"query\":");
    write_query_vector(&stage.query, out)?;
    write_common(
        out,
        stage.using.as_deref(),
        stage.filter.as_ref(),
        stage.score_threshold,
        stage.params.as_ref(),
        stage.limit,
    )?;
    out.push(b'}');
    Ok(())
}

/// Members a query and a prefetch stage share, each after a comma.
fn write_common(
    out: &mut Vec<u8>,
    using: Option<&str>,
    filter: Option<&crate::model::Filter>,
    score_threshold: Option<f32>,
    params: Option<&SearchParams>,
    limit: u32,
) -> Result<(), Error> {
    if let Some(using) = using {
        member(out, "using");
        write_value(out, using);
    }
    if let Some(f) = filter {
        member(out, "filter");
        write_value(out, &filter::to_json(f)?);
    }
    if let Some(threshold) = score_threshold {
        if !threshold.is_finite() {
            return Err(Error::InvalidInput("score threshold must be finite".into()));
        }
        // As the `f32` it is (`0.7`, not the widened `0.699999988079071`).
        member(out, "score_threshold");
        write_value(out, &threshold);
    }
    if let Some(p) = params {
        member(out, "params");
        out.push(b'{');
        if let Some(ef) = p.hnsw_ef {
            out.extend_from_slice(b"\"hnsw_ef\":");
            out.extend_from_slice(itoa::Buffer::new().format(ef).as_bytes());
            out.push(b',');
        }
        out.extend_from_slice(if p.exact {
            b"\"exact\":true}"
        } else {
            b"\"exact\":false}"
        });
    }
    member(out, "limit");
    out.extend_from_slice(itoa::Buffer::new().format(limit).as_bytes());
    Ok(())
}

/// `,"key":` for a key that needs no escaping.
fn member(out: &mut Vec<u8>, key: &str) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

fn write_value(out: &mut Vec<u8>, value: &(impl serde::Serialize + ?Sized)) {
    serde_json::to_writer(out, value).expect("strings, numbers and JSON values serialize");
}

fn write_query_vector(v: &QueryVector, out: &mut Vec<u8>) -> Result<(), Error> {
    match v {
        QueryVector::Dense(packed) => vector::PackedRows::decode_one(packed)?.write_json(0, out),
        QueryVector::Sparse(sparse) => {
            vector::check_sparse(sparse, "sparse query")?;
            vector::write_sparse_json(sparse, out);
        }
        QueryVector::Point(id) => write_value(out, &ids::to_qdrant(id)?.json),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Filter, PayloadSelector, SparseVector, VectorSelector};
    use crate::testing::{Recorder, client, ok};
    use serde_json::json;

    fn nearest(values: &[f32]) -> QueryRequest {
        QueryRequest {
            query: Query::Nearest(QueryVector::Dense(vector::pack(values))),
            using: None,
            prefetch: vec![],
            filter: None,
            limit: 5,
            offset: 0,
            score_threshold: None,
            with_payload: PayloadSelector::All,
            with_vectors: VectorSelector::None,
            params: None,
        }
    }

    #[test]
    fn dense_query_builds_body_and_reports_original_ids() {
        let mapped = ids::to_qdrant("doc1").unwrap().json;
        let reply = ok(json!({"points": [
            {"id": mapped, "version": 3, "score": 0.9,
             "payload": {"_string_id": "doc1", "category": "a"}},
            {"id": 7, "version": 1, "score": 0.5},
            {"id": 8, "version": 1, "score": 0.4, "payload": {"text": "say \"hi\"\n"}}]}));
        let rec = Recorder::default().reply(200, &reply);
        let mut request = nearest(&[0.25, 1.0]);
        request.filter = Some(Filter::MustMatch(vec![("category".into(), "a".into())]));
        request.score_threshold = Some(0.5);
        request.offset = 2;
        request.params = Some(SearchParams {
            hnsw_ef: Some(64),
            exact: false,
        });
        let points = client(&rec, None).query("c", &request).unwrap();
        assert_eq!(
            rec.bodies()[0],
            json!({"query": [0.25, 1.0], "limit": 5, "offset": 2, "with_payload": true,
                   "with_vector": false, "score_threshold": 0.5,
                   "params": {"hnsw_ef": 64, "exact": false},
                   "filter": {"must": [{"key": "category", "match": {"value": "a"}}]}})
        );
        assert_eq!(points[0].id, "doc1");
        assert_eq!(points[0].payload, r#"{"category":"a"}"#);
        assert_eq!(points[1].id, "7");
        assert_eq!(points[1].payload, "{}");
        // Escapes pass through as the server wrote them.
        assert_eq!(points[2].payload, r#"{"text":"say \"hi\"\n"}"#);
    }

    #[test]
    fn score_threshold_is_sent_as_the_f32_it_is() {
        let rec = Recorder::default().reply(200, &ok(json!({"points": []})));
        let request = QueryRequest {
            score_threshold: Some(0.7),
            ..nearest(&[1.0])
        };
        client(&rec, None).query("c", &request).unwrap();
        let body = String::from_utf8(rec.sent.borrow()[0].body.clone().unwrap()).unwrap();
        // Not the widened `0.699999988079071`; both read back as 0.7f32, this one is what
        // the caller wrote.
        assert!(body.contains(r#""score_threshold":0.7,"#), "{body}");
    }

    #[test]
    fn answers_are_read_whatever_their_member_order_and_extra_members() {
        // Envelope members before `result`, members Qdrant may add, an escaped key, a UUID
        // id and a returned vector.
        let uuid = "5c56c793-69f3-4fbf-87e6-c4bf54c28c26";
        let reply = format!(
            r#"{{"status":"ok","time":0.001,"result":{{"extra":[1,{{"x":null}}],"points":[
                {{"version":3,"order_value":null,"shard_key":"a","payload":{{"t":"\u00e9"}},
                  "sco\u0072e":0.25,"id":"{uuid}","vector":[0.5,1.0]}},
                {{"score":1e-3,"id":18446744073709551615,"payload":null}}]}}}}"#
        );
        let rec = Recorder::default().reply(200, &reply);
        let points = client(&rec, None).query("c", &nearest(&[1.0])).unwrap();
        assert_eq!(points.len(), 2);
        assert_eq!(points[0].id, uuid);
        assert_eq!(points[0].score, 0.25);
        assert_eq!(points[0].payload, r#"{"t":"\u00e9"}"#);
        assert_eq!(points[0].vectors.len(), 1);
        assert_eq!(points[1].id, u64::MAX.to_string());
        assert_eq!(points[1].score, 1e-3);
        assert_eq!(points[1].payload, "{}");
        assert!(points[1].vectors.is_empty());
    }

    #[test]
    fn only_a_top_level_string_id_key_maps_the_id() {
        let mapped = ids::to_qdrant("doc1").unwrap().json;
        let reply = ok(json!({"points": [
            {"id": mapped, "score": 0.9, "payload": {"a": 1, "_string_id": "doc1"}},
            {"id": 5, "score": 0.8, "payload": {"inner": {"_string_id": "x"}, "k": "_string_id"}}]}));
        for (with_payload, first, second) in [
            (
                PayloadSelector::All,
                r#"{"a":1}"#,
                r#"{"inner":{"_string_id":"x"},"k":"_string_id"}"#,
            ),
            (PayloadSelector::None, "{}", "{}"),
        ] {
            let rec = Recorder::default().reply(200, &reply);
            let request = QueryRequest {
                with_payload,
                ..nearest(&[1.0])
            };
            let points = client(&rec, None).query("c", &request).unwrap();
            assert_eq!(
                (points[0].id.as_str(), points[0].payload.as_str()),
                ("doc1", first)
            );
            assert_eq!(
                (points[1].id.as_str(), points[1].payload.as_str()),
                ("5", second)
            );
        }
    }

    #[test]
    fn malformed_answers_are_decode_errors() {
        let point = |p: &str| format!(r#"{{"result":{{"points":[{p}]}}}}"#);
        let bad = [
            String::new(),
            "<html>".into(),
            r#"{"status":"ok"}"#.into(),
            r#"{"result":{}}"#.into(),
            r#"{"result":{"points":[]}} trailing"#.into(),
            r#"{"result":{"points":[]},"result":{"points":[]}}"#.into(),
            point(r#"{"id":1}"#),
            point(r#"{"score":0.5}"#),
            point(r#"{"id":-1,"score":0.5}"#),
            point(r#"{"id":1.5,"score":0.5}"#),
            point(r#"{"id":true,"score":0.5}"#),
            point(r#"{"id":1,"score":"high"}"#),
            point(r#"{"id":1,"score":1e99}"#),
            point(r#"{"id":1,"score":0.5,"payload":[1]}"#),
            point(r#"{"id":1,"score":0.5,"payload":{"a":tru}}"#),
            point(r#"{"id":1,"score":0.5,"vector":"v"}"#),
            point(r#"{"id":1,"score":0.5,}"#),
            point(r#"{"id":1,"score":0.5,"id":2}"#),
            point(r#"{"id":1,"score":0.5,"payload":null,"payload":{}}"#),
            r#"{"result":{"points":[],"points":[]}}"#.into(),
        ];
        for reply in bad {
            let rec = Recorder::default().reply(200, &reply);
            let got = client(&rec, None).query("c", &nearest(&[1.0]));
            assert!(matches!(got, Err(Error::Decode(_))), "{reply}: {got:?}");
        }
    }

    #[test]
    fn hybrid_query_fuses_dense_and_sparse_prefetches() {
        let rec = Recorder::default().reply(200, &ok(json!({"points": []})));
        let sparse = SparseVector {
            indices: vec![10, 20],
            values: vec![1.0, 0.5],
        };
        let request = QueryRequest {
            query: Query::Fusion(Fusion::Rrf),
            prefetch: vec![
                Prefetch {
                    query: QueryVector::Dense(vector::pack(&[1.0, 0.0])),
                    using: Some("dense".into()),
                    filter: None,
                    limit: 20,
                    score_threshold: None,
                    params: None,
                },
                Prefetch {
                    query: QueryVector::Sparse(sparse),
                    using: Some("bm25".into()),
                    filter: None,
                    limit: 20,
                    score_threshold: None,
                    params: None,
                },
            ],
            ..nearest(&[1.0])
        };
        client(&rec, None).query("c", &request).unwrap();
        assert_eq!(
            rec.bodies()[0],
            json!({"query": {"fusion": "rrf"}, "limit": 5, "with_payload": true,
                   "with_vector": false, "prefetch": [
                       {"query": [1.0, 0.0], "using": "dense", "limit": 20},
                       {"query": {"indices": [10, 20], "values": [1.0, 0.5]}, "using": "bm25",
                        "limit": 20}]})
        );
    }

    #[test]
    fn batch_returns_one_list_per_query() {
        let reply = ok(json!([{"points": [{"id": 1, "score": 1.0}]}, {"points": []}]));
        let rec = Recorder::default().reply(200, &reply);
        let got = client(&rec, None)
            .query_batch("c", &[nearest(&[1.0]), nearest(&[2.0])])
            .unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0][0].id, "1");
        assert!(got[1].is_empty());
        assert_eq!(
            rec.urls()[0],
            "http://qdrant:6333/collections/c/points/query/batch"
        );
        assert_eq!(rec.bodies()[0]["searches"].as_array().unwrap().len(), 2);
        // A short answer is a decode error, not a silent misalignment.
        let rec = Recorder::default().reply(200, &ok(json!([{"points": []}])));
        assert!(matches!(
            client(&rec, None).query_batch("c", &[nearest(&[1.0]), nearest(&[2.0])]),
            Err(Error::Decode(_))
        ));
    }

    #[test]
    fn invalid_queries_send_nothing() {
        let rec = Recorder::default();
        let c = client(&rec, None);
        let fusion_alone = QueryRequest {
            query: Query::Fusion(Fusion::Dbsf),
            ..nearest(&[1.0])
        };
        let bad = [
            QueryRequest {
                limit: 0,
                ..nearest(&[1.0])
            },
            QueryRequest {
                score_threshold: Some(f32::NAN),
                ..nearest(&[1.0])
            },
            nearest(&[]),
            nearest(&[f32::INFINITY]),
            fusion_alone,
            QueryRequest {
                query: Query::Nearest(QueryVector::Point(String::new())),
                ..nearest(&[1.0])
            },
        ];
        for request in bad {
            assert!(
                matches!(c.query("c", &request), Err(Error::InvalidInput(_))),
                "{request:?}"
            );
        }
        assert!(rec.sent.borrow().is_empty());
    }
}
