//! The template's functions, each made ready to run as Lambda runs it: its configuration
//! from the template, and what Lambda adds to its environment on this stage: its role's
//! credentials, the stage's AWS endpoint in place of AWS's, the authority its TLS
//! endpoints are issued by, and the log format its `LoggingConfig` asks for.

use crate::functions::{function_config, Placement};
use crate::iam::Credentials;
use crate::lambda::{FunctionConfig, LocalFunction};
use crate::template::{Resource, TemplateError};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What the stage gives every function besides the template's variables.
pub struct Surroundings {
    /// `AWS_ENDPOINT_URL`: where the function's AWS calls go (the stage's IAM front door).
    pub aws_endpoint: String,
    /// `SSL_CERT_FILE`: the stage's certificate authority, trusted as a public one is.
    pub ca_file: String,
}

pub fn local_function(
    resource: &Resource,
    placement: &Placement,
    surroundings: &Surroundings,
    credentials: &Credentials,
) -> Result<Arc<LocalFunction>, TemplateError> {
    let mut config: FunctionConfig = function_config(resource, placement)?;
    let added = lambda_additions(resource, surroundings, credentials);
    // The template's variables win, as Lambda lets them (except its reserved ones).
    for (name, value) in added {
        config.environment.entry(name).or_insert(value);
    }
    Ok(Arc::new(LocalFunction::new(config)))
}

fn lambda_additions(
    resource: &Resource,
    surroundings: &Surroundings,
    credentials: &Credentials,
) -> BTreeMap<String, String> {
    let mut added = BTreeMap::from([
        (
            "AWS_ACCESS_KEY_ID".to_string(),
            credentials.access_key_id.clone(),
        ),
        (
            "AWS_SECRET_ACCESS_KEY".to_string(),
            credentials.secret_access_key.clone(),
        ),
        (
            "AWS_SESSION_TOKEN".to_string(),
            credentials.session_token.clone(),
        ),
        (
            "AWS_ENDPOINT_URL".to_string(),
            surroundings.aws_endpoint.clone(),
        ),
        ("SSL_CERT_FILE".to_string(), surroundings.ca_file.clone()),
    ]);
    // `LoggingConfig.LogFormat: JSON` is how Lambda tells a runtime to log JSON.
    let logging = &resource.properties["LoggingConfig"];
    if logging["LogFormat"].as_str() == Some("JSON") {
        added.insert("AWS_LAMBDA_LOG_FORMAT".into(), "JSON".into());
    }
    // And with an application log level, Lambda tells the runtime which lines to write.
    if let Some(level) = logging["ApplicationLogLevel"].as_str() {
        added.insert("AWS_LAMBDA_LOG_LEVEL".into(), level.into());
    }
    if let Some(group) = logging["LogGroup"].as_str() {
        added.insert("AWS_LAMBDA_LOG_GROUP_NAME".into(), group.into());
    }
    added
}
