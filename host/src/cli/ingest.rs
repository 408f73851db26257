//! `ingest FILE`: JSONL points, streamed in batches (the file is never read whole).
//!
//! A reader thread parses batches while the previous one is being upserted; a bad line stops
//! the reader before its batch is sent, so everything before that batch is written and
//! nothing from it on.

use std::io::{BufRead, BufReader, IsTerminal, Read};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use qdrant_integration::Error;
use qdrant_integration::types::{self, Distance, PointBatch, RetryPolicy};
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::{CliResult, CollectionArg, Connection, Failure, missing_collection};

pub const AFTER_HELP: &str = concat!(
    "\
Each line of FILE is one point:
  {\"id\": 1, \"vector\": [0.1, 0.2, 0.3], \"payload\": {\"category\": \"news\"}}
  {\"id\": \"doc-2\", \"vector\": [0.3, 0.2, 0.1]}
`id` is an unsigned integer, a UUID or any other string; `payload` (a JSON object) is optional.
Blank lines are skipped. On an invalid line the command stops, names the line, and exits 1:
the batches before the one holding that line are written, nothing from it on. Each upsert
request is retried through transient faults (--attempts); if one still fails, the command
says how many points were written and how to resume (--skip N).

Examples:
  qdrant-integration ingest points.jsonl --collection documents --create
  zcat points.jsonl.gz | qdrant-integration ingest - --batch-size 1000",
    "\n\n",
    super::exit_codes_help!()
);

#[derive(Args, Debug)]
pub struct IngestArgs {
    /// JSONL file of points, or `-` for stdin.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub collection: CollectionArg,
    /// Points per upsert request.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch_size: u32,
    /// Create the collection when it is missing, sized by the first vector.
    #[arg(long)]
    pub create: bool,
    /// Upsert requests in flight at once. Above 1, a point repeated in the file may end up
    /// with the value of an earlier line.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub parallel: u32,
    /// Attempts per upsert request before the command gives up (default 8, with backoff
    /// up to 5 s between attempts and 60 s per request).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub attempts: Option<u32>,
    /// Pass over the first N points of FILE (non-blank lines) unread: resumes a run that
    /// stopped after writing N points, as its message says.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub skip: u64,
    /// Distance of a collection made by --create.
    #[arg(long, env = "DISTANCE_METRIC", default_value = "Cosine", value_parser = str::parse::<Distance>)]
    pub distance: Distance,
}

/// One line of the file.
#[derive(Deserialize)]
struct Line<'a> {
    id: Id,
    vector: Vec<f32>,
    #[serde(borrow, default)]
    payload: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Id {
    Number(u64),
    Text(String),
}

/// Parsed points, column-wise as the upsert wants them.
struct Batch {
    ids: Vec<String>,
    rows: Vec<f32>,
    payloads: Vec<String>,
    /// Bytes of the input consumed so far (for the progress bar).
    bytes_read: u64,
}

/// A line that cannot be ingested.
#[derive(Debug)]
struct BadLine {
    line: u64,
    message: String,
}

/// Reads `input` into batches of `batch_size`, checking every vector has `dimension` values
/// (that of the first vector when `None`).
struct BatchReader<R> {
    input: R,
    batch_size: usize,
    dimension: Option<usize>,
    line_number: u64,
    bytes_read: u64,
    buffer: String,
    /// Points (non-blank lines) still to pass over unread: `--skip`.
    skip: u64,
}

impl<R: BufRead> BatchReader<R> {
    fn new(input: R, batch_size: usize) -> Self {
        Self {
            input,
            batch_size,
            dimension: None,
            line_number: 0,
            bytes_read: 0,
            buffer: String::new(),
            skip: 0,
        }
    }

    fn skipping(mut self, points: u64) -> Self {
        self.skip = points;
        self
    }

    fn bad(&self, message: impl Into<String>) -> BadLine {
        BadLine {
            line: self.line_number,
            message: message.into(),
        }
    }

    /// The next batch; `Ok(None)` at the end of the input.
    fn next_batch(&mut self) -> Result<Option<Batch>, BadLine> {
        let mut batch = Batch {
            ids: Vec::with_capacity(self.batch_size),
            rows: Vec::new(),
            payloads: Vec::with_capacity(self.batch_size),
            bytes_read: 0,
        };
        while batch.ids.len() < self.batch_size {
            self.buffer.clear();
            let read = self
                .input
                .read_line(&mut self.buffer)
                .map_err(|e| BadLine {
                    line: self.line_number + 1,
                    message: format!("cannot read: {e}"),
                })?;
            if read == 0 {
                break;
            }
            self.line_number += 1;
            self.bytes_read += read as u64;
            let text = self.buffer.trim();
            if text.is_empty() {
                continue;
            }
            if self.skip > 0 {
                self.skip -= 1;
                continue;
            }
            let line: Line = serde_json::from_str(text).map_err(|e| {
                self.bad(format!(
                    "{e} (expected {{\"id\": 1, \"vector\": [...], \"payload\": {{...}}}})"
                ))
            })?;
            let id = match line.id {
                Id::Number(n) => n.to_string(),
                Id::Text(s) if s.is_empty() => return Err(self.bad("`id` is empty")),
                Id::Text(s) => s,
            };
            if line.vector.is_empty() {
                return Err(self.bad("`vector` is empty"));
            }
            match self.dimension {
                None => self.dimension = Some(line.vector.len()),
                Some(d) if d != line.vector.len() => {
                    return Err(self.bad(format!(
                        "`vector` has {} values, earlier lines have {d}",
                        line.vector.len()
                    )));
                }
                Some(_) => {}
            }
            let payload = match line.payload.map(RawValue::get) {
                None | Some("null") => "{}".to_owned(),
                Some(p) if p.starts_with('{') => p.to_owned(),
                Some(_) => return Err(self.bad("`payload` is not a JSON object")),
            };
            batch.ids.push(id);
            batch.rows.extend_from_slice(&line.vector);
            batch.payloads.push(payload);
        }
        batch.bytes_read = self.bytes_read;
        Ok((!batch.ids.is_empty()).then_some(batch))
    }
}

type Message = Result<Batch, BadLine>;

/// Reads on a thread of its own so parsing overlaps the upserts; two batches are buffered.
fn spawn_reader(
    input: Box<dyn Read + Send>,
    batch_size: usize,
    skip: u64,
) -> mpsc::Receiver<Message> {
    let (tx, rx) = mpsc::channel::<Message>(2);
    std::thread::spawn(move || {
        let mut reader =
            BatchReader::new(BufReader::with_capacity(1 << 20, input), batch_size).skipping(skip);
        loop {
            let next = reader.next_batch();
            let stop = !matches!(next, Ok(Some(_)));
            let message = match next {
                Ok(Some(batch)) => Ok(batch),
                Ok(None) => break,
                Err(bad) => Err(bad),
            };
            if tx.blocking_send(message).is_err() || stop {
                break;
            }
        }
    });
    rx
}

fn progress_bar(total_bytes: Option<u64>) -> ProgressBar {
    let bar = match total_bytes {
        Some(total) => ProgressBar::new(total).with_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] [{wide_bar}] {bytes}/{total_bytes} {msg}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bytes} {msg}")
                .expect("valid template"),
        ),
    };
    if std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::stderr());
        bar.enable_steady_tick(Duration::from_millis(120));
    } else {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar
}

pub async fn run(connection: &Connection, args: IngestArgs) -> CliResult {
    let collection = args.collection.collection.as_str();
    let from_stdin = args.file.as_os_str() == "-";
    let (input, total_bytes): (Box<dyn Read + Send>, Option<u64>) = if from_stdin {
        (Box::new(std::io::stdin()), None)
    } else {
        let file = std::fs::File::open(&args.file)
            .map_err(|e| Failure::failed(format!("cannot open {}: {e}", args.file.display())))?;
        let size = file.metadata().ok().map(|m| m.len());
        (Box::new(file), size)
    };

    let server = connection.connect().await?;
    let mut client = server
        .client
        .clone()
        .with_upsert_batch_size(args.batch_size);
    if let Some(attempts) = args.attempts {
        client = client.with_upsert_retry(RetryPolicy {
            max_attempts: attempts,
            ..types::upsert_retry_default()
        });
    }
    let mut exists = client
        .collection_exists(collection)
        .await
        .map_err(|e| server.explain(e, None))?;
    if !exists && !args.create {
        return Err(Failure::failed(format!(
            "{}\n(or pass --create to create it from the first vector's size)",
            missing_collection(collection, "")
        )));
    }

    let started = Instant::now();
    let bar = progress_bar(total_bytes);
    let mut batches = spawn_reader(input, args.batch_size as usize, args.skip);
    let parallel = args.parallel as usize;
    // Each upsert reports (points, input bytes consumed up to the end of its batch).
    let mut in_flight: JoinSet<Result<(u64, u64), Error>> = JoinSet::new();
    let mut written: u64 = 0;
    let mut position: u64 = 0;
    let mut bad_line: Option<BadLine> = None;
    let mut upsert_error: Option<Error> = None;
    // Accounts for one finished upsert; `false` once one has failed.
    let mut finished =
        |outcome: Result<Result<(u64, u64), Error>, tokio::task::JoinError>| match outcome {
            Ok(Ok((count, bytes))) => {
                written += count;
                position = position.max(bytes);
                bar.set_position(position);
                bar.set_message(format!("{written} points"));
                true
            }
            Ok(Err(e)) => {
                upsert_error.get_or_insert(e);
                false
            }
            Err(e) => {
                upsert_error.get_or_insert(Error::Runtime(format!("upsert task: {e}")));
                false
            }
        };
    'read: while let Some(message) = batches.recv().await {
        let batch = match message {
            Ok(batch) => batch,
            Err(bad) => {
                bad_line = Some(bad);
                break;
            }
        };
        let dimension = batch.rows.len() / batch.ids.len();
        if !exists {
            client
                .create_collection(collection, dimension as u64, args.distance.name())
                .await
                .map_err(|e| server.explain(e, None))?;
            bar.suspend(|| {
                eprintln!(
                    "created collection `{collection}` ({dimension} dims, {})",
                    args.distance.name()
                )
            });
            exists = true;
        }
        while in_flight.len() >= parallel {
            let Some(outcome) = in_flight.join_next().await else {
                break;
            };
            if !finished(outcome) {
                break 'read;
            }
        }
        let count = batch.ids.len() as u64;
        let points = PointBatch {
            payloads: batch.payloads,
            ..PointBatch::new(batch.ids).with_dense("", dimension as u32, &batch.rows)
        };
        let client = client.clone();
        let collection = collection.to_owned();
        let bytes = batch.bytes_read;
        in_flight.spawn(async move {
            client
                .upsert_points(&collection, &points, true)
                .await
                .map(|_| (count, bytes))
        });
    }
    // Let the upserts already sent finish, so the count below is what was written.
    drop(batches);
    while let Some(outcome) = in_flight.join_next().await {
        finished(outcome);
    }
    bar.finish_and_clear();
    if let Some(e) = upsert_error {
        let mut failure = server.explain(e, Some(collection));
        let done = args.skip + written;
        // In order (one upsert at a time), what was written is exactly the first points.
        let resume = if parallel == 1 {
            format!("; resume with --skip {done}, or run again (upserts are idempotent)")
        } else {
            "; fix the cause and run again (upserts are idempotent)".to_owned()
        };
        failure
            .message
            .push_str(&format!("\n{written} points were written{resume}"));
        return Err(failure);
    }
    if let Some(bad) = bad_line {
        let source = if from_stdin {
            "stdin".to_owned()
        } else {
            args.file.display().to_string()
        };
        return Err(Failure::failed(format!(
            "{source}: line {}: {}\n{written} points were written, from the batches before \
             the one holding that line; fix the line and run again (upserts are idempotent)",
            bad.line, bad.message
        )));
    }
    let seconds = started.elapsed().as_secs_f64();
    let rate = if seconds > 0.0 {
        written as f64 / seconds
    } else {
        0.0
    };
    let noun = if written == 1 { "point" } else { "points" };
    out!("wrote {written} {noun} to `{collection}` in {seconds:.2} s ({rate:.0} points/s)");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(text: &str, batch_size: usize) -> Vec<Result<Vec<String>, u64>> {
        let mut reader = BatchReader::new(text.as_bytes(), batch_size);
        let mut out = Vec::new();
        loop {
            match reader.next_batch() {
                Ok(Some(batch)) => out.push(Ok(batch.ids)),
                Ok(None) => break,
                Err(bad) => {
                    out.push(Err(bad.line));
                    break;
                }
            }
        }
        out
    }

    #[test]
    fn batches_skip_blank_lines_and_accept_both_id_kinds() {
        let text = "{\"id\": 1, \"vector\": [1, 2]}\n\n{\"id\": \"a\", \"vector\": [3, 4], \"payload\": {\"k\": 1}}\r\n{\"id\": 3, \"vector\": [5, 6], \"payload\": null}\n";
        assert_eq!(
            read_all(text, 2),
            vec![Ok(vec!["1".into(), "a".into()]), Ok(vec!["3".into()])]
        );
    }

    #[test]
    fn bad_lines_are_numbered() {
        let good = "{\"id\": 1, \"vector\": [1, 2]}\n";
        for bad in [
            "not json",
            "{\"id\": -1, \"vector\": [1, 2]}",
            "{\"id\": 1.5, \"vector\": [1, 2]}",
            "{\"id\": \"\", \"vector\": [1, 2]}",
            "{\"id\": 2, \"vector\": [1, 2, 3]}",
            "{\"id\": 2, \"vector\": []}",
            "{\"id\": 2, \"vector\": [1, 2], \"payload\": [1]}",
            "{\"vector\": [1, 2]}",
        ] {
            let text = format!("{good}{good}\n{bad}\n{good}");
            assert_eq!(
                read_all(&text, 2),
                vec![Ok(vec!["1".into(), "1".into()]), Err(4)],
                "{bad}"
            );
        }
    }
}
