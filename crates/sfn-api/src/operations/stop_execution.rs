//! `StopExecution`: a running execution ends ABORTED with the caller's error and cause.
//! Stopping it again answers its stop date again; stopping one that ended otherwise is
//! refused, and changes nothing.

use crate::errors::{ApiError, Code};
use crate::machines::Machines;
use crate::shapes::{
    at_most, required, EpochSeconds, StopExecutionRequest, StopExecutionResponse, MAX_CAUSE_LENGTH,
    MAX_ERROR_LENGTH,
};
use wisaw_asl::{RunnerError, StopError};

pub async fn stop_execution(
    machines: &Machines,
    request: StopExecutionRequest,
) -> Result<StopExecutionResponse, ApiError> {
    let arn = required(&request.execution_arn, "executionArn")?;
    at_most(request.error.as_deref(), "error", MAX_ERROR_LENGTH)?;
    at_most(request.cause.as_deref(), "cause", MAX_CAUSE_LENGTH)?;
    let (machine, name) = machines.execution(arn)?;
    let stopped = machine
        .runner
        .stop(name, request.error.as_deref(), request.cause.as_deref())
        .await
        .map_err(|error| match error {
            StopError::NotRunning { status, .. } => ApiError::new(
                Code::ValidationException,
                format!(
                    "Execution Is Not Running: '{arn}' has ended {}",
                    status.as_str()
                ),
            ),
            StopError::Runner(RunnerError::NotFound(_)) => ApiError::execution_does_not_exist(arn),
            StopError::Runner(other) => ApiError::runner(other),
        })?;
    // An aborted execution always has its stop date.
    let stop_date = stopped.stop_date.unwrap_or(stopped.start_date);
    Ok(StopExecutionResponse {
        stop_date: EpochSeconds(stop_date),
    })
}
