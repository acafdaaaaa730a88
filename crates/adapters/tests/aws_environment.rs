//! `AwsEnvironment::load` reads the process's own variables, as a Lambda function does:
//! the region, the credentials and `AWS_ENDPOINT_URL` through aws-config, and the
//! `WISAW_*` variables. The only test of this binary, since it sets variables of the
//! whole process. Runs against the emulator of `WISAW_TEST_AWS_ENDPOINT`.

use std::time::Duration;
use wisaw_adapters::aws::{AwsEnvironment, EnvironmentError};

#[tokio::test]
async fn load_takes_the_endpoint_region_credentials_and_resources_from_the_process() {
    let endpoint = std::env::var("WISAW_TEST_AWS_ENDPOINT")
        .ok()
        .filter(|e| !e.trim().is_empty());
    let Some(endpoint) = endpoint else {
        assert!(
            std::env::var("WISAW_REQUIRE_AWS_EMULATOR").as_deref() != Ok("1"),
            "WISAW_REQUIRE_AWS_EMULATOR=1 but WISAW_TEST_AWS_ENDPOINT is not set"
        );
        eprintln!("skipped: WISAW_TEST_AWS_ENDPOINT is not set");
        return;
    };
    let queue_name = format!("wisaw-load-{}", uuid::Uuid::new_v4().simple());
    for (name, value) in [
        ("AWS_ENDPOINT_URL", endpoint.trim()),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
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
    let received = ingest
        .receive(1, Duration::from_secs(30), Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(received[0].body, "loaded");
    assert!(matches!(
        env.blobs(),
        Err(EnvironmentError::Missing {
            variable: "WISAW_BUCKET",
            ..
        })
    ));
    assert!(matches!(
        AwsEnvironment::for_stage("prod").await,
        Err(EnvironmentError::WrongStage { .. })
    ));
}
