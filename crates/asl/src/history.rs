//! History events with the details Step Functions gives them. Inputs, outputs
//! and parameters are JSON text inside the details, as in `GetExecutionHistory`.

use super::definition::Resource;
use serde_json::{json, Map, Value};

/// An event about to be written; the journal gives it its id.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    pub event_type: String,
    pub details: Value,
    /// The id of the event it follows, its `previousEventId`: inside a Parallel
    /// branch or Map iteration, that branch's previous event. `None`: the event
    /// just before it in the history.
    pub previous: Option<i64>,
}

fn event(event_type: impl Into<String>, details: Value) -> NewEvent {
    NewEvent {
        event_type: event_type.into(),
        details,
        previous: None,
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

/// `assigned`: the workflow variables the state set, each as JSON text.
pub fn state_exited(
    state_type: &str,
    name: &str,
    output: &Value,
    assigned: &Map<String, Value>,
) -> NewEvent {
    let mut details =
        json!({"name": name, "output": output.to_string(), "outputDetails": {"truncated": false}});
    if !assigned.is_empty() {
        let as_text: Map<String, Value> = assigned
            .iter()
            .map(|(name, value)| (name.clone(), Value::String(value.to_string())))
            .collect();
        details["assignedVariables"] = Value::Object(as_text);
        details["assignedVariablesDetails"] = json!({"truncated": false});
    }
    event(format!("{state_type}StateExited"), details)
}

/// `ParallelStateStarted`, `ParallelStateSucceeded`, `MapStateSucceeded`...: events
/// with no details.
pub fn bare(event_type: &str) -> NewEvent {
    event(event_type, json!({}))
}

pub fn map_state_started(length: usize) -> NewEvent {
    event("MapStateStarted", json!({"length": length}))
}

/// `MapIterationStarted`, `MapIterationSucceeded`, `MapIterationFailed`: `name` is
/// the Map state's.
pub fn map_iteration(event_type: &str, index: usize, map_state: &str) -> NewEvent {
    event(event_type, json!({"index": index, "name": map_state}))
}

/// `TaskScheduled`, or `LambdaFunctionScheduled` for a function named by its ARN.
/// `region`: the machine's, where its tasks are called.
pub fn task_scheduled(
    region: &str,
    resource: &Resource,
    parameters: &Value,
    timeout_seconds: Option<u64>,
) -> NewEvent {
    let (event_type, mut details) = match resource.event_names() {
        Some((resource_type, name)) => (
            "TaskScheduled",
            json!({
                "resourceType": resource_type,
                "resource": name,
                "region": region,
                "parameters": parameters.to_string(),
            }),
        ),
        None => (
            "LambdaFunctionScheduled",
            json!({
                "resource": resource.name(),
                "input": parameters.to_string(),
                "inputDetails": {"truncated": false},
            }),
        ),
    };
    if let Some(seconds) = timeout_seconds {
        details["timeoutInSeconds"] = json!(seconds);
    }
    event(event_type, details)
}

/// `TaskStarted`; `LambdaFunctionStarted` has no details.
pub fn task_started(resource: &Resource) -> NewEvent {
    match resource.event_names() {
        Some((resource_type, name)) => event(
            "TaskStarted",
            json!({"resourceType": resource_type, "resource": name}),
        ),
        None => bare("LambdaFunctionStarted"),
    }
}

pub fn task_succeeded(resource: &Resource, output: &Value) -> NewEvent {
    let mut details = json!({"output": output.to_string(), "outputDetails": {"truncated": false}});
    match resource.event_names() {
        Some((resource_type, name)) => {
            details["resourceType"] = json!(resource_type);
            details["resource"] = json!(name);
            event("TaskSucceeded", details)
        }
        None => event("LambdaFunctionSucceeded", details),
    }
}

/// `TaskFailed`, or `TaskTimedOut` (which has no cause) when the task ran out of
/// time; `LambdaFunctionFailed` and `LambdaFunctionTimedOut` for a function named by
/// its ARN, which do not name the resource.
pub fn task_failed(resource: &Resource, timed_out: bool, error: &str, cause: &str) -> NewEvent {
    let mut details = match timed_out {
        true => json!({"error": error}),
        false => json!({"cause": cause, "error": error}),
    };
    let prefix = match resource.event_names() {
        Some((resource_type, name)) => {
            details["resource"] = json!(name);
            details["resourceType"] = json!(resource_type);
            "Task"
        }
        None => "LambdaFunction",
    };
    let outcome = if timed_out { "TimedOut" } else { "Failed" };
    event(format!("{prefix}{outcome}"), details)
}

pub fn execution_succeeded(output: &Value) -> NewEvent {
    event(
        "ExecutionSucceeded",
        json!({"output": output.to_string(), "outputDetails": {"truncated": false}}),
    )
}

/// An absent error or cause (a Fail state without them, a timeout's cause) is left
/// out, as Step Functions leaves it out.
pub fn execution_failed(error: Option<&str>, cause: Option<&str>) -> NewEvent {
    event("ExecutionFailed", error_and_cause(error, cause))
}

/// A stop's `ExecutionAborted`: the error and cause the caller gave, each left out
/// when not given (the details are then empty, as Step Functions gives them).
pub fn execution_aborted(error: Option<&str>, cause: Option<&str>) -> NewEvent {
    event("ExecutionAborted", error_and_cause(error, cause))
}

/// An execution that ran past its workflow type's limit: `ExecutionTimedOut`, with the
/// error and cause each left out when there is none.
pub fn execution_timed_out(error: Option<&str>, cause: Option<&str>) -> NewEvent {
    event("ExecutionTimedOut", error_and_cause(error, cause))
}

fn error_and_cause(error: Option<&str>, cause: Option<&str>) -> Value {
    let mut details = Map::new();
    if let Some(cause) = cause {
        details.insert("cause".into(), json!(cause));
    }
    if let Some(error) = error {
        details.insert("error".into(), json!(error));
    }
    Value::Object(details)
}
