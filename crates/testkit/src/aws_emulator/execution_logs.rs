//! An EXPRESS state machine on the emulator, logging to a CloudWatch Logs log group, and
//! its executions' histories in that group as Step Functions writes them: one log event
//! per history event, its message a JSON object (`id`, `type`, `details`,
//! `previous_event_id`, `event_timestamp` in epoch milliseconds, `execution_arn`,
//! `redrive_count`; numbers as strings), `details` being the event's one
//! `…EventDetails` object of `GetExecutionHistory`.
//!
//! The emulator runs an Express execution and keeps its history behind
//! `GetExecutionHistory`, but writes none of it to the log group: [`logged_history`]
//! turns the history it kept into the log events Step Functions would have written.
//! The calls here are plain JSON over HTTP, apart from the SDK that the adapters use.

use super::{unique, ACCESS_KEY_ID, ACCOUNT, REGION};
use aws_config::SdkConfig;
use aws_sdk_sfn::types::{
    CloudWatchLogsLogGroup, LogDestination, LogLevel, LoggingConfiguration, StateMachineType,
};
use serde_json::{json, Value};

/// A log group on the emulator.
pub struct LogGroup {
    pub name: String,
    /// As a logging configuration names it: `arn:aws:logs:R:A:log-group:NAME:*`.
    pub arn: String,
}

/// One call of an AWS JSON protocol, as the SDKs make it (the emulator checks no
/// signature, but routes by the service in the credential scope).
async fn call(endpoint: &str, service: &str, target: &str, version: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(endpoint)
        .header("content-type", format!("application/x-amz-json-{version}"))
        .header("x-amz-target", target)
        .header(
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/20240101/{REGION}/{service}/aws4_request, \
                 SignedHeaders=host;x-amz-target, Signature=0"
            ),
        )
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{target}: {status} {text}");
    if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    }
}

async fn logs(endpoint: &str, action: &str, body: Value) -> Value {
    call(
        endpoint,
        "logs",
        &format!("Logs_20140328.{action}"),
        "1.1",
        body,
    )
    .await
}

/// A new log group, named as Step Functions' vended logs are.
pub async fn create_log_group(endpoint: &str) -> LogGroup {
    let name = format!("/aws/vendedlogs/states/{}", unique("upload"));
    logs(endpoint, "CreateLogGroup", json!({ "logGroupName": name })).await;
    LogGroup {
        arn: format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}:*"),
        name,
    }
}

/// An EXPRESS state machine of this definition, logging at level ALL with its
/// executions' data to `log_group` (or not logging, without one); returns its ARN.
pub async fn create_express_machine(
    config: &SdkConfig,
    definition: &str,
    log_group: Option<&LogGroup>,
) -> String {
    let mut logging = LoggingConfiguration::builder()
        .level(LogLevel::Off)
        .include_execution_data(false);
    if let Some(group) = log_group {
        logging = LoggingConfiguration::builder()
            .level(LogLevel::All)
            .include_execution_data(true)
            .destinations(
                LogDestination::builder()
                    .cloud_watch_logs_log_group(
                        CloudWatchLogsLogGroup::builder()
                            .log_group_arn(&group.arn)
                            .build(),
                    )
                    .build(),
            );
    }
    aws_sdk_sfn::Client::new(config)
        .create_state_machine()
        .name(unique("express"))
        .definition(definition)
        .r#type(StateMachineType::Express)
        .logging_configuration(logging.build())
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/wisaw-test-upload"))
        .send()
        .await
        .unwrap()
        .state_machine_arn
}

/// The ARN AWS gives an Express execution `name` of this machine:
/// `arn:…:express:MACHINE:NAME:ID`, its id one of its own.
pub fn express_execution_arn(state_machine_arn: &str, name: &str) -> String {
    let (prefix, machine) = state_machine_arn
        .split_once(":stateMachine:")
        .expect("a state machine's ARN");
    let id = uuid::Uuid::new_v4();
    format!("{prefix}:express:{machine}:{name}:{id}")
}

/// The history the emulator recorded of `execution_arn`, as the log events (epoch
/// milliseconds and message) Step Functions writes of it, under the execution ARN
/// `logged_as` (the same one, or the Express form AWS gives, see
/// [`express_execution_arn`]).
pub async fn logged_history(
    endpoint: &str,
    execution_arn: &str,
    logged_as: &str,
) -> Vec<(i64, String)> {
    let history = call(
        endpoint,
        "states",
        "AWSStepFunctions.GetExecutionHistory",
        "1.0",
        json!({ "executionArn": execution_arn, "maxResults": 1000 }),
    )
    .await;
    let events = history["events"].as_array().expect("a history");
    events
        .iter()
        .map(|event| {
            let seconds = event["timestamp"]
                .as_f64()
                .expect("a time in epoch seconds");
            // Given to the millisecond, as Step Functions logs it; rounded, since a
            // double holds .824 as .8239999.
            let millis = (seconds * 1000.0).round() as i64;
            let mut logged = json!({
                "id": event["id"].as_i64().unwrap().to_string(),
                "type": event["type"],
                "previous_event_id": event["previousEventId"].as_i64().unwrap_or(0).to_string(),
                "event_timestamp": millis.to_string(),
                "execution_arn": logged_as,
                "redrive_count": "0",
            });
            let details = event
                .as_object()
                .unwrap()
                .iter()
                .find(|(key, _)| key.ends_with("EventDetails"));
            if let Some((_, details)) = details {
                logged["details"] = details.clone();
            }
            (millis, logged.to_string())
        })
        .collect()
}

/// Writes these log events (epoch milliseconds and message) to a new stream of the
/// group, as Step Functions delivers them.
pub async fn put_log_events(endpoint: &str, log_group: &LogGroup, events: &[(i64, String)]) {
    let stream = format!("states/{}/00000000", unique("stream"));
    logs(
        endpoint,
        "CreateLogStream",
        json!({ "logGroupName": log_group.name, "logStreamName": stream }),
    )
    .await;
    let mut events = events.to_vec();
    events.sort_by_key(|(millis, _)| *millis);
    let events: Vec<Value> = events
        .iter()
        .map(|(millis, message)| json!({ "timestamp": millis, "message": message }))
        .collect();
    logs(
        endpoint,
        "PutLogEvents",
        json!({ "logGroupName": log_group.name, "logStreamName": stream, "logEvents": events }),
    )
    .await;
}
