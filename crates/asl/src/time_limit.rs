//! An execution run within the time its workflow type allows ([`WorkflowType::max_duration`]),
//! counted from its start: a resumed execution has only what is left, and one past its
//! time runs not a single state more.

use super::engine::Engine;
use super::error::STATES_TIMEOUT;
use super::history;
use super::store::{AppendError, ExecutionRecord};
use chrono::Utc;
use sfn_vocabulary::ExecutionStatus;
use sfn_vocabulary::WorkflowType;

/// Runs `record` to its end, or until its time is up: then the state in progress is
/// dropped and the execution ends TIMED_OUT, with an `ExecutionTimedOut` event.
pub(crate) async fn run_within_limit(
    engine: &Engine<'_>,
    record: ExecutionRecord,
) -> Result<ExecutionStatus, AppendError> {
    // The type it started as, whatever the machine that resumes it is now.
    let limit = WorkflowType::of_execution(&record.execution_id).max_duration();
    let Some(limit) = limit.and_then(|limit| chrono::Duration::from_std(limit).ok()) else {
        return engine.run(record).await;
    };
    let left = (record.start_date + limit - Utc::now())
        .to_std()
        .unwrap_or_default();
    let execution_id = record.execution_id.clone();
    if !left.is_zero() {
        if let Ok(ended) = tokio::time::timeout(left, engine.run(record)).await {
            return ended;
        }
    }
    let timeout = Some(STATES_TIMEOUT);
    let event = history::execution_timed_out(timeout, None);
    let timed_out = ExecutionStatus::TimedOut;
    engine
        .store
        .end(&execution_id, timed_out, timeout, None, &event)
        .await?;
    Ok(timed_out)
}
