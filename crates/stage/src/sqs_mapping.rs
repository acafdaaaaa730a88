//! The SQS event source mapping, as Lambda's poller runs it: long polls on the queue,
//! a batch gathered up to `BatchSize` or for `MaximumBatchingWindowInSeconds`, at most
//! `MaximumConcurrency` invocations at once, and after each: with
//! `ReportBatchItemFailures`, every message but the ones the function names is deleted;
//! a failed invocation deletes none. What is not deleted becomes visible again after the
//! queue's visibility timeout and counts toward its redrive, as on AWS.

use crate::lambda::LocalFunction;
use crate::template::{whole_number, Resource, TemplateError};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// Lambda's defaults for an SQS source.
const DEFAULT_BATCH_SIZE: u64 = 10;
const MIN_CONCURRENCY: u64 = 2;
/// SQS gives at most ten messages a receive, and waits at most twenty seconds.
const RECEIVE_MAX: usize = 10;
const LONG_POLL: Duration = Duration::from_secs(20);

/// A check of the function's role before the poller acts for it (`sqs:ReceiveMessage`,
/// `sqs:DeleteMessage` on the queue): the refusal's text when it may not.
pub type RoleCheck = Arc<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// One mapping's settings, from the template.
#[derive(Clone, Debug, PartialEq)]
pub struct MappingSettings {
    pub queue_arn: String,
    pub function_name: String,
    pub batch_size: usize,
    pub window: Duration,
    pub max_concurrency: usize,
    pub report_batch_item_failures: bool,
    pub enabled: bool,
}

impl MappingSettings {
    pub fn from_resource(resource: &Resource) -> Result<Self, TemplateError> {
        let id = &resource.logical_id;
        let properties = &resource.properties;
        let number = |value: &Value, default: u64| -> Result<u64, TemplateError> {
            match value {
                Value::Null => Ok(default),
                value => whole_number(value).ok_or_else(|| {
                    TemplateError::Malformed(format!("{id}: {value} is not a number"))
                }),
            }
        };
        let text = |name: &str| {
            properties[name]
                .as_str()
                .map(String::from)
                .ok_or_else(|| TemplateError::Malformed(format!("{id} needs {name}")))
        };
        let queue_arn = text("EventSourceArn")?;
        if !queue_arn.starts_with("arn:aws:sqs:") {
            return Err(TemplateError::Unsupported(format!(
                "{id}'s event source {queue_arn} (the stage polls SQS queues)"
            )));
        }
        let mut report_batch_item_failures = false;
        for kind in properties["FunctionResponseTypes"]
            .as_array()
            .into_iter()
            .flatten()
        {
            match kind.as_str() {
                Some("ReportBatchItemFailures") => report_batch_item_failures = true,
                other => {
                    return Err(TemplateError::Unsupported(format!(
                        "{id}'s FunctionResponseTypes {other:?}"
                    )))
                }
            }
        }
        let batch_size = number(&properties["BatchSize"], DEFAULT_BATCH_SIZE)?;
        let window = number(&properties["MaximumBatchingWindowInSeconds"], 0)?;
        // Lambda refuses a batch over ten without a window to gather it in.
        if batch_size == 0 || batch_size > 10_000 || (batch_size > 10 && window == 0) {
            return Err(TemplateError::Malformed(format!(
                "{id}'s BatchSize {batch_size} (1 to 10, or up to 10000 with a batching window)"
            )));
        }
        let max_concurrency = number(&properties["ScalingConfig"]["MaximumConcurrency"], 1000)?;
        if !(MIN_CONCURRENCY..=1000).contains(&max_concurrency) {
            return Err(TemplateError::Malformed(format!(
                "{id}'s MaximumConcurrency {max_concurrency} (2 to 1000)"
            )));
        }
        Ok(Self {
            queue_arn,
            function_name: text("FunctionName")?,
            batch_size: batch_size as usize,
            window: Duration::from_secs(window),
            max_concurrency: max_concurrency as usize,
            report_batch_item_failures,
            enabled: properties["Enabled"].as_bool().unwrap_or(true),
        })
    }
}

/// A running mapping.
pub struct SqsMapping {
    pub settings: MappingSettings,
    pub queue_url: String,
    pub region: String,
    pub sqs: aws_sdk_sqs::Client,
    pub function: Arc<LocalFunction>,
    pub role: RoleCheck,
}

impl SqsMapping {
    /// Polls until `shutdown`. A refusal of the role, or the queue out of reach, is
    /// logged and retried, as Lambda's poller keeps trying.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let slots = Arc::new(Semaphore::new(self.settings.max_concurrency));
        while !shutdown.is_cancelled() {
            let slot = tokio::select! {
                slot = slots.clone().acquire_owned() => slot.expect("never closed"),
                _ = shutdown.cancelled() => return,
            };
            let batch = tokio::select! {
                batch = self.gather() => batch,
                _ = shutdown.cancelled() => return,
            };
            match batch {
                Ok(batch) if batch.is_empty() => {}
                Ok(batch) => {
                    let mapping = self.clone();
                    tokio::spawn(async move {
                        mapping.deliver(batch).await;
                        drop(slot);
                    });
                }
                Err(why) => {
                    tracing::warn!(queue = %self.settings.queue_arn, "the event source mapping cannot poll: {why}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// Up to `BatchSize` messages, within the batching window once the first arrives.
    async fn gather(&self) -> Result<Vec<Message>, String> {
        (self.role)("sqs:ReceiveMessage")?;
        let mut batch = self.receive(LONG_POLL).await?;
        let deadline = tokio::time::Instant::now() + self.settings.window;
        while !batch.is_empty() && batch.len() < self.settings.batch_size {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                break;
            }
            let more = self.receive(left.min(LONG_POLL)).await?;
            if more.is_empty() {
                continue;
            }
            batch.extend(more);
        }
        Ok(batch)
    }

    async fn receive(&self, wait: Duration) -> Result<Vec<Message>, String> {
        let room = self.settings.batch_size.min(RECEIVE_MAX);
        let answer = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(room as i32)
            .wait_time_seconds(wait.as_secs().max(1) as i32)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await
            .map_err(|e| {
                format!(
                    "ReceiveMessage: {}",
                    crate::deploy::DeployError::service("", e)
                )
            })?;
        Ok(answer.messages.unwrap_or_default())
    }

    /// One invocation of the function with the batch, and the deletes that follow it.
    async fn deliver(&self, batch: Vec<Message>) {
        let event = self.event(&batch);
        let answer = self.function.invoke(event.to_string().into_bytes()).await;
        let failed: Vec<String> = match answer {
            Err(error) => {
                tracing::warn!(function = %self.settings.function_name, "the batch failed: {error}");
                return;
            }
            Ok(_) if !self.settings.report_batch_item_failures => Vec::new(),
            Ok(payload) => match batch_item_failures(&payload, &batch) {
                Some(failed) => failed,
                // An answer Lambda cannot read fails the whole batch.
                None => return,
            },
        };
        let done: Vec<&Message> = batch
            .iter()
            .filter(|m| !failed.iter().any(|f| Some(f.as_str()) == m.message_id()))
            .collect();
        if done.is_empty() {
            return;
        }
        if let Err(why) = (self.role)("sqs:DeleteMessage") {
            tracing::warn!("the event source mapping may not delete: {why}");
            return;
        }
        let entries: Vec<DeleteMessageBatchRequestEntry> = done
            .iter()
            .enumerate()
            .filter_map(|(i, m)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(m.receipt_handle()?)
                    .build()
                    .ok()
            })
            .collect();
        if let Err(error) = self
            .sqs
            .delete_message_batch()
            .queue_url(&self.queue_url)
            .set_entries(Some(entries))
            .send()
            .await
        {
            tracing::warn!("DeleteMessageBatch: {error}");
        }
    }

    /// The event, as Lambda gives an SQS batch to a function.
    fn event(&self, batch: &[Message]) -> Value {
        let records: Vec<Value> = batch
            .iter()
            .map(|message| {
                let attributes: serde_json::Map<String, Value> = message
                    .attributes()
                    .into_iter()
                    .flatten()
                    .map(|(name, value)| (name.as_str().to_string(), json!(value)))
                    .collect();
                let message_attributes: serde_json::Map<String, Value> = message
                    .message_attributes()
                    .into_iter()
                    .flatten()
                    .map(|(name, value)| {
                        (
                            name.clone(),
                            json!({
                                "stringValue": value.string_value(),
                                "stringListValues": [],
                                "binaryListValues": [],
                                "dataType": value.data_type(),
                            }),
                        )
                    })
                    .collect();
                json!({
                    "messageId": message.message_id(),
                    "receiptHandle": message.receipt_handle(),
                    "body": message.body(),
                    "attributes": attributes,
                    "messageAttributes": message_attributes,
                    "md5OfBody": message.md5_of_body(),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": self.settings.queue_arn,
                    "awsRegion": self.region,
                })
            })
            .collect();
        json!({ "Records": records })
    }
}

/// The ids the function reported failed; `None` when the answer names an id not in the
/// batch or is not the documented shape (Lambda then fails the whole batch).
fn batch_item_failures(payload: &[u8], batch: &[Message]) -> Option<Vec<String>> {
    let answer: Value = match serde_json::from_slice(payload) {
        Ok(answer) => answer,
        Err(_) => return None,
    };
    let failures = match &answer {
        Value::Null => return Some(Vec::new()),
        Value::Object(fields) => match fields.get("batchItemFailures") {
            None | Some(Value::Null) => return Some(Vec::new()),
            Some(Value::Array(items)) => items,
            Some(_) => return None,
        },
        _ => return None,
    };
    failures
        .iter()
        .map(|item| {
            let id = item["itemIdentifier"].as_str()?;
            batch
                .iter()
                .any(|m| m.message_id() == Some(id))
                .then(|| id.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: &str) -> Message {
        Message::builder().message_id(id).build()
    }

    #[test]
    fn the_functions_report_names_the_messages_to_keep() {
        let batch = [message("a"), message("b")];
        let kept =
            batch_item_failures(br#"{"batchItemFailures":[{"itemIdentifier":"b"}]}"#, &batch);
        assert_eq!(kept, Some(vec!["b".to_string()]));
        assert_eq!(batch_item_failures(b"null", &batch), Some(vec![]));
        assert_eq!(
            batch_item_failures(br#"{"batchItemFailures":[]}"#, &batch),
            Some(vec![])
        );
        // An id not in the batch, or a malformed answer, fails the batch.
        assert_eq!(
            batch_item_failures(br#"{"batchItemFailures":[{"itemIdentifier":"z"}]}"#, &batch),
            None
        );
        assert_eq!(
            batch_item_failures(br#"{"batchItemFailures":[{}]}"#, &batch),
            None
        );
        assert_eq!(batch_item_failures(b"[1]", &batch), None);
    }
}
