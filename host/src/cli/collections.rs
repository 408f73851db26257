//! `collections list|create|delete|info`.

use clap::{Args, Subcommand};
use qdrant_integration::Error;
use qdrant_integration::types::{
    CollectionConfig, CollectionInfo, Distance, SparseModifier, SparseVectorParams, VectorParams,
};
use serde_json::{Value, json};

use super::output::{print_json, table};
use super::{CliResult, Connection, Failure};

#[derive(Subcommand, Debug)]
pub enum CollectionsCommand {
    /// List the collections, one name per line.
    #[command(after_help = "Example:\n  qdrant-integration collections list --json")]
    List {
        /// Print a JSON array of names.
        #[arg(long)]
        json: bool,
    },
    /// Create a collection of dense vectors (one unnamed, or several named) and sparse vectors.
    #[command(after_help = "\
Examples:
  qdrant-integration collections create documents --size 384
  qdrant-integration collections create documents --size 768 --distance Dot
  qdrant-integration collections create hybrid --named text:384:Cosine --sparse bm25:idf")]
    Create(CreateArgs),
    /// Delete a collection (exit 1 when it does not exist, unless --missing-ok).
    #[command(after_help = "Example:\n  qdrant-integration collections delete documents")]
    Delete {
        name: String,
        /// Succeed when the collection does not exist.
        #[arg(long)]
        missing_ok: bool,
    },
    /// Show a collection's status, point count, vectors and payload schema.
    #[command(after_help = "Example:\n  qdrant-integration collections info documents --json")]
    Info {
        name: String,
        /// Print JSON (with Qdrant's whole `config` object).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
#[command(group(
    clap::ArgGroup::new("layout").required(true).multiple(true).args(["size", "named", "sparse"])
))]
pub struct CreateArgs {
    pub name: String,
    /// Dimensions of the (unnamed) dense vector.
    #[arg(long, conflicts_with = "named")]
    pub size: Option<u64>,
    /// Cosine, Dot, Euclid or Manhattan, for --size.
    #[arg(long, env = "DISTANCE_METRIC", default_value = "Cosine", value_parser = str::parse::<Distance>)]
    pub distance: Distance,
    /// A named dense vector, NAME:SIZE[:DISTANCE] (distance defaults to --distance);
    /// repeat for several.
    #[arg(long, value_name = "NAME:SIZE[:DISTANCE]", value_parser = parse_named)]
    pub named: Vec<(String, u64, Option<Distance>)>,
    /// A sparse vector, NAME or NAME:idf (for BM25-style vectors); repeat for several.
    #[arg(long, value_name = "NAME[:idf]", value_parser = parse_sparse)]
    pub sparse: Vec<(String, SparseModifier)>,
}

fn parse_named(s: &str) -> Result<(String, u64, Option<Distance>), String> {
    let mut parts = s.split(':');
    let (Some(name), Some(size)) = (parts.next(), parts.next()) else {
        return Err("expected NAME:SIZE[:DISTANCE], e.g. text:384:Cosine".into());
    };
    if name.is_empty() {
        return Err("the vector needs a name, e.g. text:384:Cosine".into());
    }
    let size = size
        .parse()
        .map_err(|_| format!("`{size}` is not a size: expected NAME:SIZE[:DISTANCE]"))?;
    let distance = parts
        .next()
        .map(str::parse::<Distance>)
        .transpose()
        .map_err(|e| e.to_string())?;
    if parts.next().is_some() {
        return Err("expected NAME:SIZE[:DISTANCE], e.g. text:384:Cosine".into());
    }
    Ok((name.to_owned(), size, distance))
}

fn parse_sparse(s: &str) -> Result<(String, SparseModifier), String> {
    let (name, modifier) = match s.split_once(':') {
        None => (s, SparseModifier::None),
        Some((name, m)) if m.eq_ignore_ascii_case("idf") => (name, SparseModifier::Idf),
        Some((name, m)) if m.eq_ignore_ascii_case("none") => (name, SparseModifier::None),
        Some(_) => return Err("expected NAME or NAME:idf".into()),
    };
    if name.is_empty() {
        return Err("the sparse vector needs a name, e.g. bm25:idf".into());
    }
    Ok((name.to_owned(), modifier))
}

pub async fn run(connection: &Connection, command: CollectionsCommand) -> CliResult {
    let server = connection.connect().await?;
    let client = &server.client;
    match command {
        CollectionsCommand::List { json } => {
            let mut names = client
                .list_collections()
                .await
                .map_err(|e| server.explain(e, None))?;
            names.sort();
            if json {
                print_json(&json!(names));
            } else {
                for name in names {
                    out!("{name}");
                }
            }
        }
        CollectionsCommand::Create(args) => {
            let name = args.name.clone();
            let config = collection_config(args);
            match client.create_collection_with(&name, &config).await {
                Ok(()) => out!("created collection `{name}`"),
                Err(Error::Conflict(_)) => {
                    return Err(Failure::failed(format!(
                        "collection `{name}` already exists: delete it first with \
                         `qdrant-integration collections delete {name}`, or pick another name"
                    )));
                }
                Err(e) => return Err(server.explain(e, None)),
            }
        }
        CollectionsCommand::Delete { name, missing_ok } => {
            let exists = client
                .collection_exists(&name)
                .await
                .map_err(|e| server.explain(e, None))?;
            if !exists {
                if missing_ok {
                    out!("collection `{name}` does not exist; nothing to delete");
                    return Ok(());
                }
                return Err(Failure::failed(format!(
                    "collection `{name}` does not exist (pass --missing-ok to accept that); \
                     see `qdrant-integration collections list`"
                )));
            }
            client
                .delete_collection(&name)
                .await
                .map_err(|e| server.explain(e, Some(&name)))?;
            out!("deleted collection `{name}`");
        }
        CollectionsCommand::Info { name, json } => {
            let info = client
                .collection_info(&name)
                .await
                .map_err(|e| server.explain(e, Some(&name)))?;
            if json {
                print_json(&info_json(&name, &info));
            } else {
                out!("{}", info_text(&name, &info).trim_end());
            }
        }
    }
    Ok(())
}

fn collection_config(args: CreateArgs) -> CollectionConfig {
    let mut vectors: Vec<VectorParams> = args
        .named
        .into_iter()
        .map(|(name, size, distance)| {
            VectorParams::new(name, size, distance.unwrap_or(args.distance))
        })
        .collect();
    if let Some(size) = args.size {
        vectors.push(VectorParams::new("", size, args.distance));
    }
    let mut config = CollectionConfig::new(vectors);
    for (name, modifier) in args.sparse {
        config = config.with_sparse(SparseVectorParams::new(name, modifier));
    }
    config
}

fn vector_label(name: &str) -> &str {
    if name.is_empty() { "(unnamed)" } else { name }
}

fn info_text(name: &str, info: &CollectionInfo) -> String {
    let count = |c: Option<u64>| c.map_or_else(|| "unknown".to_owned(), |c| c.to_string());
    let mut out = format!(
        "collection: {name}\nstatus: {}\npoints: {}\nindexed vectors: {}\nsegments: {}\n",
        info.status.name(),
        count(info.points_count),
        count(info.indexed_vectors_count),
        info.segments_count
    );
    out.push_str("vectors:\n");
    if info.vectors.is_empty() {
        out.push_str("  (none)\n");
    } else {
        let rows: Vec<Vec<String>> = info
            .vectors
            .iter()
            .map(|v| {
                vec![
                    vector_label(&v.name).to_owned(),
                    format!("{} dims", v.size),
                    v.distance.name().to_owned(),
                ]
            })
            .collect();
        for line in table(&["NAME", "SIZE", "DISTANCE"], &rows).lines() {
            out.push_str(&format!("  {line}\n"));
        }
    }
    if !info.sparse_vectors.is_empty() {
        out.push_str("sparse vectors:\n");
        for v in &info.sparse_vectors {
            out.push_str(&format!("  {} (modifier: {})\n", v.name, v.modifier.name()));
        }
    }
    out.push_str("payload schema:\n");
    if info.payload_schema.is_empty() {
        out.push_str("  (no indexed fields)\n");
    }
    for (field, schema) in &info.payload_schema {
        out.push_str(&format!("  {field}: {}\n", schema.name()));
    }
    out
}

fn info_json(name: &str, info: &CollectionInfo) -> Value {
    let vectors: Vec<Value> = info
        .vectors
        .iter()
        .map(|v| {
            json!({
                "name": v.name,
                "size": v.size,
                "distance": v.distance.name(),
                "on_disk": v.on_disk,
            })
        })
        .collect();
    let sparse: Vec<Value> = info
        .sparse_vectors
        .iter()
        .map(|v| json!({"name": v.name, "modifier": v.modifier.name()}))
        .collect();
    let schema: serde_json::Map<String, Value> = info
        .payload_schema
        .iter()
        .map(|(field, s)| (field.clone(), json!(s.name())))
        .collect();
    json!({
        "name": name,
        "status": info.status.name(),
        "points_count": info.points_count,
        "indexed_vectors_count": info.indexed_vectors_count,
        "segments_count": info.segments_count,
        "vectors": vectors,
        "sparse_vectors": sparse,
        "payload_schema": schema,
        "shard_number": info.shard_number,
        "replication_factor": info.replication_factor,
        "config": serde_json::from_str::<Value>(&info.config_json).unwrap_or(Value::Null),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_vectors_parse() {
        assert_eq!(
            parse_named("text:384:dot").unwrap(),
            ("text".into(), 384, Some(Distance::Dot))
        );
        assert_eq!(parse_named("img:512").unwrap(), ("img".into(), 512, None));
        assert!(parse_named("text").is_err());
        assert!(parse_named(":3").is_err());
        assert!(parse_named("t:x").is_err());
        assert!(parse_named("t:3:Bogus").is_err());
    }

    #[test]
    fn sparse_vectors_parse() {
        assert_eq!(
            parse_sparse("bm25:IDF").unwrap(),
            ("bm25".into(), SparseModifier::Idf)
        );
        assert_eq!(
            parse_sparse("s").unwrap(),
            ("s".into(), SparseModifier::None)
        );
        assert!(parse_sparse("s:what").is_err());
    }
}
