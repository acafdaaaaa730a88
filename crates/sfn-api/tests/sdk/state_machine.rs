//! DescribeStateMachine: the served machine as deployed, its definition's text with the
//! substitutions applied, and its logging as it was served with.

use crate::support::*;
use aws_sdk_sfn::operation::describe_state_machine::{
    DescribeStateMachineError, DescribeStateMachineOutput,
};
use aws_sdk_sfn::types::{LogLevel, StateMachineStatus, StateMachineType};
use wisaw_sfn_api::{Logging, StepFunctionsApi};

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
    assert!(logging.destinations().is_empty());
    assert!(!described.tracing_configuration().unwrap().enabled());

    let other = describe(&served, OTHER_ARN).await.unwrap();
    assert_eq!(other.name(), "other");
}

#[tokio::test]
async fn a_machine_served_with_logging_reports_its_level_and_its_log_group() {
    let served = Served::start().await;
    let log_group =
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/wisaw-test-upload:*";
    let logging = Logging {
        level: wisaw_sfn_api::LogLevel::Error,
        include_execution_data: true,
        log_group_arn: Some(log_group.to_string()),
    };
    let api = StepFunctionsApi::new().serving_logged(served.upload.clone(), logging);
    let client = client(serve(api.router()).await);
    let described = client
        .describe_state_machine()
        .state_machine_arn(UPLOAD_ARN)
        .send()
        .await
        .unwrap();
    let logging = described.logging_configuration().unwrap();
    assert_eq!(logging.level(), Some(&LogLevel::Error));
    assert!(logging.include_execution_data());
    let groups: Vec<&str> = logging
        .destinations()
        .iter()
        .filter_map(|d| d.cloud_watch_logs_log_group()?.log_group_arn())
        .collect();
    assert_eq!(groups, [log_group]);
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
