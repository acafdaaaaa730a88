//! An execution as Step Functions describes it: its status, the events of its history,
//! and what starting one under a name did. The words the local engine writes and the
//! pipeline's ports read, said once; no wisaw crate is needed to use them, so the engine
//! stays a Step Functions engine.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

mod workflow_type;
pub use workflow_type::{UnknownWorkflowType, WorkflowType, EXPRESS_MAX_DURATION};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionStatus {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
}

impl ExecutionStatus {
    pub const ALL: [ExecutionStatus; 5] = [
        Self::Running,
        Self::Succeeded,
        Self::Failed,
        Self::TimedOut,
        Self::Aborted,
    ];

    /// Step Functions' name of the status (`RUNNING`, `SUCCEEDED`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
            Self::TimedOut => "TIMED_OUT",
            Self::Aborted => "ABORTED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str().eq_ignore_ascii_case(s))
    }
}

/// One event of an execution's history, as Step Functions names them
/// (`ExecutionStarted`, `TaskStateEntered`, `TaskSucceeded`, ...).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEvent {
    pub id: i64,
    pub previous_event_id: i64,
    pub timestamp: DateTime<Utc>,
    #[serde(rename = "type")]
    pub event_type: String,
    /// The event's details (state name, input, output, error, cause...).
    pub details: serde_json::Value,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartOutcome {
    Started,
    /// An execution with this name exists already (for the pipeline: the photo is
    /// already handled).
    AlreadyExists,
}
