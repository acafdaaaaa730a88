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

impl PortError {
    /// Whether trying again later may succeed: the one place that decides it, for the
    /// steps (`Wisaw.Transient`), the dispatcher (leave the message for a redelivery) and
    /// the API (503 rather than 500).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
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
        if error.is_transient() {
            Self::transient(error.to_string())
        } else {
            Self::permanent(error.to_string())
        }
    }
}
