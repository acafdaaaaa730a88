//! SQS, in its JSON protocol (`X-Amz-Target: AmazonSQS.SendMessage`, the SDK's) and its
//! query protocol (`Action=SendMessage` in the form or the query): the queue is the
//! `QueueUrl`'s (`https://host/ACCOUNT/NAME` is `arn:aws:sqs:REGION:ACCOUNT:NAME`).

use super::{is_form, json_operation, Ask, Incoming, NotClassified, Operation};
use crate::iam::Settings;
use serde_json::Value;

/// The operations on one queue, named by `QueueUrl`, and their IAM actions (a batch is
/// authorized as its single form).
const ON_A_QUEUE: [(&str, &str); 18] = [
    ("SendMessage", "sqs:SendMessage"),
    ("SendMessageBatch", "sqs:SendMessage"),
    ("ReceiveMessage", "sqs:ReceiveMessage"),
    ("DeleteMessage", "sqs:DeleteMessage"),
    ("DeleteMessageBatch", "sqs:DeleteMessage"),
    ("ChangeMessageVisibility", "sqs:ChangeMessageVisibility"),
    (
        "ChangeMessageVisibilityBatch",
        "sqs:ChangeMessageVisibility",
    ),
    ("GetQueueAttributes", "sqs:GetQueueAttributes"),
    ("SetQueueAttributes", "sqs:SetQueueAttributes"),
    ("PurgeQueue", "sqs:PurgeQueue"),
    ("DeleteQueue", "sqs:DeleteQueue"),
    ("ListQueueTags", "sqs:ListQueueTags"),
    ("TagQueue", "sqs:TagQueue"),
    ("UntagQueue", "sqs:UntagQueue"),
    (
        "ListDeadLetterSourceQueues",
        "sqs:ListDeadLetterSourceQueues",
    ),
    ("AddPermission", "sqs:AddPermission"),
    ("RemovePermission", "sqs:RemovePermission"),
    ("ListMessageMoveTasks", "sqs:ListMessageMoveTasks"),
];

pub(super) fn classify(
    request: &Incoming<'_>,
    settings: &Settings,
) -> Result<Operation, NotClassified> {
    let (operation, parameters) = if request.headers.contains_key("x-amz-target") {
        let (operation, body) = json_operation(request, "AmazonSQS")?;
        (operation.to_string(), body)
    } else {
        query_operation(request)?
    };
    let text = |field: &str| {
        parameters[field]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| NotClassified::Malformed(format!("{operation} without {field}")))
    };
    let queue_arn = |account: Option<&str>, name: &str| {
        format!(
            "arn:{}:sqs:{}:{}:{name}",
            settings.partition,
            settings.region,
            account.unwrap_or(&settings.account_id)
        )
    };
    let ask = |action: &str, resource: String| Operation {
        name: operation.clone(),
        asks: vec![Ask::new(action, resource)],
    };
    if let Some((_, action)) = ON_A_QUEUE.iter().find(|(name, _)| *name == operation) {
        // ListMessageMoveTasks names its queue by ARN.
        if operation == "ListMessageMoveTasks" {
            return Ok(ask(action, text("SourceArn")?));
        }
        let url = match parameters["QueueUrl"].as_str() {
            Some(url) => url.to_string(),
            // The query protocol may name the queue by the request's path instead.
            None if request.path.trim_matches('/').contains('/') => request.path.to_string(),
            None => text("QueueUrl")?,
        };
        let (account, name) = queue_of(&url)
            .ok_or_else(|| NotClassified::Malformed(format!("the queue URL {url:?}")))?;
        return Ok(ask(action, queue_arn(account, name)));
    }
    match operation.as_str() {
        "GetQueueUrl" => {
            let owner = parameters["QueueOwnerAWSAccountId"].as_str();
            Ok(ask(
                "sqs:GetQueueUrl",
                queue_arn(owner, &text("QueueName")?),
            ))
        }
        "CreateQueue" => Ok(ask("sqs:CreateQueue", queue_arn(None, &text("QueueName")?))),
        "ListQueues" => Ok(ask("sqs:ListQueues", "*".into())),
        "StartMessageMoveTask" => Ok(ask("sqs:StartMessageMoveTask", text("SourceArn")?)),
        other => Err(NotClassified::Unknown(format!("the SQS operation {other}"))),
    }
}

/// The query protocol's parameters, from the form body or the query.
fn query_operation(request: &Incoming<'_>) -> Result<(String, Value), NotClassified> {
    let mut pairs = request.query_pairs();
    if is_form(request.headers) {
        let body = request.body.unwrap_or_default();
        pairs.extend(form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())));
    }
    let parameters: serde_json::Map<String, Value> = pairs
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let operation = parameters
        .get("Action")
        .and_then(Value::as_str)
        .ok_or_else(|| NotClassified::Malformed("an SQS request without Action".into()))?
        .to_string();
    Ok((operation, Value::Object(parameters)))
}

/// A queue URL's (or path's) account, when it names one, and queue name.
fn queue_of(url: &str) -> Option<(Option<&str>, &str)> {
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.split_once('/').map_or("", |(_, path)| path),
        None => url.trim_start_matches('/'),
    };
    let mut segments = path.split('/').filter(|s| !s.is_empty()).rev();
    let name = segments.next()?;
    let account = segments
        .next()
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()));
    Some((account, name))
}
