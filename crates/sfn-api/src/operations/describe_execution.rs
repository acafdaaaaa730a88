//! `DescribeExecution`: an execution as stored, in AWS's members (an output only once
//! it succeeded, an error and a cause only when it has them).

use crate::errors::ApiError;
use crate::machines::Machines;
use crate::shapes::{DescribeExecutionRequest, DescribeExecutionResponse};

pub async fn describe_execution(
    machines: &Machines,
    request: DescribeExecutionRequest,
) -> Result<DescribeExecutionResponse, ApiError> {
    let (arn, machine, name) = machines.execution_of(&request.execution_arn)?;
    let record = machine
        .runner
        .describe(name)
        .await
        .map_err(ApiError::runner)?
        .ok_or_else(|| ApiError::execution_does_not_exist(arn))?;
    let state_machine_arn = machine.runner.state_machine().arn();
    Ok(DescribeExecutionResponse::of(&state_machine_arn, record))
}
