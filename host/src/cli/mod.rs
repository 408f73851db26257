//! The CLI's subcommands beyond the demo: collections, ingest, search, snapshots. Part of the
//! binary, not the library.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use qdrant_integration::{Error, QdrantClient};

/// The operation failed: the server said no, or something does not exist.
pub const EXIT_FAILED: u8 = 1;
/// Bad arguments (clap's own code for usage errors).
pub const EXIT_USAGE: u8 = 2;
/// The server could not be reached, or did not answer in time.
pub const EXIT_UNREACHABLE: u8 = 3;

/// The exit codes as `--help` shows them (a macro, so `concat!` can use it).
macro_rules! exit_codes_help {
    () => {
        "Exit codes:
  0  success
  1  the operation failed: Qdrant refused it, a collection or snapshot does not exist,
     a line of an ingest file is invalid
  2  usage error: unknown or missing arguments, an unparsable --filter or query vector
  3  cannot reach the server, or it did not answer in time"
    };
}
pub(crate) use exit_codes_help;

/// `println!` for the submodules below (declared after it), that ends the process quietly when stdout is a closed pipe (`... | head`).
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::output::write_line(format_args!($($arg)*))
    };
}

pub mod collections;
pub mod ingest;
pub mod output;
pub mod search;
pub mod snapshot;

/// A failure as the user sees it: what went wrong and what to do, and the exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn failed(message: impl Into<String>) -> Self {
        Self {
            code: EXIT_FAILED,
            message: message.into(),
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            code: EXIT_USAGE,
            message: message.into(),
        }
    }

    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        match e.downcast::<Error>() {
            Ok(e) => Failure::from(e),
            Err(e) => Failure::failed(format!("{e:#}")),
        }
    }
}

impl From<Error> for Failure {
    /// Without knowing the operation; [`Server::explain`] adds the URL and collection.
    fn from(e: Error) -> Self {
        let code = match &e {
            e if e.is_unreachable() => EXIT_UNREACHABLE,
            Error::InvalidInput(_) => EXIT_USAGE,
            _ => EXIT_FAILED,
        };
        Self {
            code,
            message: e.to_string(),
        }
    }
}

pub type CliResult<T = ()> = Result<T, Failure>;

/// How to reach Qdrant: the global options every subcommand shares.
#[derive(Debug, Clone)]
pub struct Connection {
    pub url: String,
    pub api_key: Option<String>,
    pub timeout: Option<Duration>,
}

/// A connected client and what error messages need to know about it.
pub struct Server {
    pub client: QdrantClient,
    pub url: String,
}

impl Connection {
    pub async fn connect(&self) -> CliResult<Server> {
        let client = QdrantClient::new(&self.url, self.api_key.as_deref())
            .await
            .map_err(|e| match e {
                Error::InvalidInput(m) => Failure::usage(format!(
                    "--url `{}` is not usable: {m}\nexpected e.g. http://localhost:6333",
                    self.url
                )),
                other => Failure::from(other),
            })?;
        let client = match self.timeout {
            Some(t) => client.with_timeout(t).with_connect_timeout(t),
            None => client,
        };
        Ok(Server {
            client,
            url: self.url.clone(),
        })
    }
}

impl Server {
    /// Turns a client error into a message that says what to do. `collection` is the one the
    /// operation was about, so a 404 can name it.
    pub fn explain(&self, e: Error, collection: Option<&str>) -> Failure {
        let url = &self.url;
        match e {
            Error::Connection(m) => Failure {
                code: EXIT_UNREACHABLE,
                message: format!(
                    "cannot reach Qdrant at {url}: {m}\n\
                     start it (e.g. `qdrant-integration serve-embedded`) or point --url / \
                     QDRANT_URL at a running server"
                ),
            },
            Error::Timeout(m) => Failure {
                code: EXIT_UNREACHABLE,
                message: format!(
                    "Qdrant at {url} did not answer in time: {m}\n\
                     check the server, or allow more time with --timeout SECONDS"
                ),
            },
            Error::Unauthorized(m) => Failure::failed(format!(
                "Qdrant at {url} rejected the api-key: {m}\n\
                 pass the server's key with --api-key or QDRANT_API_KEY"
            )),
            Error::Forbidden(m) => Failure::failed(format!(
                "forbidden: {m}\ncheck that the api-key may do this, and that --url is the \
                 server you meant"
            )),
            Error::NotFound(m) => match collection {
                Some(name) => Failure::failed(missing_collection(name, &m)),
                None => Failure::failed(format!("not found: {m}")),
            },
            Error::BadRequest(m) => Failure::failed(format!("Qdrant rejected the request: {m}")),
            other => Failure::from(other),
        }
    }
}

/// The message for a collection that does not exist.
pub fn missing_collection(name: &str, detail: &str) -> String {
    // Qdrant's own message ("Collection `x` doesn't exist!") says nothing more.
    let detail = if detail.is_empty() || detail.contains(name) {
        String::new()
    } else {
        format!(" ({detail})")
    };
    format!(
        "collection `{name}` does not exist{detail}: create it with \
         `qdrant-integration collections create {name} --size N`, \
         or see `qdrant-integration collections list`"
    )
}

/// `--collection`, shared by ingest, search and snapshot.
#[derive(Args, Debug, Clone)]
pub struct CollectionArg {
    /// Collection to use.
    #[arg(
        short = 'c',
        long,
        env = "COLLECTION_NAME",
        default_value = "documents",
        value_name = "NAME"
    )]
    pub collection: String,
}
