//! DescribeStateMachine: the served machine as deployed, its definition's text with the
//! substitutions applied.

use crate::support::*;
use aws_sdk_sfn::operation::describe_state_machine::{
    DescribeStateMachineError, DescribeStateMachineOutput,
};
use aws_sdk_sfn::types::{LogLevel, StateMachineStatus, StateMachineType};

/// `DescribeStateMachine` of `arn`: the machine, or the SDK's typed error.
async fn describe(
    served: &Served,
    arn: &str,
) -> Result<DescribeStateMachineOutput, DescribeStateMachineError> {
    let describe = served
        .client
        .describe_state_machine()
        .state_machine_arn(arn);
    describe
        .send()
        .await
        .map_err(|error| error.into_service_error())
}

#[tokio::test]
async fn a_state_machine_is_described_as_deployed() {
    let served = Served::start().await;
    let described = describe(&served, UPLOAD_ARN).await.unwrap();
    assert_eq!(described.state_machine_arn(), UPLOAD_ARN);
    assert_eq!(described.name(), "wisaw-test-upload");
    assert_eq!(described.status(), Some(&StateMachineStatus::Active));
    assert_eq!(*described.r#type(), StateMachineType::Standard);
    assert_eq!(
        described.definition(),
        DEFINITION.replace("${Alias}", "live"),
        "the text as written, substituted"
    );
    assert_eq!(
        described.role_arn(),
        "arn:aws:iam::123456789012:role/wisaw-local-runner",
        "the role in the machine's account"
    );
    assert!(millis(described.creation_date()) <= chrono::Utc::now().timestamp_millis());
    let logging = described.logging_configuration().unwrap();
    assert_eq!(logging.level(), Some(&LogLevel::Off));
    assert!(!logging.include_execution_data());
    assert!(!described.tracing_configuration().unwrap().enabled());

    let other = describe(&served, OTHER_ARN).await.unwrap();
    assert_eq!(other.name(), "other");
}

#[tokio::test]
async fn describing_a_machine_not_served_or_not_a_machine_is_refused() {
    let served = Served::start().await;
    let unknown = describe(
        &served,
        "arn:aws:states:us-east-1:123456789012:stateMachine:nope",
    )
    .await
    .unwrap_err();
    assert!(matches!(
        unknown,
        DescribeStateMachineError::StateMachineDoesNotExist(_)
    ));
    // A version of a served machine: the engine has no versions.
    let version = describe(&served, &format!("{UPLOAD_ARN}:1"))
        .await
        .unwrap_err();
    assert!(matches!(
        version,
        DescribeStateMachineError::StateMachineDoesNotExist(_)
    ));
    let execution = describe(&served, &upload_execution("x")).await.unwrap_err();
    assert!(
        matches!(execution, DescribeStateMachineError::InvalidArn(_)),
        "{execution:?}"
    );
}
