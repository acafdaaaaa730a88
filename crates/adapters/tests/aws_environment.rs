//! `AwsEnvironment::load` reads the process's own variables, as a Lambda function does:
//! the region, the credentials and `AWS_ENDPOINT_URL` through aws-config, and the
//! `WISAW_*` variables. The only test of this binary, since it sets variables of the
//! whole process. Runs against the emulator of `WISAW_TEST_AWS_ENDPOINT`.

use std::time::Duration;
use wisaw_adapters::aws::{AwsEnvironment, EnvironmentError};
use wisaw_testkit::aws_emulator::{self, ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY};
use wisaw_testkit::aws_environment::missing_variable;
use wisaw_testkit::queues::receive_one;

#[tokio::test]
async fn load_takes_the_endpoint_region_credentials_and_resources_from_the_process() {
    let test = "load_takes_the_endpoint_region_credentials_and_resources_from_the_process";
    let Some(endpoint) = aws_emulator::endpoint(test) else {
        return;
    };
    let queue_name = format!("wisaw-load-{}", uuid::Uuid::new_v4().simple());
    for (name, value) in [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_REGION", REGION),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
        ("WISAW_STAGE", "test"),
    ] {
        std::env::set_var(name, value);
    }
    for name in ["AWS_PROFILE", "AWS_SESSION_TOKEN", "WISAW_BUCKET"] {
        std::env::remove_var(name);
    }

    let probe = AwsEnvironment::load().await.unwrap();
    let url = aws_sdk_sqs::Client::new(probe.sdk_config())
        .create_queue()
        .queue_name(&queue_name)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    std::env::set_var("WISAW_INGEST_QUEUE_URL", &url);

    let env = AwsEnvironment::for_stage("test").await.unwrap();
    assert_eq!(env.stage(), Some("test"));
    let ingest = env.ingest_queue().unwrap();
    assert_eq!(ingest.name(), queue_name);
    ingest.send("loaded").await.unwrap();
    let received = receive_one(ingest.as_ref(), Duration::from_secs(30)).await;
    assert_eq!(received.body, "loaded");
    assert_eq!(missing_variable(env.blobs()), "WISAW_BUCKET");
    assert!(matches!(
        AwsEnvironment::for_stage("prod").await,
        Err(EnvironmentError::WrongStage { .. })
    ));

    // The state machine's type as the deploy says it: STANDARD unless told.
    use wisaw_domain::ports::WorkflowType;
    std::env::remove_var("WISAW_WORKFLOW_TYPE");
    let env = AwsEnvironment::load().await.unwrap();
    assert_eq!(env.workflow_type().unwrap(), WorkflowType::Standard);
    std::env::set_var("WISAW_WORKFLOW_TYPE", "EXPRESS");
    let env = AwsEnvironment::load().await.unwrap();
    assert_eq!(env.workflow_type().unwrap(), WorkflowType::Express);
    std::env::set_var("WISAW_WORKFLOW_TYPE", "SOMETIMES");
    let env = AwsEnvironment::load().await.unwrap();
    assert!(matches!(
        env.workflow_type(),
        Err(EnvironmentError::Invalid {
            variable: "WISAW_WORKFLOW_TYPE",
            ..
        })
    ));
    std::env::remove_var("WISAW_WORKFLOW_TYPE");

    // How long a request waits for a database connection: 5 s unless told.
    std::env::remove_var("WISAW_DATABASE_SECRET_ARN");
    std::env::set_var(
        "WISAW_DATABASE_URL",
        "postgres://wisaw@127.0.0.1:5432/wisaw",
    );
    let env = AwsEnvironment::load().await.unwrap();
    let settings = env.postgres_settings().await.unwrap();
    assert_eq!(settings.acquire_timeout(), Duration::from_secs(5));
    std::env::set_var("WISAW_DATABASE_WAIT_SECONDS", "20");
    let env = AwsEnvironment::load().await.unwrap();
    let settings = env.postgres_settings().await.unwrap();
    assert_eq!(settings.acquire_timeout(), Duration::from_secs(20));
    std::env::set_var("WISAW_DATABASE_WAIT_SECONDS", "soon");
    let env = AwsEnvironment::load().await.unwrap();
    assert!(matches!(
        env.postgres_settings().await,
        Err(EnvironmentError::Invalid {
            variable: "WISAW_DATABASE_WAIT_SECONDS",
            ..
        })
    ));
    std::env::remove_var("WISAW_DATABASE_WAIT_SECONDS");
    std::env::remove_var("WISAW_DATABASE_URL");
}
