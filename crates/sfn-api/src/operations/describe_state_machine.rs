//! `DescribeStateMachine`: the served machine, of its workflow type, with the logging it
//! was served with and without tracing, its definition's text with the substitutions
//! applied.

use crate::errors::ApiError;
use crate::machines::Machines;
use crate::shapes::{
    CloudWatchLogsLogGroup, DescribeStateMachineRequest, DescribeStateMachineResponse,
    EpochSeconds, LogDestination, LoggingConfiguration, TracingConfiguration,
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
        machine_type: definition.workflow_type().as_str(),
        creation_date: EpochSeconds(machine.created),
        logging_configuration: LoggingConfiguration {
            level: machine.logging.level.as_str(),
            include_execution_data: machine.logging.include_execution_data,
            destinations: machine
                .logging
                .log_group_arn
                .iter()
                .map(|arn| LogDestination {
                    cloud_watch_logs_log_group: CloudWatchLogsLogGroup {
                        log_group_arn: arn.clone(),
                    },
                })
                .collect(),
        },
        tracing_configuration: TracingConfiguration { enabled: false },
    })
}
