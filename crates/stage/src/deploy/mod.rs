//! The template's resources created as CloudFormation creates them: in an order where
//! each one's references are already there, each by its type. The services the emulator
//! plays (S3, SQS, Secrets Manager, CloudWatch Logs) get real resources there; the ones the stage runs
//! itself get their identities here and run once the stage starts. A resource type, or
//! a property, the stage does not know is refused by name.

mod bucket;
pub mod identities;
mod log_groups;
pub mod properties;
mod queues;
pub mod secrets;

use crate::deployed::Deployed;
use crate::template::{Inputs, Resource, Template, TemplateError};

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("the AWS emulator: {0}")]
    Service(String),
}

impl DeployError {
    pub fn service(what: &str, error: impl std::error::Error + 'static) -> Self {
        // The SDK's Display says only "service error"; its causes name the code.
        Self::Service(format!(
            "{what}: {}",
            wisaw_domain::error::with_causes(&error)
        ))
    }
}

/// Where the stage stands: its region and account, and the services it reaches.
pub struct Where {
    pub region: String,
    pub account_id: String,
    /// `host:port` of the stage's Events API.
    pub events_host: String,
    /// The app's key for the Events API.
    pub events_api_key: String,
    /// A word the short ids of this stage are made from, so a restart keeps them.
    pub seed: String,
    pub s3: aws_sdk_s3::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
}

impl Where {
    /// An id like API Gateway's and AppSync's (lower-case letters and digits), the same
    /// for the same resource of the same stage.
    pub fn short_id(&self, logical_id: &str) -> String {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (&self.seed, logical_id).hash(&mut hasher);
        let mut n = hasher.finish();
        let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789";
        (0..10)
            .map(|_| {
                let c = alphabet[(n % 36) as usize] as char;
                n /= 36;
                c
            })
            .collect()
    }
}

/// Creates every resource of the template, recording each in `deployed`; returns them
/// resolved, in the order they were created.
pub async fn deploy(
    template: &Template,
    inputs: &Inputs,
    at: &Where,
    deployed: &mut Deployed,
) -> Result<Vec<Resource>, DeployError> {
    let mut pending: Vec<(String, String)> = template
        .declared()
        .map(|(id, kind)| (id.to_string(), kind.to_string()))
        .collect();
    // Refused before anything is created.
    if let Some((id, kind)) = pending.iter().find(|(_, kind)| !known(kind)) {
        return Err(TemplateError::Unsupported(format!("{id}'s type {kind}")).into());
    }
    let mut created = Vec::new();
    while !pending.is_empty() {
        let before = pending.len();
        let mut waiting = Vec::new();
        let mut unresolved = None;
        for (id, kind) in std::mem::take(&mut pending) {
            match template.resource(&id, inputs, deployed) {
                Ok(None) => {}
                Ok(Some(resource)) => {
                    let identity = create(&resource, at).await?;
                    deployed.record(&id, identity);
                    created.push(resource);
                }
                Err(TemplateError::Unresolved(what)) => {
                    unresolved = Some(TemplateError::Unresolved(format!("{what} (in {id})")));
                    waiting.push((id, kind));
                }
                Err(other) => return Err(other.into()),
            }
        }
        // A pass that created nothing: what is left refers to what never will be.
        if waiting.len() == before {
            return Err(unresolved
                .expect("a resource waits only on an unresolved name")
                .into());
        }
        pending = waiting;
    }
    Ok(created)
}

fn known(kind: &str) -> bool {
    identities::NOT_STOOD_IN.contains(&kind)
        || [
            secrets::TREATMENT.kind,
            queues::TREATMENT.kind,
            bucket::TREATMENT.kind,
            log_groups::TREATMENT.kind,
            identities::FUNCTION.kind,
            identities::STATE_MACHINE.kind,
            identities::HTTP_API.kind,
            identities::EVENTS_API.kind,
            identities::CHANNEL_NAMESPACE.kind,
            identities::API_KEY.kind,
            identities::EVENT_SOURCE_MAPPING.kind,
        ]
        .contains(&kind)
}

async fn create(resource: &Resource, at: &Where) -> Result<crate::deployed::Identity, DeployError> {
    match resource.kind.as_str() {
        "AWS::SecretsManager::Secret" => secrets::create(resource, &at.secrets).await,
        "AWS::SQS::Queue" => queues::create(resource, &at.sqs, &at.region, &at.account_id).await,
        "AWS::S3::Bucket" => bucket::create(resource, &at.s3).await,
        "AWS::Logs::LogGroup" => log_groups::create(resource, at).await,
        "AWS::Serverless::Function" => identities::function(resource, at),
        "AWS::Serverless::StateMachine" => identities::state_machine(resource, at),
        "AWS::Serverless::HttpApi" => identities::http_api(resource, at),
        "AWS::AppSync::Api" => identities::events_api(resource, at),
        "AWS::AppSync::ChannelNamespace" => identities::channel_namespace(resource),
        "AWS::AppSync::ApiKey" => identities::api_key(resource, &at.events_api_key),
        "AWS::Lambda::EventSourceMapping" => identities::event_source_mapping(resource),
        _ => Ok(identities::not_stood_in(resource)),
    }
}
