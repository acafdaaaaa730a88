//! The operations' requests and answers, in AWS's field names, and the constraints AWS
//! holds their members to. Every request member is optional here so that a missing one
//! is answered as AWS answers it (a `ValidationException` naming it), not as a body that
//! does not parse.

use crate::errors::ApiError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, Serializer};
use wisaw_asl::{ExecutionRecord, ExecutionStatus};

/// An execution's input: at most 256 KiB of text.
pub const MAX_INPUT_LENGTH: usize = 262_144;
/// `StopExecution`'s error and cause.
pub const MAX_ERROR_LENGTH: usize = 256;
pub const MAX_CAUSE_LENGTH: usize = 32_768;
/// A page's size when the request gives none (or 0), and the most it may ask for.
pub const DEFAULT_PAGE: u32 = 100;
pub const MAX_PAGE: u32 = 1000;

/// A timestamp as AWS JSON 1.0 sends one: seconds since the epoch, a number with the
/// milliseconds as its fraction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpochSeconds(pub DateTime<Utc>);

impl Serialize for EpochSeconds {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.0.timestamp_millis() as f64 / 1000.0)
    }
}

/// Says that the data it stands beside (an input, an output) is given in full.
#[derive(Serialize)]
pub struct Included {
    pub included: bool,
}

impl Included {
    pub const FULL: Included = Included { included: true };
}

// StartExecution

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartExecutionRequest {
    pub state_machine_arn: Option<String>,
    pub name: Option<String>,
    pub input: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StartExecutionResponse {
    pub execution_arn: String,
    pub start_date: EpochSeconds,
}

// DescribeExecution

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeExecutionRequest {
    pub execution_arn: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeExecutionResponse {
    /// What `ListExecutions` says of the execution too.
    #[serde(flatten)]
    pub execution: ExecutionListItem,
    pub input: String,
    pub input_details: Included,
    /// Only a succeeded execution has an output.
    #[serde(flatten)]
    pub output: Option<Output>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

impl DescribeExecutionResponse {
    /// An execution of the machine `state_machine_arn`, as the engine records it.
    pub fn of(state_machine_arn: &str, record: ExecutionRecord) -> Self {
        Self {
            execution: ExecutionListItem::of(state_machine_arn, &record),
            input: record.input.to_string(),
            input_details: Included::FULL,
            output: record.output.map(|output| Output {
                output: output.to_string(),
                output_details: Included::FULL,
            }),
            error: record.error,
            cause: record.cause,
        }
    }
}

/// An execution's output, given in full.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub output: String,
    pub output_details: Included,
}

/// The members of a request for a page (`ListExecutions`, `GetExecutionHistory`): how many
/// at most, and the token of the page before.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageRequest {
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
}

impl PageRequest {
    /// `maxResults`: 0 (or none) for the default page, at most [`MAX_PAGE`].
    pub fn size(&self) -> Result<u32, ApiError> {
        match self.max_results.unwrap_or(0) {
            0 => Ok(DEFAULT_PAGE),
            n if (1..=i64::from(MAX_PAGE)).contains(&n) => Ok(n as u32),
            n if n < 0 => Err(ApiError::invalid_member(
                Some(&n.to_string()),
                "maxResults",
                "must have value greater than or equal to 0",
            )),
            n => Err(ApiError::invalid_member(
                Some(&n.to_string()),
                "maxResults",
                &format!("must have value less than or equal to {MAX_PAGE}"),
            )),
        }
    }
}

// ListExecutions

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListExecutionsRequest {
    pub state_machine_arn: Option<String>,
    pub map_run_arn: Option<String>,
    pub status_filter: Option<String>,
    #[serde(flatten)]
    pub page: PageRequest,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListExecutionsResponse {
    pub executions: Vec<ExecutionListItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionListItem {
    pub execution_arn: String,
    pub state_machine_arn: String,
    pub name: String,
    pub status: ExecutionStatus,
    pub start_date: EpochSeconds,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_date: Option<EpochSeconds>,
    /// The engine never redrives.
    pub redrive_count: u32,
}

impl ExecutionListItem {
    /// The item of an execution of the machine `state_machine_arn`, as the engine records it.
    pub fn of(state_machine_arn: &str, record: &ExecutionRecord) -> Self {
        Self {
            execution_arn: record.execution_id.clone(),
            state_machine_arn: state_machine_arn.to_string(),
            name: record.name.clone(),
            status: record.status,
            start_date: EpochSeconds(record.start_date),
            stop_date: record.stop_date.map(EpochSeconds),
            redrive_count: 0,
        }
    }
}

// GetExecutionHistory

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetExecutionHistoryRequest {
    pub execution_arn: Option<String>,
    pub reverse_order: Option<bool>,
    pub include_execution_data: Option<bool>,
    #[serde(flatten)]
    pub page: PageRequest,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetExecutionHistoryResponse {
    pub events: Vec<crate::events::AwsEvent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

// StopExecution

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopExecutionRequest {
    pub execution_arn: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StopExecutionResponse {
    pub stop_date: EpochSeconds,
}

// DescribeStateMachine

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeStateMachineRequest {
    pub state_machine_arn: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeStateMachineResponse {
    pub state_machine_arn: String,
    pub name: String,
    pub status: &'static str,
    pub definition: String,
    pub role_arn: String,
    #[serde(rename = "type")]
    pub machine_type: &'static str,
    pub creation_date: EpochSeconds,
    pub logging_configuration: LoggingConfiguration,
    pub tracing_configuration: TracingConfiguration,
}

/// Where and what a machine logs of its executions.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggingConfiguration {
    pub level: &'static str,
    pub include_execution_data: bool,
    /// None for a machine that logs nowhere.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub destinations: Vec<LogDestination>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogDestination {
    pub cloud_watch_logs_log_group: CloudWatchLogsLogGroup,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudWatchLogsLogGroup {
    pub log_group_arn: String,
}

#[derive(Serialize)]
pub struct TracingConfiguration {
    pub enabled: bool,
}

// The members' constraints.

/// A member the operation cannot do without.
pub fn required<'a>(value: &'a Option<String>, member: &str) -> Result<&'a str, ApiError> {
    match value.as_deref() {
        Some(value) => Ok(value),
        None => Err(ApiError::missing_member(member)),
    }
}

/// A text member of at most `max` characters.
pub fn at_most(value: Option<&str>, member: &str, max: usize) -> Result<(), ApiError> {
    match value {
        Some(text) if text.chars().count() > max => Err(ApiError::invalid_member(
            None,
            member,
            &format!("must have length less than or equal to {max}"),
        )),
        _ => Ok(()),
    }
}
