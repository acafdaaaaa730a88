//! The context object that `$$.` paths read.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

/// What the context object knows about the execution; the state part is added
/// per state.
#[derive(Clone, Debug)]
pub struct ExecutionContext {
    pub id: String,
    pub name: String,
    pub input: Value,
    pub start_time: DateTime<Utc>,
    pub state_machine_id: String,
    pub state_machine_name: String,
}

impl ExecutionContext {
    pub fn for_state(&self, state: &str, entered: DateTime<Utc>, retry_count: u32) -> Value {
        json!({
            "Execution": {
                "Id": self.id,
                "Name": self.name,
                "Input": self.input,
                "StartTime": timestamp(self.start_time),
            },
            "State": {
                "Name": state,
                "EnteredTime": timestamp(entered),
                "RetryCount": retry_count,
            },
            "StateMachine": {
                "Id": self.state_machine_id,
                "Name": self.state_machine_name,
            }
        })
    }
}

/// Millisecond UTC timestamps: the shape Step Functions uses, and sortable as text.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}
