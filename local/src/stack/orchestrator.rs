//! The local runner as the orchestrator port: what the API, the dispatcher and the
//! operator commands see of Step Functions, locally.

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
}

impl LocalOrchestrator {
    pub fn new(runner: Arc<LocalRunner>) -> Self {
        Self { runner }
    }
}

/// The runner's and the port's statuses are the same five, by the same names.
fn port_status(status: wisaw_asl::ExecutionStatus) -> ExecutionStatus {
    match status {
        wisaw_asl::ExecutionStatus::Running => ExecutionStatus::Running,
        wisaw_asl::ExecutionStatus::Succeeded => ExecutionStatus::Succeeded,
        wisaw_asl::ExecutionStatus::Failed => ExecutionStatus::Failed,
        wisaw_asl::ExecutionStatus::TimedOut => ExecutionStatus::TimedOut,
        wisaw_asl::ExecutionStatus::Aborted => ExecutionStatus::Aborted,
    }
}

fn runner_status(status: ExecutionStatus) -> wisaw_asl::ExecutionStatus {
    match status {
        ExecutionStatus::Running => wisaw_asl::ExecutionStatus::Running,
        ExecutionStatus::Succeeded => wisaw_asl::ExecutionStatus::Succeeded,
        ExecutionStatus::Failed => wisaw_asl::ExecutionStatus::Failed,
        ExecutionStatus::TimedOut => wisaw_asl::ExecutionStatus::TimedOut,
        ExecutionStatus::Aborted => wisaw_asl::ExecutionStatus::Aborted,
    }
}

pub fn summary(record: &ExecutionRecord) -> ExecutionSummary {
    ExecutionSummary {
        name: record.name.clone(),
        execution_id: record.execution_id.clone(),
        status: port_status(record.status),
        start_date: record.start_date,
        stop_date: record.stop_date,
        console_url: None,
    }
}

fn port_event(event: wisaw_asl::HistoryEvent) -> HistoryEvent {
    HistoryEvent {
        id: event.id,
        previous_event_id: event.previous_event_id,
        timestamp: event.timestamp,
        event_type: event.event_type,
        details: event.details,
    }
}

pub fn port_error(error: RunnerError) -> PortError {
    match error {
        RunnerError::Store(error) => wisaw_adapters::db_error::db_error(error),
        RunnerError::NotFound(_) => PortError::NotFound(error.to_string()),
        RunnerError::ShuttingDown | RunnerError::WaitTimedOut(_) => {
            PortError::Unavailable(error.to_string())
        }
        RunnerError::Load(_)
        | RunnerError::Migrate(_)
        | RunnerError::InvalidName(_)
        | RunnerError::InputTooLarge(_) => PortError::Invalid(error.to_string()),
    }
}

#[async_trait]
impl Orchestrator for LocalOrchestrator {
    async fn start_execution(
        &self,
        name: &str,
        input: &ExecutionInput,
    ) -> PortResult<StartOutcome> {
        let input = serde_json::to_value(input).map_err(|e| PortError::Invalid(e.to_string()))?;
        Ok(
            match self.runner.start(name, input).await.map_err(port_error)? {
                wisaw_asl::StartOutcome::Started => StartOutcome::Started,
                wisaw_asl::StartOutcome::AlreadyExists => StartOutcome::AlreadyExists,
            },
        )
    }

    async fn describe_execution(&self, name: &str) -> PortResult<Option<ExecutionSummary>> {
        let record = self.runner.describe(name).await.map_err(port_error)?;
        Ok(record.as_ref().map(summary))
    }

    async fn execution_history(&self, name: &str) -> PortResult<Vec<HistoryEvent>> {
        let events = self.runner.history(name).await.map_err(port_error)?;
        Ok(events.into_iter().map(port_event).collect())
    }

    async fn list_executions(
        &self,
        status: Option<ExecutionStatus>,
        limit: u32,
    ) -> PortResult<Vec<ExecutionSummary>> {
        let records = self
            .runner
            .list(status.map(runner_status), limit)
            .await
            .map_err(port_error)?;
        Ok(records.iter().map(summary).collect())
    }
}
