//! The orchestrator on Step Functions: one execution per photo and attempt, named so
//! that a second start for the same photo is recognised as already handled.

use super::errors::port_error;
use super::history::{history_event, to_utc};
use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_sfn::types::ExecutionStatus as SfnStatus;
use aws_sdk_sfn::Client;
use wisaw_domain::contracts::ExecutionInput;
use wisaw_domain::error::PortError;
use wisaw_domain::ports::{
    ExecutionStatus, ExecutionSummary, HistoryEvent, Orchestrator, PortResult, StartOutcome,
};

/// ListExecutions returns at most this many per page.
const MAX_PAGE: u32 = 1000;

#[derive(Clone, Debug)]
pub struct StepFunctionsOrchestrator {
    client: Client,
    state_machine_arn: String,
}

/// `arn:PARTITION:states:REGION:ACCOUNT:stateMachine:NAME`, split at its colons.
fn state_machine_parts(arn: &str) -> PortResult<Vec<&str>> {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    match parts.as_slice() {
        ["arn", _, "states", _, _, "stateMachine", name] if !name.is_empty() => Ok(parts),
        _ => Err(PortError::Invalid(
            format!("{arn} is not the ARN of a state machine").into(),
        )),
    }
}

/// The ARN Step Functions gives the execution `name` of this state machine:
/// `arn:…:stateMachine:NAME` → `arn:…:execution:NAME:EXECUTION`.
pub fn execution_arn(state_machine_arn: &str, name: &str) -> PortResult<String> {
    let parts = state_machine_parts(state_machine_arn)?;
    Ok(format!(
        "{}:execution:{}:{name}",
        parts[..5].join(":"),
        parts[6]
    ))
}

/// Where an operator sees an execution in the AWS console (its region is in its ARN).
pub fn console_url(execution_arn: &str) -> Option<String> {
    let region = execution_arn.split(':').nth(3).filter(|r| !r.is_empty())?;
    Some(format!(
        "https://{region}.console.aws.amazon.com/states/home?region={region}\
         #/v2/executions/details/{execution_arn}"
    ))
}

fn status_of(status: &SfnStatus) -> PortResult<ExecutionStatus> {
    Ok(match status {
        SfnStatus::Running => ExecutionStatus::Running,
        SfnStatus::Succeeded => ExecutionStatus::Succeeded,
        SfnStatus::Failed => ExecutionStatus::Failed,
        SfnStatus::TimedOut => ExecutionStatus::TimedOut,
        SfnStatus::Aborted => ExecutionStatus::Aborted,
        // A redrive was asked for: the execution is about to run again.
        SfnStatus::PendingRedrive => ExecutionStatus::Running,
        other => {
            return Err(PortError::Invalid(
                format!("unknown execution status {}", other.as_str()).into(),
            ))
        }
    })
}

fn sfn_status(status: ExecutionStatus) -> SfnStatus {
    match status {
        ExecutionStatus::Running => SfnStatus::Running,
        ExecutionStatus::Succeeded => SfnStatus::Succeeded,
        ExecutionStatus::Failed => SfnStatus::Failed,
        ExecutionStatus::TimedOut => SfnStatus::TimedOut,
        ExecutionStatus::Aborted => SfnStatus::Aborted,
    }
}

fn summary(
    name: &str,
    arn: &str,
    status: &SfnStatus,
    start: &aws_sdk_sfn::primitives::DateTime,
    stop: Option<&aws_sdk_sfn::primitives::DateTime>,
) -> PortResult<ExecutionSummary> {
    Ok(ExecutionSummary {
        name: name.to_string(),
        execution_id: arn.to_string(),
        status: status_of(status)?,
        start_date: to_utc(start)?,
        stop_date: stop.map(to_utc).transpose()?,
        console_url: console_url(arn),
    })
}

impl StepFunctionsOrchestrator {
    /// Refuses an ARN that is not a state machine's, since execution ARNs derive from it.
    pub fn new(client: Client, state_machine_arn: impl Into<String>) -> PortResult<Self> {
        let state_machine_arn = state_machine_arn.into();
        state_machine_parts(&state_machine_arn)?;
        Ok(Self {
            client,
            state_machine_arn,
        })
    }

    pub fn from_config(
        config: &SdkConfig,
        state_machine_arn: impl Into<String>,
    ) -> PortResult<Self> {
        Self::new(Client::new(config), state_machine_arn)
    }

    pub fn state_machine_arn(&self) -> &str {
        &self.state_machine_arn
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

#[async_trait]
impl Orchestrator for StepFunctionsOrchestrator {
    async fn start_execution(&self, input: &ExecutionInput) -> PortResult<StartOutcome> {
        let name = input.execution_name();
        // A STANDARD machine answers a repeated start with the same name and input while
        // the first still runs with success, and with ExecutionAlreadyExists otherwise:
        // either way the photo is handled once.
        match self
            .client
            .start_execution()
            .state_machine_arn(&self.state_machine_arn)
            .name(&name)
            .input(input.to_json().to_string())
            .send()
            .await
        {
            Ok(_) => Ok(StartOutcome::Started),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_execution_already_exists()) =>
            {
                Ok(StartOutcome::AlreadyExists)
            }
            Err(e) => Err(port_error(&format!("starting the execution {name}"), e)),
        }
    }

    async fn describe_execution(&self, name: &str) -> PortResult<Option<ExecutionSummary>> {
        let arn = execution_arn(&self.state_machine_arn, name)?;
        match self
            .client
            .describe_execution()
            .execution_arn(&arn)
            .send()
            .await
        {
            Ok(execution) => summary(
                execution.name().unwrap_or(name),
                execution.execution_arn(),
                execution.status(),
                execution.start_date(),
                execution.stop_date(),
            )
            .map(Some),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_execution_does_not_exist()) =>
            {
                Ok(None)
            }
            Err(e) => Err(port_error(&format!("describing the execution {name}"), e)),
        }
    }

    async fn execution_history(&self, name: &str) -> PortResult<Vec<HistoryEvent>> {
        let arn = execution_arn(&self.state_machine_arn, name)?;
        let mut pages = self
            .client
            .get_execution_history()
            .execution_arn(&arn)
            .into_paginator()
            .send();
        let mut events = Vec::new();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| port_error(&format!("reading the history of {name}"), e))?;
            for event in page.events() {
                events.push(history_event(event)?);
            }
        }
        Ok(events)
    }

    async fn list_executions(
        &self,
        status: Option<ExecutionStatus>,
        limit: u32,
    ) -> PortResult<Vec<ExecutionSummary>> {
        let mut pages = self
            .client
            .list_executions()
            .state_machine_arn(&self.state_machine_arn)
            .set_status_filter(status.map(sfn_status))
            .max_results(limit.min(MAX_PAGE) as i32)
            .into_paginator()
            .send();
        let mut executions = Vec::new();
        while executions.len() < limit as usize {
            let Some(page) = pages.next().await else {
                break;
            };
            let page = page.map_err(|e| port_error("listing executions", e))?;
            for item in page.executions() {
                executions.push(summary(
                    item.name(),
                    item.execution_arn(),
                    item.status(),
                    item.start_date(),
                    item.stop_date(),
                )?);
            }
        }
        executions.truncate(limit as usize);
        // Step Functions already lists newest first; sorting keeps the port's promise
        // with emulators that do not.
        executions.sort_by_key(|e| std::cmp::Reverse(e.start_date));
        Ok(executions)
    }

    async fn definition(&self) -> PortResult<serde_json::Value> {
        let machine = self
            .client
            .describe_state_machine()
            .state_machine_arn(&self.state_machine_arn)
            .send()
            .await
            .map_err(|e| port_error("describing the state machine", e))?;
        serde_json::from_str(machine.definition()).map_err(|e| {
            PortError::Invalid(
                format!(
                    "the definition of {} is not JSON: {e}",
                    self.state_machine_arn
                )
                .into(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MACHINE: &str = "arn:aws:states:eu-west-1:123456789012:stateMachine:wisaw-test-upload";

    #[test]
    fn an_execution_arn_derives_from_the_state_machine_arn() {
        assert_eq!(
            execution_arn(MACHINE, "0190c0de-replay-1").unwrap(),
            "arn:aws:states:eu-west-1:123456789012:execution:wisaw-test-upload:0190c0de-replay-1"
        );
        assert_eq!(
            execution_arn(
                "arn:aws-cn:states:cn-north-1:123456789012:stateMachine:m",
                "x"
            )
            .unwrap(),
            "arn:aws-cn:states:cn-north-1:123456789012:execution:m:x"
        );
    }

    #[test]
    fn an_arn_that_is_not_a_state_machine_is_refused() {
        for arn in [
            "arn:aws:states:eu-west-1:123456789012:execution:m:x",
            "arn:aws:lambda:eu-west-1:123456789012:function:f",
            "arn:aws:states:eu-west-1:123456789012:stateMachine:",
            "wisaw-test-upload",
        ] {
            assert!(
                matches!(execution_arn(arn, "x"), Err(PortError::Invalid(_))),
                "{arn}"
            );
        }
    }

    #[test]
    fn the_console_url_opens_the_execution_in_its_region() {
        let arn = execution_arn(MACHINE, "abc").unwrap();
        assert_eq!(
            console_url(&arn).unwrap(),
            "https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1\
             #/v2/executions/details/arn:aws:states:eu-west-1:123456789012:execution:wisaw-test-upload:abc"
        );
        assert_eq!(console_url("local-17"), None);
    }

    #[test]
    fn statuses_map_both_ways() {
        for status in [
            ExecutionStatus::Running,
            ExecutionStatus::Succeeded,
            ExecutionStatus::Failed,
            ExecutionStatus::TimedOut,
            ExecutionStatus::Aborted,
        ] {
            assert_eq!(status_of(&sfn_status(status)).unwrap(), status);
            assert_eq!(sfn_status(status).as_str(), status.as_str());
        }
        assert_eq!(
            status_of(&SfnStatus::PendingRedrive).unwrap(),
            ExecutionStatus::Running
        );
    }
}
