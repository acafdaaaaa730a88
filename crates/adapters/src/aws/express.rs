//! The orchestrator on an EXPRESS state machine. Step Functions keeps no history of an
//! Express execution (no `DescribeExecution`, `GetExecutionHistory` or `ListExecutions`):
//! it writes each event of it to the state machine's CloudWatch Logs log group (level
//! `ALL`, with execution data), so executions are listed, described and read there.
//! Starting one and the definition are Step Functions' own, as on a Standard machine.
//!
//! An Express start is never refused as a repeat: two starts under one name run twice,
//! each its own execution (its ARN ends in an id of its own). The pipeline's steps are
//! idempotent, so a duplicate changes nothing; asked by name, this adapter answers with
//! the newest execution of that name.

use super::log_event::{ExecutionArn, LoggedEvent, STARTED, TERMINAL};
use super::log_search::LogGroup;
use super::step_functions::{console_url, StepFunctionsOrchestrator};
use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_sfn::types::{LogLevel, LoggingConfiguration};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use wisaw_domain::contracts::ExecutionInput;
use wisaw_domain::error::PortError;
use wisaw_domain::ports::{
    ExecutionStatus, ExecutionSummary, HistoryEvent, Orchestrator, PortResult, StartOutcome,
};

#[derive(Clone, Debug)]
pub struct ExpressOrchestrator {
    step_functions: StepFunctionsOrchestrator,
    logs: LogGroup,
    /// `arn:P:states:R:A`: with the machine's name, whose events are this machine's (a
    /// log group can be shared).
    prefix: String,
    machine: String,
}

/// The log group an Express machine's executions can be read from: its logging
/// configuration's one destination, at level `ALL` (a lower level leaves out the starts
/// and the steps).
pub fn execution_log_group(logging: Option<&LoggingConfiguration>) -> PortResult<String> {
    let not_logged = |why: &str| {
        PortError::Invalid(
            format!(
                "the EXPRESS state machine's executions cannot be read: {why} (its logging \
                 must be level ALL, with execution data, to a CloudWatch Logs log group)"
            )
            .into(),
        )
    };
    let logging = logging.ok_or_else(|| not_logged("it has no logging configuration"))?;
    if logging.level() != Some(&LogLevel::All) {
        let level = logging.level().map_or("OFF", |l| l.as_str());
        return Err(not_logged(&format!("it logs at level {level}")));
    }
    let arn = logging
        .destinations()
        .iter()
        .find_map(|d| d.cloud_watch_logs_log_group()?.log_group_arn())
        .ok_or_else(|| not_logged("it names no log group"))?;
    log_group_name(arn).ok_or_else(|| not_logged(&format!("`{arn}` is not a log group's ARN")))
}

/// `arn:P:logs:R:A:log-group:NAME:*` → `NAME` (a log group's name has no colon).
fn log_group_name(arn: &str) -> Option<String> {
    let (_, rest) = arn.split_once(":log-group:")?;
    let name = rest.split(':').next()?;
    (!name.is_empty()).then(|| name.to_string())
}

/// Where an operator sees an Express execution in the AWS console.
fn express_console_url(parsed: &ExecutionArn, arn: &str, start: DateTime<Utc>) -> Option<String> {
    let region = parsed.prefix.split(':').nth(3).filter(|r| !r.is_empty())?;
    Some(format!(
        "https://{region}.console.aws.amazon.com/states/home?region={region}\
         #/express-executions/details/{arn}?startDate={}",
        start.timestamp_millis()
    ))
}

/// A filter pattern that matches every event of an execution of this name: its name is
/// in its ARN, and a name holds no quote (Step Functions refuses one).
fn name_pattern(name: &str) -> Option<String> {
    let acceptable = !name.is_empty() && !name.contains(['"', '\\']);
    acceptable.then(|| format!("\"{name}\""))
}

/// The events that start or end an execution, and no others.
fn bounds_pattern() -> String {
    let types: Vec<String> = std::iter::once(STARTED)
        .chain(TERMINAL.iter().map(|(name, _)| *name))
        .map(|name| format!("$.type = \"{name}\""))
        .collect();
    format!("{{ {} }}", types.join(" || "))
}

/// What the events say of one execution.
#[derive(Default)]
struct Bounds {
    start: Option<DateTime<Utc>>,
    stop: Option<(DateTime<Utc>, ExecutionStatus)>,
}

impl ExpressOrchestrator {
    pub fn new(
        step_functions: StepFunctionsOrchestrator,
        logs: aws_sdk_cloudwatchlogs::Client,
        log_group: impl Into<String>,
    ) -> Self {
        let parts: Vec<&str> = step_functions.state_machine_arn().split(':').collect();
        // The ARN was checked by the Step Functions adapter: `arn:P:states:R:A:stateMachine:NAME`.
        let prefix = parts[..5].join(":");
        let machine = parts[6].to_string();
        Self {
            step_functions,
            logs: LogGroup::new(logs, log_group),
            prefix,
            machine,
        }
    }

    pub fn from_config(
        config: &SdkConfig,
        state_machine_arn: impl Into<String>,
        log_group: impl Into<String>,
    ) -> PortResult<Self> {
        Ok(Self::new(
            StepFunctionsOrchestrator::from_config(config, state_machine_arn)?,
            aws_sdk_cloudwatchlogs::Client::new(config),
            log_group,
        ))
    }

    pub fn log_group(&self) -> &str {
        self.logs.name()
    }

    fn ours<'a>(&self, arn: &'a str) -> Option<ExecutionArn<'a>> {
        ExecutionArn::parse(arn).filter(|a| a.prefix == self.prefix && a.machine == self.machine)
    }

    /// The executions these events started, newest first.
    fn executions(&self, events: &[LoggedEvent]) -> Vec<ExecutionSummary> {
        let mut bounds: BTreeMap<&str, Bounds> = BTreeMap::new();
        for logged in events {
            if self.ours(&logged.execution_arn).is_none() {
                continue;
            }
            let event = &logged.event;
            let entry = bounds.entry(&logged.execution_arn).or_default();
            if event.event_type == STARTED {
                entry.start = Some(event.timestamp);
            } else if let Some(status) = logged.terminal_status() {
                entry.stop = Some((event.timestamp, status));
            }
        }
        let mut executions: Vec<ExecutionSummary> = bounds
            .into_iter()
            .filter_map(|(arn, bounds)| {
                let parsed = self.ours(arn)?;
                let start = bounds.start?;
                Some(ExecutionSummary {
                    name: parsed.name.to_string(),
                    execution_id: arn.to_string(),
                    status: bounds.stop.map_or(ExecutionStatus::Running, |(_, s)| s),
                    start_date: start,
                    stop_date: bounds.stop.map(|(stop, _)| stop),
                    console_url: if parsed.express {
                        express_console_url(&parsed, arn, start)
                    } else {
                        console_url(arn)
                    },
                })
            })
            .collect();
        executions
            .sort_by(|a, b| (b.start_date, &b.execution_id).cmp(&(a.start_date, &a.execution_id)));
        executions
    }

    /// The newest execution named `name` in these events.
    fn newest_named(&self, events: &[LoggedEvent], name: &str) -> Option<ExecutionSummary> {
        self.executions(events).into_iter().find(|e| e.name == name)
    }

    /// The events of every execution named `name`, back until one was found that started.
    async fn events_named(&self, name: &str) -> PortResult<Vec<LoggedEvent>> {
        let Some(pattern) = name_pattern(name) else {
            return Ok(Vec::new());
        };
        self.logs
            .search(&pattern, |events| self.newest_named(events, name).is_some())
            .await
    }
}

#[async_trait]
impl Orchestrator for ExpressOrchestrator {
    /// `StartExecution`, as on a Standard machine; an Express machine never answers
    /// "already exists", so a second start of a photo runs it a second time.
    async fn start_execution(&self, input: &ExecutionInput) -> PortResult<StartOutcome> {
        self.step_functions.start_execution(input).await
    }

    async fn describe_execution(&self, name: &str) -> PortResult<Option<ExecutionSummary>> {
        let events = self.events_named(name).await?;
        Ok(self.newest_named(&events, name))
    }

    async fn execution_history(&self, name: &str) -> PortResult<Vec<HistoryEvent>> {
        let events = self.events_named(name).await?;
        let execution = self.newest_named(&events, name).ok_or_else(|| {
            PortError::NotFound(
                format!("no execution {name} in the log group {}", self.logs.name()).into(),
            )
        })?;
        // CloudWatch Logs may deliver an event twice: one of each id.
        let history: BTreeMap<i64, HistoryEvent> = events
            .into_iter()
            .filter(|logged| logged.execution_arn == execution.execution_id)
            .map(|logged| (logged.event.id, logged.event))
            .collect();
        Ok(history.into_values().collect())
    }

    async fn list_executions(
        &self,
        status: Option<ExecutionStatus>,
        limit: u32,
    ) -> PortResult<Vec<ExecutionSummary>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let admitted = |executions: Vec<ExecutionSummary>| -> Vec<ExecutionSummary> {
            executions
                .into_iter()
                .filter(|e| status.is_none_or(|s| e.status == s))
                .take(limit as usize)
                .collect()
        };
        let events = self
            .logs
            .search(&bounds_pattern(), |events| {
                admitted(self.executions(events)).len() >= limit as usize
            })
            .await?;
        Ok(admitted(self.executions(&events)))
    }

    async fn definition(&self) -> PortResult<serde_json::Value> {
        self.step_functions.definition().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_sfn::types::{CloudWatchLogsLogGroup, LogDestination};

    fn logging(level: LogLevel, arn: Option<&str>) -> LoggingConfiguration {
        let mut builder = LoggingConfiguration::builder()
            .level(level)
            .include_execution_data(true);
        if let Some(arn) = arn {
            builder = builder.destinations(
                LogDestination::builder()
                    .cloud_watch_logs_log_group(
                        CloudWatchLogsLogGroup::builder().log_group_arn(arn).build(),
                    )
                    .build(),
            );
        }
        builder.build()
    }

    #[test]
    fn the_log_group_is_the_one_its_logging_names_at_level_all() {
        let arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/vendedlogs/states/wisaw-prod-upload:*";
        assert_eq!(
            execution_log_group(Some(&logging(LogLevel::All, Some(arn)))).unwrap(),
            "/aws/vendedlogs/states/wisaw-prod-upload"
        );
        for (logging, why) in [
            (None, "no logging configuration"),
            (Some(logging(LogLevel::Error, Some(arn))), "level ERROR"),
            (Some(logging(LogLevel::All, None)), "names no log group"),
            (
                Some(logging(LogLevel::All, Some("arn:aws:s3:::bucket"))),
                "not a log group's ARN",
            ),
        ] {
            let error = execution_log_group(logging.as_ref()).unwrap_err();
            assert!(
                matches!(&error, PortError::Invalid(m) if m.message().contains(why)),
                "{error}"
            );
        }
    }

    #[test]
    fn a_name_is_searched_for_as_a_quoted_term_and_a_quote_is_not_searched_at_all() {
        assert_eq!(
            name_pattern("0190c0de-replay-1").as_deref(),
            Some("\"0190c0de-replay-1\"")
        );
        assert_eq!(name_pattern("a\"b"), None);
        assert_eq!(name_pattern(""), None);
        assert_eq!(
            bounds_pattern(),
            "{ $.type = \"ExecutionStarted\" || $.type = \"ExecutionSucceeded\" || \
             $.type = \"ExecutionFailed\" || $.type = \"ExecutionTimedOut\" || \
             $.type = \"ExecutionAborted\" }"
        );
    }

    #[test]
    fn an_express_execution_opens_on_the_express_page_of_the_console() {
        let arn = "arn:aws:states:eu-west-1:123456789012:express:m:n:4135929f";
        let parsed = ExecutionArn::parse(arn).unwrap();
        let start = DateTime::from_timestamp_millis(1_713_959_670_672).unwrap();
        assert_eq!(
            express_console_url(&parsed, arn, start).unwrap(),
            "https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1\
             #/express-executions/details/arn:aws:states:eu-west-1:123456789012:express:m:n:4135929f\
             ?startDate=1713959670672"
        );
    }
}
