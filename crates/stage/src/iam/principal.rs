//! A principal: a function's or the state machine's role, the credentials its session
//! signs with, and the policies SAM attaches to the role it makes for it.
//!
//! `Policies` is read as SAM reads it: an inline document (`{Version, Statement}`), a
//! policy template (`{LambdaInvokePolicy: {...}}`, [`super::sam_templates`]), or a
//! managed policy's name or ARN; one entry or a list. A managed policy is refused by name,
//! as is any property that gives the role permissions the stage cannot see (`Role`,
//! `PermissionsBoundary`, an event source or a destination SAM grants access to).
//!
//! SAM's implicit managed policies are left out on purpose: `AWSLambdaBasicExecutionRole`
//! (every function: CloudWatch Logs), `AWSXrayWriteOnlyAccess` / `AWSXRayDaemonWriteAccess`
//! (`Tracing`: X-Ray) and `AWSLambdaVPCAccessExecutionRole` (`VpcConfig`: network
//! interfaces and logs) allow only logs, traces and ENIs, none of which the stage's
//! functions call.

use super::policy::{Policy, PolicyError};
use super::sam_templates;
use crate::template::{Pseudo, Resource};
use base64::Engine;
use serde_json::Value;

/// A session's credentials, as STS gives an assumed role's: made at random per principal.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// New random credentials, shaped as STS's: `ASIA` and 16 capitals or digits, a 40
    /// character secret, a long session token.
    pub fn random() -> Self {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let random = |n: usize| -> Vec<u8> {
            (0..n.div_ceil(16))
                .flat_map(|_| *uuid::Uuid::new_v4().as_bytes())
                .take(n)
                .collect()
        };
        let id: String = random(16)
            .into_iter()
            .map(|b| ALPHABET[(b % 32) as usize] as char)
            .collect();
        let text = |n: usize| base64::engine::general_purpose::STANDARD.encode(random(n));
        Self {
            access_key_id: format!("ASIA{id}"),
            secret_access_key: text(30),
            session_token: text(96),
        }
    }
}

/// Who calls AWS: a function or the state machine, through its role's session.
#[derive(Clone, Debug)]
pub struct Principal {
    /// The function's or state machine's logical id.
    pub name: String,
    /// The role's name (SAM's role is `{LogicalId}Role`, named after the stack).
    pub role_name: String,
    /// The session's name: Lambda names it after the function.
    pub session_name: String,
    pub account_id: String,
    pub credentials: Credentials,
    pub policies: Vec<Policy>,
}

/// Event sources for which SAM attaches a policy of its own to the function's role.
const EVENTS_WITH_POLICIES: [(&str, &str); 7] = [
    ("SQS", "the managed policy AWSLambdaSQSQueueExecutionRole"),
    (
        "Kinesis",
        "the managed policy AWSLambdaKinesisExecutionRole",
    ),
    (
        "DynamoDB",
        "the managed policy AWSLambdaDynamoDBExecutionRole",
    ),
    ("MSK", "the managed policy AWSLambdaMSKExecutionRole"),
    ("MQ", "an inline policy for the broker"),
    ("SelfManagedKafka", "an inline policy for the cluster"),
    ("DocumentDB", "an inline policy for the cluster"),
];

impl Principal {
    /// A principal of these policies, with new random credentials.
    pub fn new(name: &str, session_name: &str, account_id: &str, policies: Vec<Policy>) -> Self {
        Self {
            name: name.to_string(),
            role_name: format!("{name}Role"),
            session_name: session_name.to_string(),
            account_id: account_id.to_string(),
            credentials: Credentials::random(),
            policies,
        }
    }

    /// The role SAM makes for an `AWS::Serverless::Function` or
    /// `AWS::Serverless::StateMachine` of the template (its properties resolved).
    pub fn from_resource(resource: &Resource, pseudo: &Pseudo) -> Result<Self, PolicyError> {
        let id = &resource.logical_id;
        let properties = &resource.properties;
        let name_property = match resource.kind.as_str() {
            "AWS::Serverless::Function" => "FunctionName",
            "AWS::Serverless::StateMachine" => "Name",
            other => {
                return Err(PolicyError::Unsupported(format!(
                    "{id}: the role of a {other}"
                )))
            }
        };
        for property in ["Role", "PermissionsBoundary"] {
            if !properties[property].is_null() {
                return Err(PolicyError::Unsupported(format!("{id}'s {property}")));
            }
        }
        refuse_implicit_grants(resource)?;
        let policies = policies(id, &properties["Policies"], pseudo)?;
        let session = properties[name_property].as_str().unwrap_or(id);
        let mut principal = Self::new(id, session, &pseudo.account_id, policies);
        // CloudFormation names SAM's role after the stack and its logical id.
        principal.role_name = format!("{}-{id}Role", pseudo.stack_name);
        Ok(principal)
    }

    /// The session's ARN, as AWS names the caller in a refusal.
    pub fn arn(&self, partition: &str) -> String {
        format!(
            "arn:{partition}:sts::{}:assumed-role/{}/{}",
            self.account_id, self.role_name, self.session_name
        )
    }

    /// The role's ARN (`aws:PrincipalArn`).
    pub fn role_arn(&self, partition: &str) -> String {
        format!(
            "arn:{partition}:iam::{}:role/{}",
            self.account_id, self.role_name
        )
    }
}

/// What else SAM grants the role: an event source's or a destination's access.
fn refuse_implicit_grants(resource: &Resource) -> Result<(), PolicyError> {
    let id = &resource.logical_id;
    let properties = &resource.properties;
    if let Some(events) = properties["Events"].as_object() {
        for (event, definition) in events {
            let kind = definition["Type"].as_str().unwrap_or_default();
            if let Some((_, grant)) = EVENTS_WITH_POLICIES.iter().find(|(k, _)| *k == kind) {
                return Err(PolicyError::Unsupported(format!(
                    "{id}'s {kind} event {event} (SAM gives the role {grant})"
                )));
            }
        }
    }
    if !properties["DeadLetterQueue"].is_null() {
        return Err(PolicyError::Unsupported(format!(
            "{id}'s DeadLetterQueue (SAM gives the role a policy to send to it)"
        )));
    }
    if !properties["EventInvokeConfig"]["DestinationConfig"].is_null() {
        return Err(PolicyError::Unsupported(format!(
            "{id}'s EventInvokeConfig.DestinationConfig (SAM gives the role a policy for it)"
        )));
    }
    Ok(())
}

/// `Policies`: one entry or a list of them.
fn policies(id: &str, value: &Value, pseudo: &Pseudo) -> Result<Vec<Policy>, PolicyError> {
    let entries: Vec<&Value> = match value {
        Value::Null => Vec::new(),
        Value::Array(list) => list.iter().collect(),
        one => vec![one],
    };
    entries
        .into_iter()
        .enumerate()
        .map(|(index, entry)| policy(id, index, entry, pseudo))
        .collect()
}

fn policy(id: &str, index: usize, entry: &Value, pseudo: &Pseudo) -> Result<Policy, PolicyError> {
    let name = format!("{id}'s Policies[{index}]");
    match entry {
        Value::String(managed) if managed.starts_with("arn:") => Err(PolicyError::Unsupported(
            format!("{name}: the managed policy {managed}"),
        )),
        Value::String(managed) => Err(PolicyError::Unsupported(format!(
            "{name}: the managed policy {managed} (arn:aws:iam::aws:policy/{managed})"
        ))),
        Value::Object(fields) if fields.contains_key("Statement") => Policy::parse(&name, entry),
        Value::Object(fields) if fields.len() == 1 => {
            let (template, values) = fields.iter().next().expect("one entry");
            if !sam_templates::is_template(template) {
                return Err(PolicyError::Malformed(format!(
                    "{name}: {template} is neither a policy document nor a policy template SAM defines"
                )));
            }
            let document = sam_templates::document(template, values, pseudo)?;
            Policy::parse(&format!("{name} ({template})"), &document)
        }
        other => Err(PolicyError::Malformed(format!(
            "{name}: {other} is not a policy SAM reads"
        ))),
    }
}
