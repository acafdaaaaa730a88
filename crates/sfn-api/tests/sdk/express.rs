//! An Express machine as Step Functions serves one: described as EXPRESS; a start under a
//! name already used starts another execution, under an ARN of its own; its executions
//! are neither listed nor described (on AWS they are in the machine's logs).

use crate::support::*;
use async_trait::async_trait;
use aws_sdk_sfn::error::ProvideErrorMetadata;
use aws_sdk_sfn::operation::describe_execution::DescribeExecutionError;
use aws_sdk_sfn::operation::list_executions::ListExecutionsError;
use aws_sdk_sfn::types::StateMachineType;
use serde_json::{json, Value};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use wisaw_asl::{LocalRunner, StateMachine, TaskFailure, TaskInvoker, WorkflowType};
use wisaw_sfn_api::StepFunctionsApi;

const EXPRESS_ARN: &str = "arn:aws:states:local:000000000000:stateMachine:quick";
const WAIT: Duration = Duration::from_secs(20);

/// The machine calls no function.
struct NoFunctions;

#[async_trait]
impl TaskInvoker for NoFunctions {
    async fn invoke(&self, _resource: &str, _parameters: Value) -> Result<Value, TaskFailure> {
        Err(TaskFailure::new("Test.Failure", "no functions here"))
    }
}

/// A one-Pass machine served as an Express workflow; the SDK's client, its runner and
/// the folder of its file.
async fn served_express() -> (aws_sdk_sfn::Client, LocalRunner, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let options = SqliteConnectOptions::new()
        .filename(dir.path().join("executions.db"))
        .create_if_missing(true);
    let pool = SqlitePoolOptions::new()
        .connect_with(options)
        .await
        .unwrap();
    let machine = StateMachine::from_value(
        "quick",
        json!({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": true}}}),
        &HashMap::new(),
    )
    .unwrap()
    .with_workflow_type(WorkflowType::Express);
    let runner = LocalRunner::with_pool(pool, machine, Arc::new(NoFunctions))
        .await
        .unwrap();
    let api = StepFunctionsApi::new().serving(runner.clone());
    let addr = serve(api.router()).await;
    (client(addr), runner, dir)
}

#[tokio::test]
async fn an_express_machine_starts_every_start_and_lists_none() {
    let (client, runner, _dir) = served_express().await;
    let described = client
        .describe_state_machine()
        .state_machine_arn(EXPRESS_ARN)
        .send()
        .await
        .unwrap();
    assert_eq!(*described.r#type(), StateMachineType::Express);

    let start = || {
        client
            .start_execution()
            .state_machine_arn(EXPRESS_ARN)
            .name("again")
            .input("{}")
            .send()
    };
    let first = start().await.unwrap();
    let second = start().await.unwrap();
    let prefix = "arn:aws:states:local:000000000000:express:quick:again:";
    for started in [&first, &second] {
        assert!(
            started.execution_arn().starts_with(prefix),
            "{}",
            started.execution_arn()
        );
        let done = runner
            .wait_for_id(started.execution_arn(), WAIT)
            .await
            .unwrap();
        assert_eq!(done.status, wisaw_asl::ExecutionStatus::Succeeded);
    }
    assert_ne!(first.execution_arn(), second.execution_arn());

    let listing = client
        .list_executions()
        .state_machine_arn(EXPRESS_ARN)
        .send();
    let error = refused(listing).await;
    assert!(
        matches!(error, ListExecutionsError::StateMachineTypeNotSupported(_)),
        "{error:?}"
    );
    let describe = client
        .describe_execution()
        .execution_arn(first.execution_arn())
        .send();
    let error = refused(describe).await;
    assert!(
        matches!(error, DescribeExecutionError::InvalidArn(_)),
        "{error:?}"
    );
    assert!(
        error.message().unwrap_or_default().contains("express"),
        "{error:?}"
    );
}
