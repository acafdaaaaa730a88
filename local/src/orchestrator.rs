//! The local runner as the orchestrator port: what the API, the dispatcher and the
//! operator commands see of Step Functions, locally. On an Express machine a start under
//! a name already used starts another execution (`Started`); a name then describes the
//! newest of its executions, and a listing gives each one, with its own id.

use async_trait::async_trait;
use std::sync::Arc;
use wisaw_asl::{ExecutionRecord, LocalRunner, RunnerError};
use wisaw_domain::contracts::ExecutionInput;
use wisaw_domain::error::PortError;
use wisaw_domain::ports::{
    ExecutionStatus, ExecutionSummary, HistoryEvent, Orchestrator, PortResult, StartOutcome,
};

#[derive(Clone)]
pub struct LocalOrchestrator {
    runner: Arc<LocalRunner>,
    /// The definition the runner was loaded from, as the file has it.
    definition: serde_json::Value,
}

impl LocalOrchestrator {
    pub fn new(runner: Arc<LocalRunner>, definition: serde_json::Value) -> Self {
        Self { runner, definition }
    }
}

pub fn summary(record: &ExecutionRecord) -> ExecutionSummary {
    ExecutionSummary {
        name: record.name.clone(),
        execution_id: record.execution_id.clone(),
        status: record.status,
        start_date: record.start_date,
        stop_date: record.stop_date,
        console_url: None,
    }
}

pub fn port_error(error: RunnerError) -> PortError {
    match error {
        RunnerError::Store(error) => wisaw_adapters::db_error::db_error(error),
        RunnerError::NotFound(_) => PortError::NotFound(error.to_string().into()),
        RunnerError::ShuttingDown | RunnerError::WaitTimedOut(_) => {
            PortError::Unavailable(error.to_string().into())
        }
        RunnerError::Load(_)
        | RunnerError::Migrate(_)
        | RunnerError::InvalidName(_)
        | RunnerError::InputTooLarge(_) => PortError::Invalid(error.to_string().into()),
    }
}

#[async_trait]
impl Orchestrator for LocalOrchestrator {
    async fn start_execution(&self, input: &ExecutionInput) -> PortResult<StartOutcome> {
        let name = input.execution_name();
        self.runner
            .start(&name, input.to_json())
            .await
            .map_err(port_error)
    }

    async fn describe_execution(&self, name: &str) -> PortResult<Option<ExecutionSummary>> {
        let record = self.runner.describe(name).await.map_err(port_error)?;
        Ok(record.as_ref().map(summary))
    }

    async fn execution_history(&self, name: &str) -> PortResult<Vec<HistoryEvent>> {
        self.runner.history(name).await.map_err(port_error)
    }

    async fn list_executions(
        &self,
        status: Option<ExecutionStatus>,
        limit: u32,
    ) -> PortResult<Vec<ExecutionSummary>> {
        let records = self.runner.list(status, limit).await.map_err(port_error)?;
        Ok(records.iter().map(summary).collect())
    }

    async fn definition(&self) -> PortResult<serde_json::Value> {
        Ok(self.definition.clone())
    }
}
