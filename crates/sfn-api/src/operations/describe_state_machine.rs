//! `DescribeStateMachine`: the served machine as a Standard machine created without
//! logging or tracing, its definition's text with the substitutions applied.

use crate::errors::ApiError;
use crate::machines::Machines;
use crate::shapes::{
    DescribeStateMachineRequest, DescribeStateMachineResponse, EpochSeconds, LoggingConfiguration,
    TracingConfiguration,
};

pub async fn describe_state_machine(
    machines: &Machines,
    request: DescribeStateMachineRequest,
) -> Result<DescribeStateMachineResponse, ApiError> {
    let (_, machine) = machines.machine_of(&request.state_machine_arn)?;
    let definition = machine.runner.state_machine();
    Ok(DescribeStateMachineResponse {
        state_machine_arn: definition.arn(),
        name: definition.name().to_string(),
        status: "ACTIVE",
        definition: definition.definition().to_string(),
        role_arn: definition.role_arn(),
        machine_type: "STANDARD",
        creation_date: EpochSeconds(machine.created),
        logging_configuration: LoggingConfiguration {
            level: "OFF",
            include_execution_data: false,
        },
        tracing_configuration: TracingConfiguration { enabled: false },
    })
}
