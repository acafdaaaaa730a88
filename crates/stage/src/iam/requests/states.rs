//! Step Functions (`X-Amz-Target: AWSStepFunctions.StartExecution`): the IAM action is
//! the operation's, on the state machine, the execution or the resource it names.

use super::{json_operation, text_field, Ask, Incoming, NotClassified, Operation};

/// Each operation, and the field of its body that names its resource (`None`: `*`).
const OPERATIONS: [(&str, Option<&str>); 18] = [
    ("StartExecution", Some("stateMachineArn")),
    ("StartSyncExecution", Some("stateMachineArn")),
    ("DescribeStateMachine", Some("stateMachineArn")),
    ("ListExecutions", Some("stateMachineArn")),
    ("UpdateStateMachine", Some("stateMachineArn")),
    ("DeleteStateMachine", Some("stateMachineArn")),
    ("DescribeExecution", Some("executionArn")),
    ("StopExecution", Some("executionArn")),
    ("GetExecutionHistory", Some("executionArn")),
    ("DescribeStateMachineForExecution", Some("executionArn")),
    ("RedriveExecution", Some("executionArn")),
    ("DescribeMapRun", Some("mapRunArn")),
    ("ListMapRuns", Some("executionArn")),
    ("TagResource", Some("resourceArn")),
    ("UntagResource", Some("resourceArn")),
    ("ListTagsForResource", Some("resourceArn")),
    ("ListStateMachines", None),
    ("ListActivities", None),
];

pub(super) fn classify(request: &Incoming<'_>) -> Result<Operation, NotClassified> {
    let (operation, body) = json_operation(request, "AWSStepFunctions")?;
    let (_, field) = OPERATIONS
        .iter()
        .find(|(name, _)| *name == operation)
        .ok_or_else(|| {
            NotClassified::Unknown(format!("the Step Functions operation {operation}"))
        })?;
    let resource = match field {
        Some(field) => text_field(&body, operation, field)?.to_string(),
        None => "*".to_string(),
    };
    Ok(Operation {
        name: operation.to_string(),
        asks: vec![Ask::new(format!("states:{operation}"), resource)],
    })
}
