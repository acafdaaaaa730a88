//! StartExecution and DescribeExecution: executions as AWS describes them, a repeated
//! start as a Standard machine answers it, and each refusal as the SDK's typed error.

use crate::support::*;
use aws_sdk_sfn::operation::describe_execution::DescribeExecutionError;
use aws_sdk_sfn::operation::start_execution::StartExecutionError;
use aws_sdk_sfn::types::ExecutionStatus;
use serde_json::json;

#[tokio::test]
async fn a_started_execution_is_described_as_aws_describes_it() {
    let served = Served::start().await;
    let before = chrono::Utc::now().timestamp_millis();
    let started = served
        .client
        .start_execution()
        .state_machine_arn(UPLOAD_ARN)
        .name("photo-1")
        .input(quick("ana").to_string())
        .send()
        .await
        .unwrap();
    let arn = upload_execution("photo-1");
    assert_eq!(started.execution_arn(), arn);
    let start = millis(started.start_date());
    assert!(start >= before - 1 && start <= chrono::Utc::now().timestamp_millis());

    assert_eq!(served.settled(&arn).await, ExecutionStatus::Succeeded);
    let described = served.describe(&arn).await;
    assert_eq!(described.execution_arn(), arn);
    assert_eq!(described.state_machine_arn(), UPLOAD_ARN);
    assert_eq!(described.name(), Some("photo-1"));
    assert_eq!(millis(described.start_date()), start);
    assert!(millis(described.stop_date().unwrap()) >= start);
    assert_eq!(json_of(described.input()), quick("ana"));
    assert_eq!(
        json_of(described.output()),
        json!({"who": "ana", "wait": 0, "function": "echo",
               "pass": {"greeting": "hello ana"}, "task": {"echoed": "ana"}})
    );
    assert!(described.input_details().unwrap().included());
    assert!(described.output_details().unwrap().included());
    assert_eq!((described.error(), described.cause()), (None, None));
    // The engine's own record agrees: the API serves the runner, not a copy.
    let record = served.upload.describe("photo-1").await.unwrap().unwrap();
    assert_eq!(record.execution_id, arn);
}

#[tokio::test]
async fn a_failed_execution_is_described_with_its_error_and_cause_and_no_output() {
    let served = Served::start().await;
    let input = json!({"who": "bo", "wait": 0, "function": "missing"});
    let (arn, status) = served.run_upload("photo-2", &input).await;
    assert_eq!(status, ExecutionStatus::Failed);
    let described = served.describe(&arn).await;
    assert_eq!(described.error(), Some("Test.Failure"));
    assert_eq!(described.cause(), Some("it always fails"));
    assert_eq!(described.output(), None);
    assert!(described.output_details().is_none());
}

#[tokio::test]
async fn an_execution_started_without_a_name_or_input_gets_a_fresh_name_and_an_empty_object() {
    let served = Served::start().await;
    let started = served
        .client
        .start_execution()
        .state_machine_arn(OTHER_ARN)
        .send()
        .await
        .unwrap();
    let name = started.execution_arn().rsplit(':').next().unwrap();
    assert!(uuid::Uuid::parse_str(name).is_ok(), "{name}");
    assert_eq!(
        started.execution_arn(),
        format!("arn:aws:states:local:000000000000:execution:other:{name}")
    );
    served.settled(started.execution_arn()).await;
    let described = served.describe(started.execution_arn()).await;
    assert_eq!(json_of(described.input()), json!({}));
}

#[tokio::test]
async fn a_repeated_start_answers_the_running_execution_and_anything_else_already_exists() {
    let served = Served::start().await;
    let start = |input: serde_json::Value| {
        served
            .client
            .start_execution()
            .state_machine_arn(UPLOAD_ARN)
            .name("photo-3")
            .input(input.to_string())
            .send()
    };
    let first = start(waiting("cy")).await.unwrap();
    let again = start(waiting("cy")).await.unwrap();
    assert_eq!(again.execution_arn(), first.execution_arn());
    assert_eq!(millis(again.start_date()), millis(first.start_date()));

    let other_input = refused(start(waiting("di"))).await;
    assert!(other_input.is_execution_already_exists(), "{other_input:?}");
    assert!(other_input
        .to_string()
        .contains(&upload_execution("photo-3")));

    // Once it has ended, even the same input is refused.
    served.stop(first.execution_arn()).send().await.unwrap();
    let after_end = refused(start(waiting("cy"))).await;
    assert!(after_end.is_execution_already_exists(), "{after_end:?}");
}

#[tokio::test]
async fn refused_starts_are_the_sdks_typed_errors() {
    let served = Served::start().await;
    let refused_start = |arn: &str, name: &str, input: &str| {
        let start = served.client.start_execution().state_machine_arn(arn);
        refused(start.name(name).input(input).send())
    };
    let bad_name = refused_start(UPLOAD_ARN, "has space", "{}").await;
    assert!(
        matches!(bad_name, StartExecutionError::InvalidName(_)),
        "whitespace is not allowed in a name"
    );
    let bad_input = refused_start(UPLOAD_ARN, "x", "{not json").await;
    assert!(matches!(
        bad_input,
        StartExecutionError::InvalidExecutionInput(_)
    ));
    let unknown = "arn:aws:states:us-east-1:123456789012:stateMachine:nope";
    let missing = refused_start(unknown, "x", "{}").await;
    assert!(
        matches!(missing, StartExecutionError::StateMachineDoesNotExist(_)),
        "{missing:?}"
    );
    assert!(missing.to_string().contains(unknown), "{missing}");
    let not_an_arn = refused_start("wisaw-test-upload", "x", "{}").await;
    assert!(matches!(not_an_arn, StartExecutionError::InvalidArn(_)));
    let execution_arn = refused_start(&upload_execution("x"), "x", "{}").await;
    assert!(matches!(execution_arn, StartExecutionError::InvalidArn(_)));
    let large = json!({"blob": "x".repeat(262_144)}).to_string();
    let too_large = refused_start(UPLOAD_ARN, "x", &large).await;
    assert!(matches!(
        too_large,
        StartExecutionError::ValidationException(_)
    ));
    assert!(
        served.upload.describe("x").await.unwrap().is_none(),
        "no refused start ran"
    );
}

#[tokio::test]
async fn describing_what_does_not_exist_is_execution_does_not_exist() {
    let served = Served::start().await;
    let describe = |arn: String| served.client.describe_execution().execution_arn(arn).send();
    for arn in [
        upload_execution("never-started"),
        // A machine that is not served.
        "arn:aws:states:us-east-1:123456789012:execution:nope:x".to_string(),
        // The right name in another account.
        "arn:aws:states:us-east-1:999999999999:execution:wisaw-test-upload:x".to_string(),
    ] {
        let error = refused(describe(arn.clone())).await;
        assert!(
            matches!(error, DescribeExecutionError::ExecutionDoesNotExist(_)),
            "{arn}: {error:?}"
        );
        assert_eq!(error.meta().code(), Some("ExecutionDoesNotExist"));
        assert!(error.to_string().contains(&arn), "{error}");
    }
    for arn in ["not-an-arn", UPLOAD_ARN] {
        let error = refused(describe(arn.to_string())).await;
        assert!(
            matches!(error, DescribeExecutionError::InvalidArn(_)),
            "{arn}: {error:?}"
        );
    }
}
