//! Errors of the ports, and how a step reports a failure to the state machine.

/// What went wrong behind a port.
#[derive(Debug)]
pub enum PortError {
    /// The thing asked for does not exist.
    NotFound(Reason),
    /// The store or service could not be reached or timed out: worth retrying.
    Unavailable(Reason),
    /// The request cannot succeed as it is (bad data, a broken invariant).
    Invalid(Reason),
}

/// What a port error says, whole in itself (a person reads it in a log, a problem answer
/// or a console page), and the error of the store or service behind it, when there is
/// one, for code that inspects the cause (`std::error::Error::source`).
#[derive(Debug)]
pub struct Reason {
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Reason {
    /// A reason with the error that caused it.
    pub fn caused_by(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<String> for Reason {
    fn from(message: String) -> Self {
        Self {
            message,
            source: None,
        }
    }
}

impl From<&str> for Reason {
    fn from(message: &str) -> Self {
        message.to_string().into()
    }
}

/// A reason reads as its message.
impl std::ops::Deref for Reason {
    type Target = str;
    fn deref(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::fmt::Display for PortError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotFound(reason) => write!(f, "not found: {reason}"),
            Self::Unavailable(reason) => write!(f, "unavailable: {reason}"),
            Self::Invalid(reason) => write!(f, "{reason}"),
        }
    }
}

impl std::error::Error for PortError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let source = self.reason().source.as_deref()?;
        Some(source)
    }
}

impl PortError {
    /// Whether trying again later may succeed: the one place that decides it, for the
    /// steps (`Wisaw.Transient`), the dispatcher (leave the message for a redelivery) and
    /// the API (503 rather than 500).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }

    pub fn reason(&self) -> &Reason {
        match self {
            Self::NotFound(reason) | Self::Unavailable(reason) | Self::Invalid(reason) => reason,
        }
    }
}

/// An error in words with its chain of causes: `error: cause: cause`. For an error whose
/// own text says little (an SDK's "service error") and whose `Debug` says too much.
pub fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut words = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        words = format!("{words}: {next}");
        cause = next.source();
    }
    words
}

/// How a worker fails. The state machine retries `Transient` with backoff and
/// sends everything else, after its retries, to the dead-letter path, but for
/// `OriginalGone`: the photo's original is no longer in the store, which it only leaves
/// once the photo is announced (or deleted), so the state machine has the photo's
/// announcement confirmed instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepErrorKind {
    Transient,
    Permanent,
    OriginalGone,
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
    pub fn original_gone(message: impl Into<String>) -> Self {
        Self {
            kind: StepErrorKind::OriginalGone,
            message: message.into(),
        }
    }
    /// A failed read of the photo's original: `OriginalGone` when the store has no such
    /// object, as any port error otherwise.
    pub fn reading_original(error: PortError) -> Self {
        match error {
            PortError::NotFound(reason) => {
                Self::original_gone(format!("the original is gone: {reason}"))
            }
            other => other.into(),
        }
    }
    /// The error name the state machine's `Retry` and `Catch` match on.
    pub fn error_name(&self) -> &'static str {
        match self.kind {
            StepErrorKind::Transient => TRANSIENT_ERROR,
            StepErrorKind::Permanent => PERMANENT_ERROR,
            StepErrorKind::OriginalGone => ORIGINAL_GONE_ERROR,
        }
    }
}

/// Error names shared with `statemachines/upload.asl.json`.
pub const TRANSIENT_ERROR: &str = "Wisaw.Transient";
pub const PERMANENT_ERROR: &str = "Wisaw.Permanent";
pub const ORIGINAL_GONE_ERROR: &str = "Wisaw.OriginalGone";

impl From<PortError> for StepError {
    fn from(error: PortError) -> Self {
        if error.is_transient() {
            Self::transient(error.to_string())
        } else {
            Self::permanent(error.to_string())
        }
    }
}
