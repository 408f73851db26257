//! Engine failures, each with the HTTP status and message Qdrant would answer.

use qdrant_edge::OperationError;

/// A failure with the HTTP status Qdrant would answer.
#[derive(Debug)]
pub struct EngineError {
    pub status: u16,
    pub message: String,
}

impl EngineError {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    pub fn not_found(name: &str) -> Self {
        Self::new(
            404,
            format!("Not found: Collection `{name}` doesn't exist!"),
        )
    }

    /// 400 `Wrong input: ..`, what Qdrant answers for a bad operation.
    pub fn bad_input(message: impl std::fmt::Display) -> Self {
        Self::new(400, format!("Wrong input: {message}"))
    }

    /// 422 `Validation error in JSON body: [..]`.
    pub fn validation(message: impl std::fmt::Display) -> Self {
        Self::new(422, format!("Validation error in JSON body: [{message}]"))
    }

    pub fn internal(message: impl std::fmt::Display) -> Self {
        Self::new(500, format!("Service internal error: {message}"))
    }
}

impl From<OperationError> for EngineError {
    fn from(e: OperationError) -> Self {
        use OperationError as E;
        let status = match &e {
            E::PointIdError { .. } => 404,
            E::Timeout { .. } => 408,
            E::ServiceError { .. }
            | E::InconsistentStorage { .. }
            | E::OutOfMemory { .. }
            | E::Cancelled { .. } => 500,
            _ => 400,
        };
        let message = match (&e, status) {
            (E::PointIdError { missed_point_id }, _) => {
                format!("Not found: No point with id {missed_point_id} found")
            }
            (_, 400) => format!("Wrong input: {e}"),
            _ => e.to_string(),
        };
        Self::new(status, message)
    }
}

pub fn io_error(e: std::io::Error) -> EngineError {
    EngineError::internal(e)
}
