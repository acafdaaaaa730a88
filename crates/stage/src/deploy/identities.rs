//! The resources the stage itself runs (functions, the state machine, the HTTP API, the
//! Events API, the queue's event source mapping) and those it does not stand in: what
//! each answers to `Ref` and `Fn::GetAtt`, as CloudFormation documents for its type, and
//! which of its properties are run.

use super::properties::Treatment;
use super::{DeployError, Where};
use crate::deployed::Identity;
use crate::template::{whole_number, Resource, TemplateError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub const FUNCTION: Treatment = Treatment {
    kind: "AWS::Serverless::Function",
    run: &[
        "FunctionName",
        "CodeUri",
        "Handler",
        "Runtime",
        "MemorySize",
        "Timeout",
        "ReservedConcurrentExecutions",
        "Environment",
        "Policies",
        "Events",
        "LoggingConfig",
        "Description",
    ],
    not_stood_in: &["Architectures", "Tracing", "VpcConfig"],
};

pub const STATE_MACHINE: Treatment = Treatment {
    kind: "AWS::Serverless::StateMachine",
    run: &[
        "Name",
        "Type",
        "DefinitionUri",
        "Definition",
        "DefinitionSubstitutions",
        "Policies",
        "Logging",
    ],
    not_stood_in: &["Tracing"],
};

/// The HTTP API's properties are checked by the module that runs it, with its own list
/// (`event_sources::http_api::check_api`).
pub const HTTP_API: Treatment = Treatment {
    kind: "AWS::Serverless::HttpApi",
    run: &[],
    not_stood_in: &[],
};

pub const EVENTS_API: Treatment = Treatment {
    kind: "AWS::AppSync::Api",
    run: &["Name", "EventConfig"],
    not_stood_in: &[],
};

pub const CHANNEL_NAMESPACE: Treatment = Treatment {
    kind: "AWS::AppSync::ChannelNamespace",
    run: &["ApiId", "Name", "PublishAuthModes", "SubscribeAuthModes"],
    not_stood_in: &["CodeHandlers"],
};

pub const API_KEY: Treatment = Treatment {
    kind: "AWS::AppSync::ApiKey",
    run: &["ApiId", "Expires", "Description"],
    not_stood_in: &[],
};

pub const EVENT_SOURCE_MAPPING: Treatment = Treatment {
    kind: "AWS::Lambda::EventSourceMapping",
    run: &[
        "EventSourceArn",
        "FunctionName",
        "BatchSize",
        "MaximumBatchingWindowInSeconds",
        "FunctionResponseTypes",
        "ScalingConfig",
        "Enabled",
    ],
    not_stood_in: &[],
};

/// Resource types the stage accepts without running: given a name, nothing more.
pub const NOT_STOOD_IN: [&str; 3] = [
    "AWS::S3::BucketPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::CloudWatch::Alarm",
];

pub fn function(resource: &Resource, at: &Where) -> Result<Identity, DeployError> {
    FUNCTION.check(resource)?;
    let properties = &resource.properties;
    if let Some(runtime) = properties["Runtime"].as_str() {
        if !runtime.starts_with("provided") {
            return Err(TemplateError::Unsupported(format!(
                "{}'s Runtime {runtime} (the stage runs `provided` bootstraps)",
                resource.logical_id
            ))
            .into());
        }
    }
    let name = properties["FunctionName"]
        .as_str()
        .unwrap_or(&resource.logical_id);
    let arn = format!(
        "arn:aws:lambda:{}:{}:function:{name}",
        at.region, at.account_id
    );
    Ok(Identity::new(name).with("Arn", arn))
}

pub fn state_machine(resource: &Resource, at: &Where) -> Result<Identity, DeployError> {
    STATE_MACHINE.check(resource)?;
    let name = resource.properties["Name"]
        .as_str()
        .unwrap_or(&resource.logical_id);
    let arn = format!(
        "arn:aws:states:{}:{}:stateMachine:{name}",
        at.region, at.account_id
    );
    Ok(Identity::new(arn.clone())
        .with("Arn", arn)
        .with("Name", name))
}

pub fn http_api(resource: &Resource, at: &Where) -> Result<Identity, DeployError> {
    crate::event_sources::http_api::check_api(resource)?;
    let id = at.short_id(&resource.logical_id);
    Ok(Identity::new(id.clone()).with(
        "ApiEndpoint",
        format!("https://{id}.execute-api.{}.amazonaws.com", at.region),
    ))
}

pub fn events_api(resource: &Resource, at: &Where) -> Result<Identity, DeployError> {
    EVENTS_API.check(resource)?;
    let id = at.short_id(&resource.logical_id);
    let arn = format!("arn:aws:appsync:{}:{}:apis/{id}", at.region, at.account_id);
    Ok(Identity::new(arn.clone())
        .with("ApiId", id)
        .with("ApiArn", arn)
        .with("Dns.Http", at.events_host.clone())
        .with("Dns.Realtime", at.events_host.clone()))
}

pub fn channel_namespace(resource: &Resource) -> Result<Identity, DeployError> {
    CHANNEL_NAMESPACE.check(resource)?;
    let name = resource.properties["Name"].as_str().unwrap_or_default();
    // The local events server keeps one namespace, the phones' device channels.
    if name != "devices" {
        return Err(TemplateError::Unsupported(format!(
            "{}'s namespace {name:?} (the stage's events server serves `devices`)",
            resource.logical_id
        ))
        .into());
    }
    let api = resource.properties["ApiId"].as_str().unwrap_or_default();
    Ok(Identity::new(format!("{api}/channelNamespace/{name}")))
}

/// AppSync accepts a key that expires between one and 365 days from now.
pub fn api_key(resource: &Resource, key: &str) -> Result<Identity, DeployError> {
    API_KEY.check(resource)?;
    let id = &resource.logical_id;
    if let Some(expires) = resource.properties.get("Expires").filter(|e| !e.is_null()) {
        let expires = whole_number(expires)
            .ok_or_else(|| TemplateError::Malformed(format!("{id}'s Expires is {expires}")))?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let day = Duration::from_secs(24 * 60 * 60).as_secs();
        if expires < now + day || expires > now + 365 * day {
            return Err(TemplateError::InvalidParameter(
                format!("{id}'s Expires"),
                format!("{expires} is not between 1 and 365 days from now (AppSync refuses it)"),
            )
            .into());
        }
    }
    Ok(Identity::new(key).with("ApiKey", key))
}

pub fn event_source_mapping(resource: &Resource) -> Result<Identity, DeployError> {
    EVENT_SOURCE_MAPPING.check(resource)?;
    Ok(Identity::new(uuid::Uuid::new_v4().to_string()))
}

/// A type not stood in: its name, as `Ref` gives it.
pub fn not_stood_in(resource: &Resource) -> Identity {
    Identity::new(
        resource.properties["AlarmName"]
            .as_str()
            .unwrap_or(&resource.logical_id),
    )
}
