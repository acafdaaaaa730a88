//! Secrets Manager (`X-Amz-Target: secretsmanager.GetSecretValue`): the secret of
//! `SecretId`, an ARN or a name, authorized on its full ARN (the one with the random
//! suffix Secrets Manager gives it), which the stage's [`SecretArns`] knows.

use super::{json_operation, text_field, Ask, Incoming, NotClassified, Operation, SecretArns};
use crate::iam::Settings;

/// The operations on one secret, named by `SecretId`: the IAM action is the operation's.
const ON_A_SECRET: [&str; 18] = [
    "GetSecretValue",
    "DescribeSecret",
    "PutSecretValue",
    "UpdateSecret",
    "DeleteSecret",
    "RestoreSecret",
    "RotateSecret",
    "CancelRotateSecret",
    "ListSecretVersionIds",
    "UpdateSecretVersionStage",
    "GetResourcePolicy",
    "PutResourcePolicy",
    "DeleteResourcePolicy",
    "ValidateResourcePolicy",
    "TagResource",
    "UntagResource",
    "ReplicateSecretToRegions",
    "RemoveRegionsFromReplication",
];

pub(super) fn classify(
    request: &Incoming<'_>,
    settings: &Settings,
    secrets: &dyn SecretArns,
) -> Result<Operation, NotClassified> {
    let (operation, body) = json_operation(request, "secretsmanager")?;
    let action = format!("secretsmanager:{operation}");
    let one = |resource: String| Operation {
        name: operation.to_string(),
        asks: vec![Ask::new(action.clone(), resource)],
    };
    if ON_A_SECRET.contains(&operation) {
        let id = text_field(&body, operation, "SecretId")?;
        return Ok(one(secret_arn(id, settings, secrets)));
    }
    match operation {
        "ListSecrets" | "GetRandomPassword" => Ok(one("*".into())),
        other => Err(NotClassified::Unknown(format!(
            "the Secrets Manager operation {other}"
        ))),
    }
}

/// A secret's full ARN: the stage's for a name (or a partial ARN) it knows, else the ARN
/// given, else the ARN a name would have without its suffix (which no grant of a real
/// secret's ARN matches).
fn secret_arn(id: &str, settings: &Settings, secrets: &dyn SecretArns) -> String {
    if let Some(arn) = secrets.arn_of(id) {
        return arn;
    }
    if id.starts_with("arn:") {
        return id.to_string();
    }
    format!(
        "arn:{}:secretsmanager:{}:{}:secret:{id}",
        settings.partition, settings.region, settings.account_id
    )
}
