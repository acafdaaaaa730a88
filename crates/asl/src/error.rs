//! The runner's errors: a definition it refuses, a store it cannot use, and the
//! `States.Runtime` failures that end an execution.

/// Why a definition was refused. Each message names the state (when there is one)
/// and the feature or field at fault.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read the definition: {0}")]
    Io(String),
    #[error("the definition is not valid JSON: {0}")]
    Json(String),
    #[error("{}{feature} is not supported by the local runner", at(state))]
    Unsupported {
        state: Option<String>,
        feature: String,
    },
    #[error("{}{field} names state {target:?}, which does not exist", at(state))]
    MissingState {
        state: Option<String>,
        field: String,
        target: String,
    },
    #[error("{}{message}", at(state))]
    Invalid {
        state: Option<String>,
        message: String,
    },
    /// A definition that does not load with a `${Name}` left in it: the placeholder
    /// without a substitution is the cause (a Task's `Resource`, for one, is a function's
    /// ARN only once substituted).
    #[error("the definition's placeholder ${{{}}} has no substitution ({cause})", placeholders.join("}, ${"))]
    Unresolved {
        placeholders: Vec<String>,
        cause: Box<LoadError>,
    },
}

fn at(state: &Option<String>) -> String {
    state
        .as_ref()
        .map(|name| format!("state {name:?}: "))
        .unwrap_or_default()
}

/// What the runner's own operations can fail with.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("runner store: {0}")]
    Store(#[from] sqlx::Error),
    #[error("runner store migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("invalid execution name {0:?}")]
    InvalidName(String),
    /// Step Functions refuses such a StartExecution with a validation error.
    #[error("the execution input is {0} bytes; Step Functions takes at most {max}", max = crate::payload::MAX_PAYLOAD_BYTES)]
    InputTooLarge(usize),
    #[error("execution {0:?} does not exist")]
    NotFound(String),
    #[error("the runner is shutting down")]
    ShuttingDown,
    #[error("execution {0:?} did not finish in time")]
    WaitTimedOut(String),
}

/// A `States.Runtime` failure (a path that matches nothing, a ResultPath that
/// cannot be applied...). Retry and Catch never see it: the execution fails.
#[derive(Clone, Debug, PartialEq)]
pub struct RuntimeError(pub String);

pub const STATES_RUNTIME: &str = "States.Runtime";
pub const STATES_TIMEOUT: &str = "States.Timeout";
pub const STATES_ALL: &str = "States.ALL";
pub const STATES_TASK_FAILED: &str = "States.TaskFailed";
pub const STATES_NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
pub const STATES_DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";
pub const STATES_EXCEED_TOLERATED_FAILURE_THRESHOLD: &str =
    "States.ExceedToleratedFailureThreshold";
