//! What an AWS request asks of IAM: its operation, and for each thing it touches the
//! action, the resource's ARN and the condition keys, as the service authorizes it
//! (AWS's Service Authorization Reference). One module per service the pipeline calls;
//! an operation not listed is refused by name, never let through.

mod appsync;
mod s3;
mod secretsmanager;
mod sqs;
mod states;

use super::evaluate::Context;
use super::Settings;
use axum::http::HeaderMap;
use std::collections::{BTreeMap, HashMap};

/// A request as it came in.
#[derive(Clone, Copy, Debug)]
pub struct Incoming<'a> {
    pub method: &'a str,
    /// The path as sent, still percent-encoded.
    pub path: &'a str,
    /// The query as sent, without `?`.
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    /// The body, when [`needs_body`] (or the signature) asked for it.
    pub body: Option<&'a [u8]>,
}

impl Incoming<'_> {
    /// The query's parameters, decoded.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(self.query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// One authorization a request needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ask {
    /// `service:Action`, as IAM names it.
    pub action: String,
    pub resource: String,
    pub context: Context,
}

impl Ask {
    fn new(action: impl Into<String>, resource: impl Into<String>) -> Self {
        Self {
            action: action.into(),
            resource: resource.into(),
            context: Context::new(),
        }
    }
}

/// How a service answers, and so how it refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// S3: XML errors `<Error><Code>`.
    RestXml,
    /// The JSON protocol (`X-Amz-Target`): `{"__type", "message"}`. `query_compatible`:
    /// SQS, whose SDK reads the code from `x-amzn-query-error`.
    Json { query_compatible: bool },
    /// SQS's query protocol (`Action=...`): `<ErrorResponse><Error>`.
    Query,
    /// AppSync Events: `{"errors": [{"errorType", "message"}]}`.
    AppSyncEvents,
}

/// An operation, and what it asks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    /// The operation's name: `PutObject`, `SendMessage`, ...
    pub name: String,
    pub asks: Vec<Ask>,
}

/// A request the stage cannot tell the asks of.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotClassified {
    /// An operation (or a service) the stage does not know, named.
    #[error("The stage does not know {0}, so it lets no such request through.")]
    Unknown(String),
    #[error("The stage cannot tell what the request asks: {0}")]
    Malformed(String),
}

/// Secrets by name: Secrets Manager takes a secret's name where its ARN is expected, and
/// authorizes on the ARN (with its random suffix), which only the stage knows.
pub trait SecretArns: Send + Sync {
    /// The full ARN of the secret named `name` (or of a partial ARN).
    fn arn_of(&self, name: &str) -> Option<String>;
}

impl SecretArns for BTreeMap<String, String> {
    fn arn_of(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

impl SecretArns for HashMap<String, String> {
    fn arn_of(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// What the request's service speaks, from its signing name and headers.
pub fn protocol_of(service: &str, headers: &HeaderMap) -> Protocol {
    let json = headers.contains_key("x-amz-target");
    match service {
        "s3" => Protocol::RestXml,
        "sqs" if json => Protocol::Json {
            query_compatible: true,
        },
        "sqs" => Protocol::Query,
        "appsync" => Protocol::AppSyncEvents,
        _ if json => Protocol::Json {
            query_compatible: false,
        },
        _ if is_form(headers) => Protocol::Query,
        _ => Protocol::RestXml,
    }
}

/// Whether classifying takes the body: every operation but S3's (its body is the
/// object's bytes) except a DeleteObjects, whose body lists the keys.
pub fn needs_body(service: &str, method: &str, query: &str) -> bool {
    service != "s3" || s3::reads_body(method, query)
}

/// The asks of a request to `service` (its SigV4 signing name).
pub fn classify(
    service: &str,
    request: &Incoming<'_>,
    settings: &Settings,
    secrets: &dyn SecretArns,
) -> Result<Operation, NotClassified> {
    match service {
        "s3" => s3::classify(request, settings),
        "sqs" => sqs::classify(request, settings),
        "secretsmanager" => secretsmanager::classify(request, settings, secrets),
        "states" => states::classify(request),
        "appsync" => appsync::classify(request, settings),
        other => Err(NotClassified::Unknown(format!("the service {other}"))),
    }
}

/// The asks of an AppSync Events publish (`POST /event`).
pub fn appsync_publish(
    request: &Incoming<'_>,
    settings: &Settings,
) -> Result<Operation, NotClassified> {
    appsync::classify(request, settings)
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// A JSON protocol's operation, from `X-Amz-Target: PREFIX.Operation`, and its body.
fn json_operation<'a>(
    request: &'a Incoming<'_>,
    prefix: &str,
) -> Result<(&'a str, serde_json::Value), NotClassified> {
    let target = request
        .header("x-amz-target")
        .ok_or_else(|| NotClassified::Malformed("no X-Amz-Target header".into()))?;
    let operation = target
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('.'))
        .ok_or_else(|| NotClassified::Unknown(format!("the operation {target}")))?;
    let body = request.body.unwrap_or_default();
    let body = if body.is_empty() {
        serde_json::Value::Object(Default::default())
    } else {
        serde_json::from_slice(body)
            .map_err(|e| NotClassified::Malformed(format!("the body is not JSON: {e}")))?
    };
    Ok((operation, body))
}

/// A JSON body's text field.
fn text_field<'a>(
    body: &'a serde_json::Value,
    operation: &str,
    field: &str,
) -> Result<&'a str, NotClassified> {
    body[field]
        .as_str()
        .ok_or_else(|| NotClassified::Malformed(format!("{operation} without {field}")))
}
