//! Step Functions' history events, read back into the port's [`HistoryEvent`] with the
//! event type and the details as `GetExecutionHistory` spells them in JSON (inputs,
//! outputs and parameters stay JSON text, as Step Functions gives them).
//!
//! Details are carried for the events of the states the upload machine uses (tasks,
//! Lambda invocations, choices, the execution itself); other events keep their type
//! with empty details.

use aws_sdk_sfn::types::{self as sfn, HistoryEventExecutionDataDetails};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use wisaw_domain::error::PortError;
use wisaw_domain::ports::{HistoryEvent, PortResult};

/// A JSON object built field by field, leaving out what Step Functions left out.
#[derive(Default)]
struct Details(Map<String, Value>);

impl Details {
    fn text(mut self, key: &str, value: Option<&str>) -> Self {
        if let Some(value) = value {
            self.0.insert(key.into(), json!(value));
        }
        self
    }

    fn number(mut self, key: &str, value: Option<i64>) -> Self {
        if let Some(value) = value {
            self.0.insert(key.into(), json!(value));
        }
        self
    }

    fn data(mut self, key: &str, value: Option<&HistoryEventExecutionDataDetails>) -> Self {
        if let Some(value) = value {
            self.0
                .insert(key.into(), json!({"truncated": value.truncated()}));
        }
        self
    }

    fn error(self, error: Option<&str>, cause: Option<&str>) -> Self {
        self.text("error", error).text("cause", cause)
    }

    fn task(self, resource_type: &str, resource: &str) -> Self {
        self.text("resourceType", Some(resource_type))
            .text("resource", Some(resource))
    }

    fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

fn execution_details(event: &sfn::HistoryEvent) -> Option<Details> {
    let d = Details::default();
    if let Some(e) = event.execution_started_event_details() {
        return Some(
            d.text("input", e.input())
                .data("inputDetails", e.input_details())
                .text("roleArn", e.role_arn()),
        );
    }
    if let Some(e) = event.execution_succeeded_event_details() {
        return Some(
            d.text("output", e.output())
                .data("outputDetails", e.output_details()),
        );
    }
    if let Some(e) = event.execution_failed_event_details() {
        return Some(d.error(e.error(), e.cause()));
    }
    if let Some(e) = event.execution_aborted_event_details() {
        return Some(d.error(e.error(), e.cause()));
    }
    if let Some(e) = event.execution_timed_out_event_details() {
        return Some(d.error(e.error(), e.cause()));
    }
    None
}

fn state_details(event: &sfn::HistoryEvent) -> Option<Details> {
    let d = Details::default();
    if let Some(e) = event.state_entered_event_details() {
        return Some(
            d.text("name", Some(e.name()))
                .text("input", e.input())
                .data("inputDetails", e.input_details()),
        );
    }
    if let Some(e) = event.state_exited_event_details() {
        return Some(
            d.text("name", Some(e.name()))
                .text("output", e.output())
                .data("outputDetails", e.output_details()),
        );
    }
    None
}

fn task_details(event: &sfn::HistoryEvent) -> Option<Details> {
    let d = Details::default();
    if let Some(e) = event.task_scheduled_event_details() {
        return Some(
            d.task(e.resource_type(), e.resource())
                .text("region", Some(e.region()))
                .text("parameters", Some(e.parameters()))
                .number("timeoutInSeconds", e.timeout_in_seconds())
                .number("heartbeatInSeconds", e.heartbeat_in_seconds()),
        );
    }
    if let Some(e) = event.task_started_event_details() {
        return Some(d.task(e.resource_type(), e.resource()));
    }
    if let Some(e) = event.task_submitted_event_details() {
        return Some(
            d.task(e.resource_type(), e.resource())
                .text("output", e.output())
                .data("outputDetails", e.output_details()),
        );
    }
    if let Some(e) = event.task_succeeded_event_details() {
        return Some(
            d.task(e.resource_type(), e.resource())
                .text("output", e.output())
                .data("outputDetails", e.output_details()),
        );
    }
    if let Some(e) = event.task_failed_event_details() {
        return Some(
            d.task(e.resource_type(), e.resource())
                .error(e.error(), e.cause()),
        );
    }
    if let Some(e) = event.task_timed_out_event_details() {
        return Some(
            d.task(e.resource_type(), e.resource())
                .error(e.error(), e.cause()),
        );
    }
    if let Some(e) = event.task_start_failed_event_details() {
        return Some(
            d.task(e.resource_type(), e.resource())
                .error(e.error(), e.cause()),
        );
    }
    if let Some(e) = event.task_submit_failed_event_details() {
        return Some(
            d.task(e.resource_type(), e.resource())
                .error(e.error(), e.cause()),
        );
    }
    None
}

/// The `Resource: <function ARN>` shorthand reports Lambda events instead of task events.
fn lambda_details(event: &sfn::HistoryEvent) -> Option<Details> {
    let d = Details::default();
    if let Some(e) = event.lambda_function_scheduled_event_details() {
        return Some(
            d.text("resource", Some(e.resource()))
                .text("input", e.input())
                .data("inputDetails", e.input_details())
                .number("timeoutInSeconds", e.timeout_in_seconds()),
        );
    }
    if let Some(e) = event.lambda_function_succeeded_event_details() {
        return Some(
            d.text("output", e.output())
                .data("outputDetails", e.output_details()),
        );
    }
    if let Some(e) = event.lambda_function_failed_event_details() {
        return Some(d.error(e.error(), e.cause()));
    }
    if let Some(e) = event.lambda_function_timed_out_event_details() {
        return Some(d.error(e.error(), e.cause()));
    }
    if let Some(e) = event.lambda_function_start_failed_event_details() {
        return Some(d.error(e.error(), e.cause()));
    }
    if let Some(e) = event.lambda_function_schedule_failed_event_details() {
        return Some(d.error(e.error(), e.cause()));
    }
    None
}

pub(crate) fn to_utc(time: &aws_sdk_sfn::primitives::DateTime) -> PortResult<DateTime<Utc>> {
    DateTime::from_timestamp(time.secs(), time.subsec_nanos())
        .ok_or_else(|| PortError::Invalid(format!("a time out of range: {time}").into()))
}

pub(crate) fn history_event(event: &sfn::HistoryEvent) -> PortResult<HistoryEvent> {
    let details = execution_details(event)
        .or_else(|| state_details(event))
        .or_else(|| task_details(event))
        .or_else(|| lambda_details(event))
        .unwrap_or_default();
    Ok(HistoryEvent {
        id: event.id(),
        previous_event_id: event.previous_event_id(),
        timestamp: to_utc(event.timestamp())?,
        event_type: event.r#type().as_str().to_string(),
        details: details.into_value(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sfn::primitives::DateTime as SmithyTime;
    use aws_sdk_sfn::types::{HistoryEventType, StateEnteredEventDetails, TaskFailedEventDetails};

    fn base(event_type: HistoryEventType) -> sfn::builders::HistoryEventBuilder {
        sfn::HistoryEvent::builder()
            .id(3)
            .previous_event_id(2)
            .timestamp(SmithyTime::from_secs(1_700_000_000))
            .r#type(event_type)
    }

    #[test]
    fn state_events_carry_the_state_name_and_its_input_as_text() {
        let event = base(HistoryEventType::TaskStateEntered)
            .state_entered_event_details(
                StateEnteredEventDetails::builder()
                    .name("Validate")
                    .input(r#"{"photoId":"x"}"#)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let mapped = history_event(&event).unwrap();
        assert_eq!(mapped.event_type, "TaskStateEntered");
        assert_eq!((mapped.id, mapped.previous_event_id), (3, 2));
        assert_eq!(mapped.timestamp.timestamp(), 1_700_000_000);
        assert_eq!(
            mapped.details,
            json!({"name": "Validate", "input": r#"{"photoId":"x"}"#})
        );
    }

    #[test]
    fn failures_carry_the_resource_error_and_cause() {
        let event = base(HistoryEventType::TaskFailed)
            .task_failed_event_details(
                TaskFailedEventDetails::builder()
                    .resource_type("lambda")
                    .resource("invoke")
                    .error("Wisaw.Transient")
                    .cause("the store is down")
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        assert_eq!(
            history_event(&event).unwrap().details,
            json!({"resourceType": "lambda", "resource": "invoke",
                   "error": "Wisaw.Transient", "cause": "the store is down"})
        );
    }

    #[test]
    fn events_without_details_keep_their_type() {
        let event = base(HistoryEventType::ChoiceStateEntered).build().unwrap();
        let mapped = history_event(&event).unwrap();
        assert_eq!(mapped.event_type, "ChoiceStateEntered");
        assert_eq!(mapped.details, json!({}));
    }
}
