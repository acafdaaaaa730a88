//! `AWS::Logs::LogGroup`, created in the emulator's CloudWatch Logs with its retention:
//! the state machine's executions are logged there, and read from there by the operator.
//! A group that already exists is kept, as a stack update keeps it.

use super::properties::Treatment;
use super::{DeployError, Where};
use crate::deployed::Identity;
use crate::template::{whole_number, Resource, TemplateError};
use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;

pub const TREATMENT: Treatment = Treatment {
    kind: "AWS::Logs::LogGroup",
    run: &["LogGroupName", "RetentionInDays"],
    not_stood_in: &[],
};

pub async fn create(resource: &Resource, at: &Where) -> Result<Identity, DeployError> {
    TREATMENT.check(resource)?;
    let id = &resource.logical_id;
    let properties = &resource.properties;
    // Without a name, CloudFormation makes one of the stack's, the resource's and an id.
    let name = match properties["LogGroupName"].as_str() {
        Some(name) => name.to_string(),
        None => format!("{}-{id}-{}", at.seed, at.short_id(id).to_uppercase()),
    };
    let created = at
        .logs
        .create_log_group()
        .log_group_name(&name)
        .send()
        .await;
    if let Err(error) = created {
        if error.code() != Some("ResourceAlreadyExistsException") {
            return Err(DeployError::service(id, error));
        }
    }
    if let Some(days) = properties.get("RetentionInDays").filter(|d| !d.is_null()) {
        let days = whole_number(days)
            .and_then(|days| i32::try_from(days).ok())
            .ok_or_else(|| TemplateError::Malformed(format!("{id}'s RetentionInDays is {days}")))?;
        at.logs
            .put_retention_policy()
            .log_group_name(&name)
            .retention_in_days(days)
            .send()
            .await
            .map_err(|e| DeployError::service(id, e))?;
    }
    let arn = format!(
        "arn:aws:logs:{}:{}:log-group:{name}:*",
        at.region, at.account_id
    );
    Ok(Identity::new(name).with("Arn", arn))
}
