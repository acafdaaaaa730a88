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
    /// The role it runs as (`StateMachine::role_arn`).
    pub role_arn: String,
}

impl ExecutionContext {
    /// The context object in a state, with its fields in the order executions on
    /// AWS give them. `retry_count` is given only for the states that can retry
    /// (Task, Parallel, Map): AWS has `RetryCount` only there.
    pub fn for_state(
        &self,
        state: &str,
        entered: DateTime<Utc>,
        retry_count: Option<u32>,
    ) -> Value {
        let mut state_part = json!({
            "Name": state,
            "EnteredTime": timestamp(entered),
        });
        if let Some(count) = retry_count {
            state_part["RetryCount"] = json!(count);
        }
        json!({
            "Execution": {
                "Id": self.id,
                "Input": self.input,
                "StartTime": timestamp(self.start_time),
                "Name": self.name,
                "RoleArn": self.role_arn,
                // Local executions are never redriven.
                "RedriveCount": 0,
            },
            "StateMachine": {
                "Id": self.state_machine_id,
                "Name": self.state_machine_name,
            },
            "State": state_part,
        })
    }
}

/// The context object as a Map's `ItemSelector` sees it: with the item's index and value.
pub fn with_map_item(mut context: Value, index: usize, item: &Value) -> Value {
    context["Map"] = json!({"Item": {"Index": index, "Value": item}});
    context
}

/// Millisecond UTC timestamps: the shape Step Functions uses, and sortable as text.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}
