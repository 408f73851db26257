//! `search`: the nearest points to a vector read from a file or stdin.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use clap::Args;
use qdrant_integration::types::{Filter, QueryRequest};
use serde_json::{Value, json};

use super::output::{print_json, table, truncate};
use super::{CliResult, CollectionArg, Connection, Failure};

pub const AFTER_HELP: &str = concat!(
    "\
The query vector is a JSON array of numbers (or an object with a `vector` array, such as a
line of an ingest file), read from --vector-file or stdin.

Examples:
  echo '[0.1, 0.2, 0.3, 0.4]' | qdrant-integration search --collection documents
  qdrant-integration search --vector-file query.json --limit 5 --score-threshold 0.7
  head -1 points.jsonl | qdrant-integration search \\
      --filter '{\"must\": [{\"key\": \"category\", \"match\": {\"value\": \"news\"}}]}' --json",
    "\n\n",
    super::exit_codes_help!()
);

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// File holding the query vector as JSON (`-` or nothing: stdin).
    #[arg(long, value_name = "FILE")]
    pub vector_file: Option<PathBuf>,
    #[command(flatten)]
    pub collection: CollectionArg,
    /// A Qdrant filter as JSON (must / should / must_not ...).
    #[arg(long, value_name = "JSON", value_parser = parse_json_object)]
    pub filter: Option<Value>,
    /// Results to return.
    #[arg(long, env = "SEARCH_LIMIT", default_value_t = 10)]
    pub limit: u32,
    /// Only results scoring at least this.
    #[arg(long, env = "SCORE_THRESHOLD")]
    pub score_threshold: Option<f32>,
    /// Named vector to search (collections with named vectors).
    #[arg(long, value_name = "NAME")]
    pub using: Option<String>,
    /// Characters of payload shown per row of the table.
    #[arg(long, default_value_t = 80, value_name = "CHARS")]
    pub payload_width: usize,
    /// Print a JSON array of {id, score, payload}.
    #[arg(long)]
    pub json: bool,
}

fn parse_json_object(s: &str) -> Result<Value, String> {
    let value: Value = serde_json::from_str(s).map_err(|e| format!("not JSON: {e}"))?;
    if !value.is_object() {
        return Err("expected a JSON object, e.g. {\"must\": [...]}".into());
    }
    Ok(value)
}

/// The query vector from `text`: `[..]` or `{"vector": [..]}`.
fn parse_vector(text: &str) -> Result<Vec<f32>, String> {
    let value: Value = serde_json::from_str(text.trim()).map_err(|e| format!("not JSON: {e}"))?;
    let array = match &value {
        Value::Array(_) => &value,
        Value::Object(o) => o
            .get("vector")
            .ok_or("the JSON object has no `vector` array")?,
        _ => return Err("expected a JSON array of numbers".into()),
    };
    let vector: Vec<f32> = serde_json::from_value(array.clone())
        .map_err(|_| "expected a JSON array of numbers".to_owned())?;
    if vector.is_empty() {
        return Err("the query vector is empty".into());
    }
    Ok(vector)
}

fn read_vector(file: Option<&PathBuf>) -> CliResult<Vec<f32>> {
    let (source, text) = match file {
        Some(path) if path.as_os_str() != "-" => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::usage(format!("cannot read --vector-file {}: {e}", path.display()))
            })?;
            (path.display().to_string(), text)
        }
        _ => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                return Err(Failure::usage(
                    "no query vector: pass --vector-file FILE, or pipe a JSON array on stdin \
                     (e.g. `echo '[0.1, 0.2]' | qdrant-integration search`)",
                ));
            }
            let mut text = String::new();
            stdin
                .lock()
                .read_to_string(&mut text)
                .map_err(|e| Failure::usage(format!("cannot read stdin: {e}")))?;
            ("stdin".to_owned(), text)
        }
    };
    parse_vector(&text).map_err(|e| Failure::usage(format!("query vector from {source}: {e}")))
}

pub async fn run(connection: &Connection, args: SearchArgs) -> CliResult {
    let vector = read_vector(args.vector_file.as_ref())?;
    let collection = args.collection.collection.as_str();
    let server = connection.connect().await?;
    let mut request = QueryRequest::nearest(&vector, args.limit);
    request.score_threshold = args.score_threshold;
    request.filter = args.filter.as_ref().map(|f| Filter::Json(f.to_string()));
    if let Some(using) = &args.using {
        request = request.using(using);
    }
    let results = server
        .client
        .query(collection, &request)
        .await
        .map_err(|e| server.explain(e, Some(collection)))?;
    let results: Vec<(String, f32, Value)> = results
        .into_iter()
        .map(|p| {
            let payload = serde_json::from_str(&p.payload).unwrap_or(Value::String(p.payload));
            (p.id, p.score, payload)
        })
        .collect();
    if args.json {
        let out: Vec<Value> = results
            .iter()
            .map(|(id, score, payload)| json!({"id": id, "score": score, "payload": payload}))
            .collect();
        print_json(&Value::Array(out));
    } else if results.is_empty() {
        eprintln!("no results");
    } else {
        let rows: Vec<Vec<String>> = results
            .iter()
            .map(|(id, score, payload)| {
                vec![
                    id.clone(),
                    format!("{score:.4}"),
                    truncate(&payload.to_string(), args.payload_width),
                ]
            })
            .collect();
        out!("{}", table(&["ID", "SCORE", "PAYLOAD"], &rows).trim_end());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_parse_from_arrays_and_points() {
        assert_eq!(parse_vector(" [1, 2.5]\n").unwrap(), vec![1.0, 2.5]);
        assert_eq!(
            parse_vector(r#"{"id": 1, "vector": [3]}"#).unwrap(),
            vec![3.0]
        );
        assert!(parse_vector("[]").is_err());
        assert!(parse_vector("[\"a\"]").is_err());
        assert!(parse_vector("{}").is_err());
        assert!(parse_vector("nope").is_err());
    }
}
