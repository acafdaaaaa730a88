//! `AWS::SQS::Queue`, created in the emulator's SQS with the template's attributes: the
//! redrive policy (which the emulator runs: a message received `maxReceiveCount` times
//! moves to the dead-letter queue), the visibility timeout and the retention.

use super::properties::Treatment;
use super::DeployError;
use crate::deployed::Identity;
use crate::template::{Resource, TemplateError};
use aws_sdk_sqs::types::QueueAttributeName;
use aws_sdk_sqs::Client;
use serde_json::Value;

pub const TREATMENT: Treatment = Treatment {
    kind: "AWS::SQS::Queue",
    run: &[
        "QueueName",
        "VisibilityTimeout",
        "MessageRetentionPeriod",
        "RedrivePolicy",
        "DelaySeconds",
        "ReceiveMessageWaitTimeSeconds",
        "MaximumMessageSize",
    ],
    // Encryption at rest changes nothing a function sees.
    not_stood_in: &["SqsManagedSseEnabled"],
};

pub async fn create(
    resource: &Resource,
    client: &Client,
    region: &str,
    account_id: &str,
) -> Result<Identity, DeployError> {
    TREATMENT.check(resource)?;
    let id = &resource.logical_id;
    let properties = &resource.properties;
    let name = properties["QueueName"].as_str().unwrap_or(id).to_string();
    let mut request = client.create_queue().queue_name(&name);
    for (property, attribute) in [
        ("VisibilityTimeout", QueueAttributeName::VisibilityTimeout),
        (
            "MessageRetentionPeriod",
            QueueAttributeName::MessageRetentionPeriod,
        ),
        ("DelaySeconds", QueueAttributeName::DelaySeconds),
        (
            "ReceiveMessageWaitTimeSeconds",
            QueueAttributeName::ReceiveMessageWaitTimeSeconds,
        ),
        ("MaximumMessageSize", QueueAttributeName::MaximumMessageSize),
    ] {
        match &properties[property] {
            Value::Null => {}
            value => {
                let number = crate::template::whole_number(value).ok_or_else(|| {
                    TemplateError::Malformed(format!("{id}'s {property} is {value}"))
                })?;
                request = request.attributes(attribute, number.to_string());
            }
        }
    }
    if let Some(redrive) = properties["RedrivePolicy"].as_object() {
        // SQS takes the policy as JSON text, its count as a number.
        let mut redrive = redrive.clone();
        if let Some(count) = redrive.get("maxReceiveCount") {
            let count = crate::template::whole_number(count).ok_or_else(|| {
                TemplateError::Malformed(format!("{id}'s maxReceiveCount is {count}"))
            })?;
            redrive.insert("maxReceiveCount".into(), count.into());
        }
        request = request.attributes(
            QueueAttributeName::RedrivePolicy,
            Value::Object(redrive).to_string(),
        );
    }
    let url = request
        .send()
        .await
        .map_err(|e| DeployError::service(id, e))?
        .queue_url
        .ok_or_else(|| DeployError::Service(format!("{id}: CreateQueue gave no URL")))?;
    let arn = format!("arn:aws:sqs:{region}:{account_id}:{name}");
    Ok(Identity::new(url.clone())
        .with("Arn", arn)
        .with("QueueName", name)
        .with("QueueUrl", url))
}
