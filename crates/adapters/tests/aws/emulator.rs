//! The emulator's address, dummy credentials, and unique resource names.

use aws_config::{Region, SdkConfig};
use aws_sdk_s3::config::Credentials;

pub const ENDPOINT_VAR: &str = "WISAW_TEST_AWS_ENDPOINT";
pub const REQUIRE_VAR: &str = "WISAW_REQUIRE_AWS_EMULATOR";
pub const REGION: &str = "us-east-1";

/// The configuration for the emulator, or `None` (after saying so) when there is none.
pub async fn emulator(test: &str) -> Option<SdkConfig> {
    let endpoint = std::env::var(ENDPOINT_VAR)
        .ok()
        .filter(|e| !e.trim().is_empty());
    let Some(endpoint) = endpoint else {
        assert!(
            std::env::var(REQUIRE_VAR).as_deref() != Ok("1"),
            "{REQUIRE_VAR}=1 but {ENDPOINT_VAR} is not set"
        );
        eprintln!("skipped {test}: {ENDPOINT_VAR} is not set");
        return None;
    };
    Some(
        wisaw_adapters::aws::config_loader()
            .region(Region::new(REGION))
            .endpoint_url(endpoint.trim())
            .credentials_provider(Credentials::new("test", "test", None, None, "emulator"))
            .load()
            .await,
    )
}

/// A name no other test (or earlier run) uses.
pub fn unique(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("wisaw-{prefix}-{}", &id[..12])
}

pub async fn create_bucket(config: &SdkConfig) -> (aws_sdk_s3::Client, String) {
    let bucket = unique("bucket");
    let client = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    );
    client.create_bucket().bucket(&bucket).send().await.unwrap();
    (client, bucket)
}

/// A queue with these attributes; returns its URL and ARN.
pub async fn create_queue(
    sqs: &aws_sdk_sqs::Client,
    prefix: &str,
    attributes: &[(aws_sdk_sqs::types::QueueAttributeName, String)],
) -> (String, String) {
    let mut request = sqs.create_queue().queue_name(unique(prefix));
    for (name, value) in attributes {
        request = request.attributes(name.clone(), value);
    }
    let url = request.send().await.unwrap().queue_url.unwrap();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()
        .remove(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .unwrap();
    (url, arn)
}
