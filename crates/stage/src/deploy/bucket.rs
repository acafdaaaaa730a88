//! `AWS::S3::Bucket`, created in the emulator's S3 with its notification configuration,
//! which the emulator runs: an object created under `uploads/` becomes a message on the
//! ingest queue, as S3 sends it.

use super::properties::Treatment;
use super::DeployError;
use crate::deployed::Identity;
use crate::template::{Resource, TemplateError};
use aws_sdk_s3::types::{
    Event, FilterRule, FilterRuleName, NotificationConfiguration, NotificationConfigurationFilter,
    QueueConfiguration, S3KeyFilter,
};
use aws_sdk_s3::Client;
use serde_json::Value;

pub const TREATMENT: Treatment = Treatment {
    kind: "AWS::S3::Bucket",
    run: &["BucketName", "NotificationConfiguration"],
    not_stood_in: &[
        // Nothing public is served: the stage's S3 answers only signed requests.
        "PublicAccessBlockConfiguration",
        "OwnershipControls",
        "BucketEncryption",
        // Days pass too slowly to run: an expiry is not stood in.
        "LifecycleConfiguration",
    ],
};

pub async fn create(resource: &Resource, client: &Client) -> Result<Identity, DeployError> {
    TREATMENT.check(resource)?;
    let id = &resource.logical_id;
    let properties = &resource.properties;
    let name = properties["BucketName"].as_str().unwrap_or(id).to_string();
    let exists = client.head_bucket().bucket(&name).send().await.is_ok();
    if !exists {
        client
            .create_bucket()
            .bucket(&name)
            .send()
            .await
            .map_err(|e| DeployError::service(id, e))?;
    }
    if let Some(notifications) = properties["NotificationConfiguration"].as_object() {
        let configuration = notification_configuration(id, notifications)?;
        client
            .put_bucket_notification_configuration()
            .bucket(&name)
            .notification_configuration(configuration)
            .send()
            .await
            .map_err(|e| DeployError::service(id, e))?;
    }
    Ok(Identity::new(name.clone())
        .with("Arn", format!("arn:aws:s3:::{name}"))
        .with("DomainName", format!("{name}.s3.amazonaws.com")))
}

fn notification_configuration(
    id: &str,
    notifications: &serde_json::Map<String, Value>,
) -> Result<NotificationConfiguration, TemplateError> {
    let mut configuration = NotificationConfiguration::builder();
    for (kind, entries) in notifications {
        if kind != "QueueConfigurations" {
            return Err(TemplateError::Unsupported(format!(
                "{id}'s NotificationConfiguration.{kind}"
            )));
        }
        for entry in entries.as_array().into_iter().flatten() {
            let queue = entry["Queue"].as_str().ok_or_else(|| {
                TemplateError::Malformed(format!("{id}: a queue notification needs Queue"))
            })?;
            let event = entry["Event"].as_str().ok_or_else(|| {
                TemplateError::Malformed(format!("{id}: a queue notification needs Event"))
            })?;
            let mut queue_configuration = QueueConfiguration::builder()
                .queue_arn(queue)
                .events(Event::from(event));
            let rules = entry["Filter"]["S3Key"]["Rules"].as_array();
            if let Some(rules) = rules {
                let mut key_filter = S3KeyFilter::builder();
                for rule in rules {
                    key_filter = key_filter.filter_rules(
                        FilterRule::builder()
                            .name(FilterRuleName::from(
                                rule["Name"].as_str().unwrap_or_default(),
                            ))
                            .value(rule["Value"].as_str().unwrap_or_default())
                            .build(),
                    );
                }
                queue_configuration = queue_configuration.filter(
                    NotificationConfigurationFilter::builder()
                        .key(key_filter.build())
                        .build(),
                );
            }
            configuration = configuration.queue_configurations(
                queue_configuration
                    .build()
                    .map_err(|e| TemplateError::Malformed(format!("{id}: {e}")))?,
            );
        }
    }
    Ok(configuration.build())
}
