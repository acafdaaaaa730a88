//! `DescribeExecution`: an execution as stored, in AWS's members (an output only once
//! it succeeded, an error and a cause only when it has them).

use crate::errors::ApiError;
use crate::machines::Machines;
use crate::shapes::{
    required, DescribeExecutionRequest, DescribeExecutionResponse, EpochSeconds, Included,
};

pub async fn describe_execution(
    machines: &Machines,
    request: DescribeExecutionRequest,
) -> Result<DescribeExecutionResponse, ApiError> {
    let arn = required(&request.execution_arn, "executionArn")?;
    let (machine, name) = machines.execution(arn)?;
    let record = machine
        .runner
        .describe(name)
        .await
        .map_err(ApiError::runner)?
        .ok_or_else(|| ApiError::execution_does_not_exist(arn))?;
    let output = record.output.as_ref().map(|output| output.to_string());
    Ok(DescribeExecutionResponse {
        state_machine_arn: machine.runner.state_machine().arn(),
        name: record.name,
        status: record.status,
        start_date: EpochSeconds(record.start_date),
        stop_date: record.stop_date.map(EpochSeconds),
        input: record.input.to_string(),
        input_details: Included::FULL,
        output_details: output.as_ref().map(|_| Included::FULL),
        output,
        error: record.error,
        cause: record.cause,
        redrive_count: 0,
        execution_arn: record.execution_id,
    })
}
