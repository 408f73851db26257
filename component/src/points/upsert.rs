//! Upsert pipelining: a batch's bodies are sent one by one, each written while the one
//! before is in flight, with the vector sizes checked against the collection first when
//! there are several.

use crate::Error;
use crate::model::{DEFAULT_UPSERT_BATCH, PointBatch};
use crate::rest::{Qdrant, Retry, collection_path, update_result};
use crate::transport::{InFlight, Method, Transport};

use super::batch::UpsertPoints;

/// Qdrant rejects request bodies over 32 MiB by default; stay below with headroom.
pub const MAX_BODY_BYTES: usize = 30 * 1024 * 1024;

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

pub(super) const BODY_START: &[u8] = b"{\"points\":[";
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::{Config, DEFAULT_UPSERT_RETRY, RetryPolicy};
    use crate::points::fixtures::{batch, dense};
    use crate::testing::{Holding, OK_UPDATE, Recorder, client, ok};

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
}
