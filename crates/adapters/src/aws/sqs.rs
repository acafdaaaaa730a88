//! A queue on SQS. The port's limits are SQS's own, so values beyond them are clamped
//! rather than refused: at most 10 messages a receive, 20 s of long polling, 12 h hidden.

use super::errors::port_error;
use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use aws_sdk_sqs::Client;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::time::Duration;
use wisaw_domain::error::PortError;
use wisaw_domain::ports::{PortResult, Queue, QueueStats, ReceivedMessage};

const MAX_MESSAGES_PER_RECEIVE: u32 = 10;
const MAX_WAIT: Duration = Duration::from_secs(20);
const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 60 * 60);

#[derive(Clone, Debug)]
pub struct SqsQueue {
    client: Client,
    url: String,
    name: String,
}

/// The queue's name is the last segment of its URL.
fn name_of(url: &str) -> String {
    url.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(url)
        .to_string()
}

/// Whole seconds, clamped to SQS's range.
fn seconds(duration: Duration, max: Duration) -> i32 {
    duration.min(max).as_secs() as i32
}

impl SqsQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        let url = url.into();
        Self {
            client,
            name: name_of(&url),
            url,
        }
    }

    pub fn from_config(config: &SdkConfig, url: impl Into<String>) -> Self {
        Self::new(Client::new(config), url)
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    fn action(&self, verb: &str) -> String {
        format!("{verb} the queue {}", self.name)
    }
}

fn received(message: aws_sdk_sqs::types::Message) -> PortResult<ReceivedMessage> {
    let incomplete =
        |what: &str| PortError::Invalid(format!("SQS sent a message without {what}").into());
    let attribute = |name| message.attributes().and_then(|a| a.get(&name));
    let receive_count = attribute(MessageSystemAttributeName::ApproximateReceiveCount)
        .and_then(|count| count.parse().ok())
        .unwrap_or(1);
    // Unix milliseconds.
    let sent_at = attribute(MessageSystemAttributeName::SentTimestamp)
        .and_then(|millis| millis.parse().ok())
        .and_then(DateTime::<Utc>::from_timestamp_millis);
    Ok(ReceivedMessage {
        message_id: message.message_id.ok_or_else(|| incomplete("an id"))?,
        receipt_handle: message
            .receipt_handle
            .ok_or_else(|| incomplete("a receipt handle"))?,
        body: message.body.unwrap_or_default(),
        receive_count,
        sent_at,
    })
}

/// A count among the attributes GetQueueAttributes returned.
fn count_attribute(
    attributes: &HashMap<QueueAttributeName, String>,
    name: QueueAttributeName,
) -> PortResult<u64> {
    let value = attributes.get(&name).ok_or_else(|| {
        PortError::Invalid(format!("SQS did not return the attribute {}", name.as_str()).into())
    })?;
    value.trim().parse().map_err(|_| {
        PortError::Invalid(
            format!("SQS returned {value:?} for {}, not a count", name.as_str()).into(),
        )
    })
}

#[async_trait]
impl Queue for SqsQueue {
    fn name(&self) -> &str {
        &self.name
    }

    async fn stats(&self) -> PortResult<QueueStats> {
        let output = self
            .client
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .map_err(|e| port_error(&self.action("reading the counts of"), e))?;
        let attributes = output.attributes.unwrap_or_default();
        Ok(QueueStats {
            visible: count_attribute(&attributes, QueueAttributeName::ApproximateNumberOfMessages)?,
            in_flight: count_attribute(
                &attributes,
                QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
            )?,
            // The queue's attributes do not include it: SQS publishes the oldest message's
            // age only as the CloudWatch metric ApproximateAgeOfOldestMessage.
            oldest_age: None,
        })
    }

    async fn send(&self, body: &str) -> PortResult<String> {
        let output = self
            .client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| port_error(&self.action("sending to"), e))?;
        output
            .message_id
            .ok_or_else(|| PortError::Invalid("SQS accepted a message without an id".into()))
    }

    async fn receive(
        &self,
        max: u32,
        visibility: Duration,
        wait: Duration,
    ) -> PortResult<Vec<ReceivedMessage>> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let output = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(max.min(MAX_MESSAGES_PER_RECEIVE) as i32)
            .visibility_timeout(seconds(visibility, MAX_VISIBILITY))
            .wait_time_seconds(seconds(wait, MAX_WAIT))
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
            .send()
            .await
            .map_err(|e| port_error(&self.action("receiving from"), e))?;
        output
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(received)
            .collect()
    }

    async fn delete(&self, receipt_handle: &str) -> PortResult<()> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt_handle)
            .send()
            .await
            .map_err(|e| port_error(&self.action("deleting from"), e))?;
        Ok(())
    }

    async fn change_visibility(
        &self,
        receipt_handle: &str,
        visibility: Duration,
    ) -> PortResult<()> {
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(seconds(visibility, MAX_VISIBILITY))
            .send()
            .await
            .map_err(|e| port_error(&self.action("changing a visibility in"), e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_is_the_last_segment_of_the_url() {
        assert_eq!(
            name_of("https://sqs.eu-west-1.amazonaws.com/123456789012/wisaw-test-ingest"),
            "wisaw-test-ingest"
        );
        assert_eq!(name_of("http://127.0.0.1:5055/123456789012/q/"), "q");
    }

    #[test]
    fn counts_are_read_from_the_attributes() {
        let attributes = HashMap::from([
            (
                QueueAttributeName::ApproximateNumberOfMessages,
                "7".to_string(),
            ),
            (
                QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
                "many".to_string(),
            ),
        ]);
        let count = |name| count_attribute(&attributes, name);
        assert_eq!(
            count(QueueAttributeName::ApproximateNumberOfMessages).unwrap(),
            7
        );
        assert!(matches!(
            count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
            Err(PortError::Invalid(_))
        ));
        assert!(matches!(
            count(QueueAttributeName::ApproximateNumberOfMessagesDelayed),
            Err(PortError::Invalid(_))
        ));
    }

    #[test]
    fn durations_are_clamped_to_what_sqs_accepts() {
        assert_eq!(seconds(Duration::from_secs(60), MAX_WAIT), 20);
        assert_eq!(seconds(Duration::from_millis(1500), MAX_WAIT), 1);
        assert_eq!(
            seconds(Duration::from_secs(u64::MAX), MAX_VISIBILITY),
            43_200
        );
    }
}
