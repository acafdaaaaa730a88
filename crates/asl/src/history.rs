//! History events with the details Step Functions gives them. Inputs, outputs
//! and parameters are JSON text inside the details, as in `GetExecutionHistory`.

use super::definition::Resource;
use serde_json::{json, Value};

/// An event about to be written; the journal gives it its id.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    pub event_type: String,
    pub details: Value,
}

fn event(event_type: impl Into<String>, details: Value) -> NewEvent {
    NewEvent {
        event_type: event_type.into(),
        details,
    }
}

pub fn execution_started(input: &Value, state_machine_arn: &str) -> NewEvent {
    event(
        "ExecutionStarted",
        json!({"input": input.to_string(), "inputDetails": {"truncated": false}, "stateMachineArn": state_machine_arn}),
    )
}

pub fn state_entered(state_type: &str, name: &str, input: &Value) -> NewEvent {
    event(
        format!("{state_type}StateEntered"),
        json!({"name": name, "input": input.to_string(), "inputDetails": {"truncated": false}}),
    )
}

pub fn state_exited(state_type: &str, name: &str, output: &Value) -> NewEvent {
    event(
        format!("{state_type}StateExited"),
        json!({"name": name, "output": output.to_string(), "outputDetails": {"truncated": false}}),
    )
}

pub fn task_scheduled(
    resource: Resource,
    parameters: &Value,
    timeout_seconds: Option<u64>,
) -> NewEvent {
    let (resource_type, name) = resource.event_names();
    let mut details = json!({
        "resourceType": resource_type,
        "resource": name,
        "region": "local",
        "parameters": parameters.to_string(),
    });
    if let Some(seconds) = timeout_seconds {
        details["timeoutInSeconds"] = json!(seconds);
    }
    event("TaskScheduled", details)
}

pub fn task_started(resource: Resource) -> NewEvent {
    let (resource_type, name) = resource.event_names();
    event(
        "TaskStarted",
        json!({"resourceType": resource_type, "resource": name}),
    )
}

pub fn task_succeeded(resource: Resource, output: &Value) -> NewEvent {
    let (resource_type, name) = resource.event_names();
    event(
        "TaskSucceeded",
        json!({"resourceType": resource_type, "resource": name, "output": output.to_string(),
               "outputDetails": {"truncated": false}}),
    )
}

/// `TaskFailed`, or `TaskTimedOut` when the error is `States.Timeout`.
pub fn task_failed(resource: Resource, timed_out: bool, error: &str, cause: &str) -> NewEvent {
    let (resource_type, name) = resource.event_names();
    event(
        if timed_out {
            "TaskTimedOut"
        } else {
            "TaskFailed"
        },
        json!({"resourceType": resource_type, "resource": name, "error": error, "cause": cause}),
    )
}

pub fn execution_succeeded(output: &Value) -> NewEvent {
    event(
        "ExecutionSucceeded",
        json!({"output": output.to_string(), "outputDetails": {"truncated": false}}),
    )
}

pub fn execution_failed(error: &str, cause: &str) -> NewEvent {
    event("ExecutionFailed", json!({"error": error, "cause": cause}))
}
