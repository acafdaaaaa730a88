//! One event of an execution's history as Step Functions writes it to the state
//! machine's CloudWatch Logs log group (a JSON object per log event: `id`, `type`,
//! `details`, `previous_event_id`, `event_timestamp` in epoch milliseconds, and
//! `execution_arn`; numbers as strings), read into the port's [`HistoryEvent`].
//!
//! The details keep what `GetExecutionHistory` gives for the same event type (see
//! `history.rs`), so an execution read from its logs is drawn as one read from Step
//! Functions: inputs, outputs and parameters stay JSON text; `inputDetails` and
//! `outputDetails` are `{"truncated": bool}`.
//!
//! [`log_message`] writes the same format, for a stand-in of Step Functions that delivers
//! its executions' logs (`wisaw stage`): the format is said once, here.

// The reader is the operator's (`execution-logs`); a writer alone needs only the writer.
#![cfg_attr(not(feature = "execution-logs"), allow(dead_code))]

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use wisaw_domain::error::PortError;
use wisaw_domain::ports::{ExecutionStatus, HistoryEvent, PortResult};

/// A history event and the execution it belongs to.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LoggedEvent {
    pub execution_arn: String,
    pub event: HistoryEvent,
}

impl LoggedEvent {
    /// How the execution ended, when this event ends it.
    pub fn terminal_status(&self) -> Option<ExecutionStatus> {
        terminal_status(&self.event.event_type)
    }
}

/// The event types that end an execution, and the status each leaves.
pub(crate) const TERMINAL: [(&str, ExecutionStatus); 4] = [
    ("ExecutionSucceeded", ExecutionStatus::Succeeded),
    ("ExecutionFailed", ExecutionStatus::Failed),
    ("ExecutionTimedOut", ExecutionStatus::TimedOut),
    ("ExecutionAborted", ExecutionStatus::Aborted),
];

pub(crate) const STARTED: &str = "ExecutionStarted";

fn terminal_status(event_type: &str) -> Option<ExecutionStatus> {
    TERMINAL
        .iter()
        .find(|(name, _)| *name == event_type)
        .map(|(_, status)| *status)
}

/// An execution's ARN split at its colons: `arn:P:states:R:A:express:MACHINE:NAME:ID`
/// (an Express execution) or `arn:P:states:R:A:execution:MACHINE:NAME`.
pub(crate) struct ExecutionArn<'a> {
    /// `arn:P:states:R:A`, shared with its state machine's ARN.
    pub prefix: String,
    pub machine: &'a str,
    pub name: &'a str,
    pub express: bool,
}

impl<'a> ExecutionArn<'a> {
    pub fn parse(arn: &'a str) -> Option<Self> {
        let parts: Vec<&str> = arn.split(':').collect();
        let express = match parts.as_slice() {
            ["arn", _, "states", _, _, "express", _, _, _] => true,
            ["arn", _, "states", _, _, "execution", _, _] => false,
            _ => return None,
        };
        Some(Self {
            prefix: parts[..5].join(":"),
            machine: parts[6],
            name: parts[7],
            express,
        })
    }
}

/// The fields `GetExecutionHistory` carries in the details of each event type, as the
/// Standard adapter reads them (`history.rs`); other types carry none.
fn fields_of(event_type: &str) -> &'static [&'static str] {
    const ERROR: &[&str] = &["error", "cause"];
    const TASK_ERROR: &[&str] = &["resourceType", "resource", "error", "cause"];
    const TASK_OUTPUT: &[&str] = &["resourceType", "resource", "output", "outputDetails"];
    match event_type {
        STARTED => &["input", "inputDetails", "roleArn"],
        "ExecutionSucceeded" | "LambdaFunctionSucceeded" => &["output", "outputDetails"],
        "ExecutionFailed" | "ExecutionAborted" | "ExecutionTimedOut" => ERROR,
        "TaskScheduled" => &[
            "resourceType",
            "resource",
            "region",
            "parameters",
            "timeoutInSeconds",
            "heartbeatInSeconds",
        ],
        "TaskStarted" => &["resourceType", "resource"],
        "TaskSubmitted" | "TaskSucceeded" => TASK_OUTPUT,
        "TaskFailed" | "TaskTimedOut" | "TaskStartFailed" | "TaskSubmitFailed" => TASK_ERROR,
        "LambdaFunctionScheduled" => &["resource", "input", "inputDetails", "timeoutInSeconds"],
        "LambdaFunctionFailed"
        | "LambdaFunctionTimedOut"
        | "LambdaFunctionStartFailed"
        | "LambdaFunctionScheduleFailed" => ERROR,
        t if t.ends_with("StateEntered") => &["name", "input", "inputDetails"],
        t if t.ends_with("StateExited") => &["name", "output", "outputDetails"],
        _ => &[],
    }
}

/// A number as Step Functions logs it: a string of digits (or, leniently, a number).
fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::String(text) => text.trim().parse().ok(),
        Value::Number(number) => number.as_i64(),
        _ => None,
    }
}

/// `{"truncated": false}`, which some log events spell `{"truncated": "false"}`.
fn data_details(value: &Value) -> Value {
    let truncated = match value.get("truncated") {
        Some(Value::Bool(truncated)) => *truncated,
        Some(Value::String(text)) => text.eq_ignore_ascii_case("true"),
        _ => false,
    };
    serde_json::json!({ "truncated": truncated })
}

fn details_of(event_type: &str, logged: Option<&Value>) -> Value {
    let mut details = Map::new();
    let Some(Value::Object(logged)) = logged else {
        return Value::Object(details);
    };
    for &field in fields_of(event_type) {
        let Some(value) = logged.get(field).filter(|v| !v.is_null()) else {
            continue;
        };
        let value = match field {
            "inputDetails" | "outputDetails" => data_details(value),
            "timeoutInSeconds" | "heartbeatInSeconds" => match integer(value) {
                Some(seconds) => Value::from(seconds),
                None => continue,
            },
            // Text, as `GetExecutionHistory` gives it (inputs and outputs are JSON text).
            _ => match value {
                Value::String(_) => value.clone(),
                other => Value::String(other.to_string()),
            },
        };
        details.insert(field.to_string(), value);
    }
    Value::Object(details)
}

/// The details that are the execution's data: left out of the log without
/// `IncludeExecutionData`. The variables a state assigns are its data too.
const EXECUTION_DATA: [&str; 7] = [
    "input",
    "inputDetails",
    "output",
    "outputDetails",
    "parameters",
    "assignedVariables",
    "assignedVariablesDetails",
];

/// The longest input or output a log event carries, JSON-escaped: Step Functions cuts a
/// longer one there and says so in its `…Details` (CloudWatch Logs takes events of 256 KB
/// at most).
pub const MAX_LOGGED_DATA: usize = 248 * 1024;

/// The message of the log event Step Functions writes for `event` of the execution
/// `execution_arn`: the event's details as `GetExecutionHistory` gives them, without the
/// execution's data unless `include_execution_data`, an input or output longer than
/// [`MAX_LOGGED_DATA`] cut to it; numbers of the envelope as strings. The log event's
/// time is the event's (`event.timestamp`).
pub fn log_message(
    execution_arn: &str,
    event: &HistoryEvent,
    include_execution_data: bool,
) -> String {
    let mut details = match &event.details {
        Value::Object(details) => details.clone(),
        _ => Map::new(),
    };
    if include_execution_data {
        for (data, flag) in [("input", "inputDetails"), ("output", "outputDetails")] {
            if let Some(Value::String(text)) = details.get_mut(data) {
                if truncate_escaped(text, MAX_LOGGED_DATA) {
                    details.insert(flag.to_string(), json!({ "truncated": true }));
                }
            }
        }
    } else {
        details.retain(|field, _| !EXECUTION_DATA.contains(&field.as_str()));
    }
    json!({
        "id": event.id.to_string(),
        "type": event.event_type,
        "details": details,
        "previous_event_id": event.previous_event_id.to_string(),
        "event_timestamp": event.timestamp.timestamp_millis().to_string(),
        "execution_arn": execution_arn,
        // The engines this writes for never redrive an execution.
        "redrive_count": "0",
    })
    .to_string()
}

/// Cuts `text` to the longest start whose JSON escaping is at most `limit` bytes; true
/// when it cut.
fn truncate_escaped(text: &mut String, limit: usize) -> bool {
    let escaped_len = |c: char| match c {
        '"' | '\\' | '\n' | '\r' | '\t' | '\u{08}' | '\u{0c}' => 2,
        c if (c as u32) < 0x20 => 6,
        c => c.len_utf8(),
    };
    let mut length = 0;
    for (at, c) in text.char_indices() {
        length += escaped_len(c);
        if length > limit {
            text.truncate(at);
            return true;
        }
    }
    false
}

fn invalid(message: &str, why: impl std::fmt::Display) -> PortError {
    PortError::Invalid(format!("a log event of Step Functions {why}: {message}").into())
}

/// Reads one log event's message.
pub(crate) fn parse(message: &str) -> PortResult<LoggedEvent> {
    let logged: Value = serde_json::from_str(message)
        .map_err(|e| invalid(message, format!("is not JSON ({e})")))?;
    let field = |name: &str| logged.get(name).filter(|v| !v.is_null());
    let number = |name: &str| {
        field(name)
            .and_then(integer)
            .ok_or_else(|| invalid(message, format!("has no `{name}`")))
    };
    let text = |name: &str| {
        field(name)
            .and_then(Value::as_str)
            .ok_or_else(|| invalid(message, format!("has no `{name}`")))
    };
    let event_type = text("type")?;
    let millis = number("event_timestamp")?;
    let timestamp: DateTime<Utc> = DateTime::from_timestamp_millis(millis)
        .ok_or_else(|| invalid(message, "has a time out of range"))?;
    Ok(LoggedEvent {
        execution_arn: text("execution_arn")?.to_string(),
        event: HistoryEvent {
            id: number("id")?,
            // The first event follows none: Step Functions writes "0".
            previous_event_id: field("previous_event_id").and_then(integer).unwrap_or(0),
            timestamp,
            event_type: event_type.to_string(),
            details: details_of(event_type, field("details")),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Log events of an Express execution as AWS wrote them to its log group (a
    /// published capture: github.com/moralesl/masking-sensitive-express-step-functions,
    /// its README; the input was masked by CloudWatch Logs' data protection).
    const CAPTURED: [&str; 4] = [
        r#"{
  "id": "1",
  "type": "ExecutionStarted",
  "details": {
    "input": "{\"name\":\"***********\",\"address\":\"**********************************************\",\"key3\":\"****************\",\"order-id\": \"test-order-id\"}",
    "inputDetails": {
      "truncated": false
    },
    "roleArn": "arn:aws:iam::123456789012:role/masking-sensitive-express-LoggingAndMaskingWorkflow-PrqsMkZA1j2J"
  },
  "previous_event_id": "0",
  "event_timestamp": "1713959670672",
  "execution_arn": "arn:aws:states:eu-central-1:123456789012:express:LoggingAndMaskingWorkflow:cli-test-run:4135929f-8d60-4ea5-b3c3-b243bec43271",
  "redrive_count": "0"
}"#,
        r#"{
  "id": "2",
  "type": "PassStateEntered",
  "details": {
    "input": "{\"name\":\"***********\",\"address\":\"**********************************************\",\"key3\":\"****************\",\"order-id\": \"test-order-id\"}",
    "inputDetails": {
      "truncated": false
    },
    "name": "LogInput"
  },
  "previous_event_id": "0",
  "event_timestamp": "1713959670680",
  "execution_arn": "arn:aws:states:eu-central-1:123456789012:express:LoggingAndMaskingWorkflow:cli-test-run:4135929f-8d60-4ea5-b3c3-b243bec43271",
  "redrive_count": "0"
}"#,
        r#"{
  "id": "3",
  "type": "PassStateExited",
  "details": {
    "name": "LogInput",
    "output": "{\"name\":\"***********\",\"address\":\"**********************************************\",\"key3\":\"****************\",\"order-id\": \"test-order-id\"}",
    "outputDetails": {
      "truncated": false
    }
  },
  "previous_event_id": "2",
  "event_timestamp": "1713959670680",
  "execution_arn": "arn:aws:states:eu-central-1:123456789012:express:LoggingAndMaskingWorkflow:cli-test-run:4135929f-8d60-4ea5-b3c3-b243bec43271",
  "redrive_count": "0"
}"#,
        r#"{
  "id": "4",
  "type": "ExecutionSucceeded",
  "details": {
    "output": "{\"name\":\"***********\",\"address\":\"**********************************************\",\"key3\":\"****************\",\"order-id\": \"test-order-id\"}",
    "outputDetails": {
      "truncated": false
    }
  },
  "previous_event_id": "3",
  "event_timestamp": "1713959670680",
  "execution_arn": "arn:aws:states:eu-central-1:123456789012:express:LoggingAndMaskingWorkflow:cli-test-run:4135929f-8d60-4ea5-b3c3-b243bec43271",
  "redrive_count": "0"
}"#,
    ];

    const MASKED: &str = "{\"name\":\"***********\",\"address\":\"**********************************************\",\"key3\":\"****************\",\"order-id\": \"test-order-id\"}";

    #[test]
    fn an_express_execution_logged_by_aws_reads_as_its_history() {
        let events: Vec<LoggedEvent> = CAPTURED.iter().map(|m| parse(m).unwrap()).collect();
        let arn = &events[0].execution_arn;
        assert!(events.iter().all(|e| &e.execution_arn == arn));
        let parsed = ExecutionArn::parse(arn).unwrap();
        assert_eq!(
            (parsed.machine, parsed.name, parsed.express),
            ("LoggingAndMaskingWorkflow", "cli-test-run", true)
        );
        assert_eq!(parsed.prefix, "arn:aws:states:eu-central-1:123456789012");

        let ids: Vec<(i64, i64)> = events
            .iter()
            .map(|e| (e.event.id, e.event.previous_event_id))
            .collect();
        assert_eq!(ids, [(1, 0), (2, 0), (3, 2), (4, 3)]);
        let types: Vec<&str> = events.iter().map(|e| e.event.event_type.as_str()).collect();
        assert_eq!(
            types,
            [
                "ExecutionStarted",
                "PassStateEntered",
                "PassStateExited",
                "ExecutionSucceeded"
            ]
        );
        assert_eq!(
            events[0].event.timestamp.to_rfc3339(),
            "2024-04-24T11:54:30.672+00:00"
        );
        assert_eq!(
            events[0].event.details,
            json!({
                "input": MASKED,
                "inputDetails": {"truncated": false},
                "roleArn": "arn:aws:iam::123456789012:role/masking-sensitive-express-LoggingAndMaskingWorkflow-PrqsMkZA1j2J"
            })
        );
        assert_eq!(
            events[1].event.details,
            json!({"name": "LogInput", "input": MASKED, "inputDetails": {"truncated": false}})
        );
        assert_eq!(
            events[2].event.details,
            json!({"name": "LogInput", "output": MASKED, "outputDetails": {"truncated": false}})
        );
        assert_eq!(
            events[3].terminal_status(),
            Some(ExecutionStatus::Succeeded)
        );
        assert_eq!(events[0].terminal_status(), None);
    }

    #[test]
    fn a_truncated_flag_written_as_text_and_numbers_as_text_are_read() {
        let message = json!({
            "id": "5",
            "type": "TaskScheduled",
            "details": {
                "resourceType": "lambda",
                "resource": "invoke",
                "region": "eu-west-1",
                "parameters": "{\"FunctionName\":\"f\"}",
                "timeoutInSeconds": "60",
                "taskCredentials": {"roleArn": "r"}
            },
            "previous_event_id": "4",
            "event_timestamp": "1700000000123",
            "execution_arn": "arn:aws:states:eu-west-1:123456789012:execution:m:n"
        });
        let event = parse(&message.to_string()).unwrap().event;
        assert_eq!(
            event.details,
            json!({"resourceType": "lambda", "resource": "invoke", "region": "eu-west-1",
                   "parameters": "{\"FunctionName\":\"f\"}", "timeoutInSeconds": 60})
        );
        let exited = json!({
            "id": "6", "type": "TaskStateExited", "previous_event_id": "5",
            "event_timestamp": "1700000000124",
            "details": {"name": "Validate", "output": "{}", "outputDetails": {"truncated": "true"}},
            "execution_arn": "arn:aws:states:eu-west-1:123456789012:execution:m:n"
        });
        assert_eq!(
            parse(&exited.to_string()).unwrap().event.details,
            json!({"name": "Validate", "output": "{}", "outputDetails": {"truncated": true}})
        );
    }

    #[test]
    fn events_the_standard_history_gives_no_details_keep_none() {
        let message = json!({
            "id": "7", "type": "MapIterationStarted", "previous_event_id": "6",
            "event_timestamp": "1700000000125", "details": {"name": "Map", "index": 0},
            "execution_arn": "arn:aws:states:eu-west-1:123456789012:execution:m:n"
        });
        let event = parse(&message.to_string()).unwrap().event;
        assert_eq!(event.event_type, "MapIterationStarted");
        assert_eq!(event.details, json!({}));
    }

    #[test]
    fn a_message_that_is_not_an_event_is_refused_by_name() {
        for (message, why) in [
            ("not json", "is not JSON"),
            (
                r#"{"id":"1","type":"ExecutionStarted","event_timestamp":"1"}"#,
                "execution_arn",
            ),
            (
                r#"{"type":"ExecutionStarted","event_timestamp":"1","execution_arn":"a"}"#,
                "`id`",
            ),
        ] {
            let error = parse(message).unwrap_err();
            assert!(
                matches!(&error, PortError::Invalid(m) if m.message().contains(why)),
                "{message}: {error}"
            );
        }
    }

    const EXPRESS_ARN: &str =
        "arn:aws:states:us-east-1:123456789012:express:wisaw-test-upload:p1:0f6e5d4c";

    fn at(millis: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(millis).unwrap()
    }

    /// A failing photo's history as the engine records it, in the fields
    /// `GetExecutionHistory` gives each type.
    fn failing_history() -> Vec<HistoryEvent> {
        let event = |id: i64, previous: i64, event_type: &str, details: Value| HistoryEvent {
            id,
            previous_event_id: previous,
            timestamp: at(1_700_000_000_000 + id * 7),
            event_type: event_type.to_string(),
            details,
        };
        vec![
            event(
                1,
                0,
                "ExecutionStarted",
                json!({"input": "{\"photoId\":\"p1\"}",
                "inputDetails": {"truncated": false},
                "roleArn": "arn:aws:iam::123456789012:role/wisaw-test-upload"}),
            ),
            event(
                2,
                1,
                "TaskStateEntered",
                json!({"name": "Validate",
                "input": "{\"photoId\":\"p1\"}", "inputDetails": {"truncated": false}}),
            ),
            event(
                3,
                2,
                "TaskScheduled",
                json!({"resourceType": "lambda", "resource": "invoke",
                "region": "us-east-1", "parameters": "{\"FunctionName\":\"validate\"}",
                "timeoutInSeconds": 60}),
            ),
            event(
                4,
                3,
                "TaskStarted",
                json!({"resourceType": "lambda", "resource": "invoke"}),
            ),
            event(
                5,
                4,
                "TaskFailed",
                json!({"resourceType": "lambda", "resource": "invoke",
                "error": "Wisaw.Permanent", "cause": "not authorized"}),
            ),
            event(
                6,
                5,
                "TaskStateExited",
                json!({"name": "Validate", "output": "{}",
                "outputDetails": {"truncated": false}}),
            ),
            event(
                7,
                6,
                "ExecutionFailed",
                json!({"error": "Wisaw.Permanent", "cause": "not authorized"}),
            ),
        ]
    }

    #[test]
    fn a_history_written_as_log_messages_reads_back_as_the_same_history() {
        for event in failing_history() {
            let message = log_message(EXPRESS_ARN, &event, true);
            let written: Value = serde_json::from_str(&message).unwrap();
            // The envelope's numbers are text, as Step Functions writes them.
            assert_eq!(written["id"], json!(event.id.to_string()));
            assert_eq!(
                written["previous_event_id"],
                json!(event.previous_event_id.to_string())
            );
            assert_eq!(
                written["event_timestamp"],
                json!(event.timestamp.timestamp_millis().to_string())
            );
            assert_eq!(written["redrive_count"], "0");
            let read = parse(&message).unwrap();
            assert_eq!(read.execution_arn, EXPRESS_ARN);
            assert_eq!(read.event, event);
        }
    }

    #[test]
    fn without_execution_data_inputs_outputs_and_parameters_are_left_out() {
        let history = failing_history();
        let read = |event: &HistoryEvent| {
            let message = log_message(EXPRESS_ARN, event, false);
            assert!(
                !message.contains("photoId") && !message.contains("FunctionName"),
                "{message}"
            );
            parse(&message).unwrap().event
        };
        assert_eq!(
            read(&history[0]).details,
            json!({"roleArn": "arn:aws:iam::123456789012:role/wisaw-test-upload"})
        );
        assert_eq!(read(&history[1]).details, json!({"name": "Validate"}));
        assert_eq!(
            read(&history[2]).details,
            json!({"resourceType": "lambda", "resource": "invoke", "region": "us-east-1",
                   "timeoutInSeconds": 60})
        );
        // Errors are not the execution's data: kept.
        assert_eq!(read(&history[6]), history[6]);
    }

    #[test]
    fn an_input_longer_than_a_log_event_holds_is_cut_and_said_to_be() {
        let long = format!("\"{}\"", "\u{e9}\"".repeat(MAX_LOGGED_DATA / 3));
        let started = HistoryEvent {
            id: 1,
            previous_event_id: 0,
            timestamp: at(1_700_000_000_000),
            event_type: STARTED.to_string(),
            details: json!({"input": long, "inputDetails": {"truncated": false}}),
        };
        let message = log_message(EXPRESS_ARN, &started, true);
        assert!(message.len() < 256 * 1024, "{}", message.len());
        let details = parse(&message).unwrap().event.details;
        assert_eq!(details["inputDetails"], json!({"truncated": true}));
        let input = details["input"].as_str().unwrap();
        assert!(long.starts_with(input) && input.len() < long.len());
        let escaped = Value::String(input.to_string()).to_string().len() - 2;
        assert!(
            escaped <= MAX_LOGGED_DATA && escaped > MAX_LOGGED_DATA - 3,
            "{escaped}"
        );

        let short = HistoryEvent {
            details: json!({"input": "{}", "inputDetails": {"truncated": false}}),
            ..started
        };
        let details = parse(&log_message(EXPRESS_ARN, &short, true))
            .unwrap()
            .event
            .details;
        assert_eq!(
            details,
            json!({"input": "{}", "inputDetails": {"truncated": false}})
        );
    }

    #[test]
    fn only_execution_arns_are_read_as_such() {
        let standard =
            ExecutionArn::parse("arn:aws:states:us-east-1:123456789012:execution:m:photo-replay-1")
                .unwrap();
        assert_eq!((standard.machine, standard.name), ("m", "photo-replay-1"));
        assert!(!standard.express);
        for arn in [
            "arn:aws:states:us-east-1:123456789012:stateMachine:m",
            "arn:aws:states:us-east-1:123456789012:express:m:n",
            "arn:aws:lambda:us-east-1:123456789012:function:f",
        ] {
            assert!(ExecutionArn::parse(arn).is_none(), "{arn}");
        }
    }
}
