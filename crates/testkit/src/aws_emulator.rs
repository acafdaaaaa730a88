//! An AWS emulator on this machine (moto) for the tests of the AWS adapters and of the
//! operator commands: its configuration, and resources under names no other test uses.
//!
//! Its URL is read from `WISAW_TEST_AWS_ENDPOINT` (e.g. `http://127.0.0.1:5055`, with
//! moto's state-machine interpreter on). Without it a test says it skipped, unless
//! `WISAW_REQUIRE_AWS_EMULATOR=1` (as in CI), in which case it fails.

mod execution_logs;
mod upload_machine;

pub use execution_logs::{
    create_express_machine, create_log_group, express_execution_arn, logged_history,
    put_log_events, LogGroup,
};
pub use upload_machine::{create_upload_machine, settled, upload_definition};

use aws_config::{Region, SdkConfig};
use aws_sdk_sqs::config::Credentials;
use aws_sdk_sqs::types::QueueAttributeName;

pub const ENDPOINT_VAR: &str = "WISAW_TEST_AWS_ENDPOINT";
pub const REQUIRE_VAR: &str = "WISAW_REQUIRE_AWS_EMULATOR";
pub const REGION: &str = "us-east-1";
/// The account the emulator gives every resource.
pub const ACCOUNT: &str = "123456789012";
/// The emulator takes any credentials; these are the ones the tests give it.
pub const ACCESS_KEY_ID: &str = "test";
pub const SECRET_ACCESS_KEY: &str = "test";

/// The emulator's URL, or `None` (after saying `test` skipped) when there is none.
pub fn endpoint(test: &str) -> Option<String> {
    let endpoint = std::env::var(ENDPOINT_VAR)
        .ok()
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty());
    if endpoint.is_none() {
        assert!(
            std::env::var(REQUIRE_VAR).as_deref() != Ok("1"),
            "{REQUIRE_VAR}=1 but {ENDPOINT_VAR} is not set"
        );
        eprintln!("skipped {test}: {ENDPOINT_VAR} is not set");
    }
    endpoint
}

/// The SDK's configuration for the emulator at `endpoint`.
pub async fn config(endpoint: &str) -> SdkConfig {
    wisaw_adapters::aws::config_loader()
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(
            ACCESS_KEY_ID,
            SECRET_ACCESS_KEY,
            None,
            None,
            "emulator",
        ))
        .load()
        .await
}

/// The configuration for the emulator, or `None` (after saying so) when there is none.
pub async fn emulator(test: &str) -> Option<SdkConfig> {
    Some(config(&endpoint(test)?).await)
}

/// A name no other test (or earlier run) uses.
pub fn unique(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("wisaw-{prefix}-{}", &id[..12])
}

/// An S3 client that addresses buckets by path (as the emulator wants).
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    )
}

/// A new bucket, and an S3 client for it.
pub async fn create_bucket(config: &SdkConfig) -> (aws_sdk_s3::Client, String) {
    let bucket = unique("bucket");
    let client = s3_client(config);
    client.create_bucket().bucket(&bucket).send().await.unwrap();
    (client, bucket)
}

/// A queue with these attributes; returns its URL and ARN.
pub async fn create_queue(
    sqs: &aws_sdk_sqs::Client,
    prefix: &str,
    attributes: &[(QueueAttributeName, String)],
) -> (String, String) {
    let mut request = sqs.create_queue().queue_name(unique(prefix));
    for (name, value) in attributes {
        request = request.attributes(name.clone(), value);
    }
    let url = request.send().await.unwrap().queue_url.unwrap();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()
        .remove(&QueueAttributeName::QueueArn)
        .unwrap();
    (url, arn)
}
