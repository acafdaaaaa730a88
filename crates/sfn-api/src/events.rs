//! History events in `GetExecutionHistory`'s shape: `timestamp`, `type`, `id`,
//! `previousEventId`, and the event's details under the member its type has
//! (`stateEnteredEventDetails` for every `...StateEntered`, `taskScheduledEventDetails`
//! for `TaskScheduled`...). The engine stores the details in AWS's field names already;
//! an event whose type has no details member (`ParallelStateStarted`...) has none.

use crate::shapes::EpochSeconds;
use serde::Serialize;
use serde_json::{Map, Value};
use wisaw_asl::HistoryEvent;

/// The event types with a details member of their own, named after the type:
/// `TaskScheduled` → `taskScheduledEventDetails`.
const WITH_OWN_DETAILS: [&str; 35] = [
    "ActivityFailed",
    "ActivityScheduleFailed",
    "ActivityScheduled",
    "ActivityStarted",
    "ActivitySucceeded",
    "ActivityTimedOut",
    "TaskFailed",
    "TaskScheduled",
    "TaskStartFailed",
    "TaskStarted",
    "TaskSubmitFailed",
    "TaskSubmitted",
    "TaskSucceeded",
    "TaskTimedOut",
    "ExecutionFailed",
    "ExecutionStarted",
    "ExecutionSucceeded",
    "ExecutionAborted",
    "ExecutionTimedOut",
    "ExecutionRedriven",
    "MapStateStarted",
    "MapIterationStarted",
    "MapIterationSucceeded",
    "MapIterationFailed",
    "MapIterationAborted",
    "LambdaFunctionFailed",
    "LambdaFunctionScheduleFailed",
    "LambdaFunctionScheduled",
    "LambdaFunctionStartFailed",
    "LambdaFunctionSucceeded",
    "LambdaFunctionTimedOut",
    "MapRunStarted",
    "MapRunFailed",
    "MapRunRedriven",
    "EvaluationFailed",
];

/// What `includeExecutionData: false` leaves out: the execution's data.
const EXECUTION_DATA: [&str; 2] = ["input", "output"];

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AwsEvent {
    timestamp: EpochSeconds,
    #[serde(rename = "type")]
    event_type: String,
    id: i64,
    previous_event_id: i64,
    /// At most one member: the details, under their name.
    #[serde(flatten)]
    details: Map<String, Value>,
}

/// The member `event_type`'s details go under, if it has one.
fn details_member(event_type: &str) -> Option<String> {
    if event_type.ends_with("StateEntered") {
        return Some("stateEnteredEventDetails".into());
    }
    if event_type.ends_with("StateExited") {
        return Some("stateExitedEventDetails".into());
    }
    if !WITH_OWN_DETAILS.contains(&event_type) {
        return None;
    }
    let mut first = event_type.chars();
    let head = first.next()?.to_ascii_lowercase();
    Some(format!("{head}{}EventDetails", first.as_str()))
}

pub fn aws_event(event: &HistoryEvent, include_execution_data: bool) -> AwsEvent {
    let mut details = Map::new();
    if let Some(member) = details_member(&event.event_type) {
        let mut own = event.details.as_object().cloned().unwrap_or_default();
        if !include_execution_data {
            own.retain(|field, _| !EXECUTION_DATA.contains(&field.as_str()));
        }
        details.insert(member, Value::Object(own));
    }
    AwsEvent {
        timestamp: EpochSeconds(event.timestamp),
        event_type: event.event_type.clone(),
        id: event.id,
        previous_event_id: event.previous_event_id,
        details,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_go_under_the_member_of_their_type() {
        for (event_type, member) in [
            ("TaskStateEntered", Some("stateEnteredEventDetails")),
            ("SucceedStateExited", Some("stateExitedEventDetails")),
            ("TaskScheduled", Some("taskScheduledEventDetails")),
            ("ExecutionAborted", Some("executionAbortedEventDetails")),
            (
                "MapIterationStarted",
                Some("mapIterationStartedEventDetails"),
            ),
            ("MapStateStarted", Some("mapStateStartedEventDetails")),
            ("ParallelStateStarted", None),
            ("WaitStateAborted", None),
        ] {
            assert_eq!(
                details_member(event_type).as_deref(),
                member,
                "{event_type}"
            );
        }
    }
}
