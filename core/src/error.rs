//! Errors of the ports, and how a step reports a failure to the state machine.

/// What went wrong behind a port.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    /// The thing asked for does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The store or service could not be reached or timed out: worth retrying.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The request cannot succeed as it is (bad data, a broken invariant).
    #[error("{0}")]
    Invalid(String),
}

impl From<sqlx::Error> for PortError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::RowNotFound => Self::NotFound(error.to_string()),
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::WorkerCrashed => Self::Unavailable(error.to_string()),
            sqlx::Error::Database(ref db) if is_transient_database_error(db.as_ref()) => {
                Self::Unavailable(error.to_string())
            }
            other => Self::Invalid(other.to_string()),
        }
    }
}

/// Locks and busy databases pass; everything else a database says is final.
fn is_transient_database_error(error: &dyn sqlx::error::DatabaseError) -> bool {
    let message = error.message().to_ascii_lowercase();
    message.contains("database is locked")
        || message.contains("busy")
        || error.code().is_some_and(|code| {
            // Postgres: serialization failure, deadlock, too many connections, admin shutdown.
            matches!(
                code.as_ref(),
                "40001" | "40P01" | "53300" | "57P01" | "57P03"
            )
        })
}

/// How a worker fails. The state machine retries `Transient` with backoff and
/// sends everything else, after its retries, to the dead-letter path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepErrorKind {
    Transient,
    Permanent,
}

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct StepError {
    pub kind: StepErrorKind,
    pub message: String,
}

impl StepError {
    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            kind: StepErrorKind::Transient,
            message: message.into(),
        }
    }
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            kind: StepErrorKind::Permanent,
            message: message.into(),
        }
    }
    /// The error name the state machine's `Retry` and `Catch` match on.
    pub fn error_name(&self) -> &'static str {
        match self.kind {
            StepErrorKind::Transient => TRANSIENT_ERROR,
            StepErrorKind::Permanent => PERMANENT_ERROR,
        }
    }
}

/// Error names shared with `statemachines/upload.asl.json`.
pub const TRANSIENT_ERROR: &str = "Wisaw.Transient";
pub const PERMANENT_ERROR: &str = "Wisaw.Permanent";

impl From<PortError> for StepError {
    fn from(error: PortError) -> Self {
        match error {
            PortError::Unavailable(_) => Self::transient(error.to_string()),
            PortError::NotFound(_) | PortError::Invalid(_) => Self::permanent(error.to_string()),
        }
    }
}
