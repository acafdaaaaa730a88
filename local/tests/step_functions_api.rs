//! `wisaw serve` answers Step Functions' API beside its own routes: a Step Functions
//! client pointed at the stack reaches the stack's engine, and every other request
//! reaches the app as before.

use aws_sdk_sfn::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_sfn::operation::describe_execution::DescribeExecutionError;
use tokio::net::TcpListener;
use wisaw_asl::StateMachine;
use wisaw_local::{definition_substitutions, LocalStack, StackOptions, UPLOAD_STATE_MACHINE};

fn client(url: &str) -> aws_sdk_sfn::Client {
    let config = aws_sdk_sfn::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDLOCAL", "local", None, None, "tests"))
        .endpoint_url(url)
        .http_client(wisaw_adapters::aws::https_client())
        .build();
    aws_sdk_sfn::Client::from_conf(config)
}

#[tokio::test]
async fn a_step_functions_client_reaches_the_stacks_engine() {
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let stack = LocalStack::open(dir.path(), StackOptions::new(&url))
        .await
        .unwrap();
    let running = stack.start(listener).await.unwrap();
    let runner = running.stack.runner.clone();
    let sfn = client(&url);

    // The machine under the ARN the stack has always given it, its definition as loaded.
    let arn = "arn:aws:states:local:000000000000:stateMachine:upload";
    let described = sfn
        .describe_state_machine()
        .state_machine_arn(arn)
        .send()
        .await
        .unwrap();
    let loaded =
        StateMachine::load("upload", UPLOAD_STATE_MACHINE, &definition_substitutions()).unwrap();
    assert_eq!(described.definition(), loaded.definition());
    assert!(!described.definition().contains("${"));

    // An execution started by the SDK is the stack runner's.
    let started = sfn
        .start_execution()
        .state_machine_arn(arn)
        .name("from-the-sdk")
        .input("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(started.execution_arn(), runner.execution_id("from-the-sdk"));
    assert!(runner.describe("from-the-sdk").await.unwrap().is_some());
    let listed = sfn
        .list_executions()
        .state_machine_arn(arn)
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = listed.executions().iter().map(|e| e.name()).collect();
    assert_eq!(names, ["from-the-sdk"]);
    let unknown = sfn
        .describe_execution()
        .execution_arn(runner.execution_id("never-started"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(matches!(
        unknown,
        DescribeExecutionError::ExecutionDoesNotExist(_)
    ));

    // Without Step Functions' target, `POST /` is the app's, as before: its 404 problem.
    let http = reqwest::Client::new();
    let plain = http
        .post(format!("{url}/"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 404);
    assert_eq!(plain.headers()["content-type"], "application/problem+json");
    let api = http
        .get(format!("{url}/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 200);

    running.shutdown().await.unwrap();
}
