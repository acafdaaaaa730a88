//! The orchestrator of a deployed state machine, whichever its type: Step Functions'
//! history for a STANDARD machine, the execution logs for an EXPRESS one. The type is
//! asked of `DescribeStateMachine` once, on the first question that depends on it
//! (building the orchestrator is not async, and a start needs no answer: it is the same
//! `StartExecution` for both types).

use super::errors::port_error;
use super::express::{execution_log_group, ExpressOrchestrator};
use super::step_functions::StepFunctionsOrchestrator;
use async_trait::async_trait;
use aws_sdk_sfn::types::StateMachineType;
use std::sync::Arc;
use tokio::sync::OnceCell;
use wisaw_domain::contracts::ExecutionInput;
use wisaw_domain::ports::{
    ExecutionStatus, ExecutionSummary, HistoryEvent, Orchestrator, PortResult, StartOutcome,
};

pub struct OrchestratorOfType {
    step_functions: StepFunctionsOrchestrator,
    logs: aws_sdk_cloudwatchlogs::Client,
    /// Set by the first answer of `DescribeStateMachine`; a failed one is asked again.
    chosen: OnceCell<Arc<dyn Orchestrator>>,
}

/// The adapter for the machine's type: the one decision between them.
pub async fn orchestrator_of_type(
    step_functions: &StepFunctionsOrchestrator,
    logs: &aws_sdk_cloudwatchlogs::Client,
) -> PortResult<Arc<dyn Orchestrator>> {
    let machine = step_functions
        .client()
        .describe_state_machine()
        .state_machine_arn(step_functions.state_machine_arn())
        .send()
        .await
        .map_err(|e| port_error("describing the state machine", e))?;
    Ok(match machine.r#type() {
        StateMachineType::Express => {
            let log_group = execution_log_group(machine.logging_configuration())?;
            Arc::new(ExpressOrchestrator::new(
                step_functions.clone(),
                logs.clone(),
                log_group,
            ))
        }
        _ => Arc::new(step_functions.clone()),
    })
}

impl OrchestratorOfType {
    pub fn new(
        step_functions: StepFunctionsOrchestrator,
        logs: aws_sdk_cloudwatchlogs::Client,
    ) -> Self {
        Self {
            step_functions,
            logs,
            chosen: OnceCell::new(),
        }
    }

    async fn chosen(&self) -> PortResult<&Arc<dyn Orchestrator>> {
        self.chosen
            .get_or_try_init(|| orchestrator_of_type(&self.step_functions, &self.logs))
            .await
    }
}

#[async_trait]
impl Orchestrator for OrchestratorOfType {
    async fn start_execution(&self, input: &ExecutionInput) -> PortResult<StartOutcome> {
        self.step_functions.start_execution(input).await
    }

    async fn describe_execution(&self, name: &str) -> PortResult<Option<ExecutionSummary>> {
        self.chosen().await?.describe_execution(name).await
    }

    async fn execution_history(&self, name: &str) -> PortResult<Vec<HistoryEvent>> {
        self.chosen().await?.execution_history(name).await
    }

    async fn list_executions(
        &self,
        status: Option<ExecutionStatus>,
        limit: u32,
    ) -> PortResult<Vec<ExecutionSummary>> {
        self.chosen().await?.list_executions(status, limit).await
    }

    async fn definition(&self) -> PortResult<serde_json::Value> {
        self.step_functions.definition().await
    }
}
