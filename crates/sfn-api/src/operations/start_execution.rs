//! `StartExecution`: a new execution, or, for a Standard machine, the same answer again
//! when a running execution already has the name and the same input. An Express machine
//! starts another execution whatever name it is given.

use crate::errors::{ApiError, Code};
use crate::machines::Machines;
use crate::shapes::{
    at_most, required, EpochSeconds, StartExecutionRequest, StartExecutionResponse,
    MAX_INPUT_LENGTH,
};
use serde_json::Value;
use wisaw_asl::{ExecutionRecord, ExecutionStatus, RunnerError, StartOutcome};

pub async fn start_execution(
    machines: &Machines,
    request: StartExecutionRequest,
) -> Result<StartExecutionResponse, ApiError> {
    let arn = required(&request.state_machine_arn, "stateMachineArn")?;
    // No input is an empty object, as on AWS.
    let input_text = request.input.as_deref().unwrap_or("{}");
    at_most(Some(input_text), "input", MAX_INPUT_LENGTH)?;
    let machine = machines.machine(arn)?;
    let input: Value = serde_json::from_str(input_text).map_err(|e| {
        ApiError::new(
            Code::InvalidExecutionInput,
            format!("Invalid State Machine Execution Input: '{e}'"),
        )
    })?;
    // No name is a fresh one, as on AWS.
    let name = request
        .name
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let runner = &machine.runner;
    let (outcome, record) = runner
        .start_and_describe(&name, input.clone())
        .await
        .map_err(|error| match error {
            RunnerError::InvalidName(name) => {
                ApiError::new(Code::InvalidName, format!("Invalid Name: '{name}'"))
            }
            RunnerError::InputTooLarge(_) => ApiError::invalid_member(
                None,
                "input",
                &format!("must have length less than or equal to {MAX_INPUT_LENGTH}"),
            ),
            other => ApiError::runner(other),
        })?;
    match outcome {
        StartOutcome::Started => Ok(started(record)),
        StartOutcome::AlreadyExists if is_a_repeat(&record, &input) => Ok(started(record)),
        StartOutcome::AlreadyExists => Err(ApiError::new(
            Code::ExecutionAlreadyExists,
            format!("Execution Already Exists: '{}'", record.execution_id),
        )),
    }
}

/// The same start again while the first still runs: Standard machines are idempotent
/// then, and only then.
fn is_a_repeat(existing: &ExecutionRecord, input: &Value) -> bool {
    existing.status == ExecutionStatus::Running && existing.input == *input
}

fn started(record: ExecutionRecord) -> StartExecutionResponse {
    StartExecutionResponse {
        execution_arn: record.execution_id,
        start_date: EpochSeconds(record.start_date),
    }
}
