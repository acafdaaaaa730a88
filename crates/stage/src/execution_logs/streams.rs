//! The state machine's log group, written as Step Functions writes it: streams named
//! `states/MACHINE/YYYY-MM-DD-HH/ID` (the hour of the delivery, in UTC, and an id of the
//! writer: AWS's vended logs read `states/wisaw-test-upload/2022-09-17-00/e42cb9d5`, an
//! execution's events possibly in more than one), and `PutLogEvents` calls within
//! CloudWatch Logs' limits.

use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use aws_sdk_cloudwatchlogs::Client;
use chrono::{DateTime, Utc};
use std::collections::HashSet;

/// `PutLogEvents`' limits: events and bytes a call, bytes an event (each event counts its
/// message's bytes and 26 more).
const MAX_EVENTS: usize = 10_000;
const MAX_BATCH_BYTES: usize = 1_048_576;
const MAX_EVENT_BYTES: usize = 262_144;
const EVENT_OVERHEAD: usize = 26;
/// A call's events span a day at most.
const MAX_SPAN_MILLIS: i64 = 24 * 60 * 60 * 1000;

/// One log event: its time in epoch milliseconds and its message.
#[derive(Clone, Debug, PartialEq)]
pub struct LogEvent {
    pub timestamp: i64,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
#[error("delivering to the log group {group}: {message}")]
pub struct DeliveryError {
    group: String,
    message: String,
}

pub struct LogStreams {
    client: Client,
    group: String,
    machine: String,
    /// This writer's part of each stream's name.
    writer: String,
    created: HashSet<String>,
}

impl LogStreams {
    pub fn new(client: Client, group: &str, machine: &str) -> Self {
        Self {
            client,
            group: group.to_string(),
            machine: machine.to_string(),
            writer: format!("{:08x}", rand::random::<u32>()),
            created: HashSet::new(),
        }
    }

    /// The stream this writer delivers to at `at`.
    pub fn stream_at(&self, at: DateTime<Utc>) -> String {
        format!(
            "states/{}/{}/{}",
            self.machine,
            at.format("%Y-%m-%d-%H"),
            self.writer
        )
    }

    /// Writes `events` (in the order of their times for each execution) to the stream of
    /// this hour.
    pub async fn put(&mut self, mut events: Vec<LogEvent>) -> Result<(), DeliveryError> {
        if events.is_empty() {
            return Ok(());
        }
        // One call takes its events in the order of their times; ties keep their order.
        events.sort_by_key(|event| event.timestamp);
        let stream = self.stream_at(Utc::now());
        self.create(&stream).await?;
        for batch in batches(events) {
            let batch = batch
                .into_iter()
                .map(|event| {
                    InputLogEvent::builder()
                        .timestamp(event.timestamp)
                        .message(event.message)
                        .build()
                        .expect("a log event has its time and message")
                })
                .collect();
            let answer = self
                .client
                .put_log_events()
                .log_group_name(&self.group)
                .log_stream_name(&stream)
                .set_log_events(Some(batch))
                .send()
                .await
                .map_err(|e| self.error(e))?;
            if let Some(rejected) = answer.rejected_log_events_info() {
                tracing::warn!(log_group = %self.group, ?rejected, "CloudWatch Logs refused some execution log events");
            }
        }
        Ok(())
    }

    async fn create(&mut self, stream: &str) -> Result<(), DeliveryError> {
        if self.created.contains(stream) {
            return Ok(());
        }
        let created = self
            .client
            .create_log_stream()
            .log_group_name(&self.group)
            .log_stream_name(stream)
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(error) if error.code() == Some("ResourceAlreadyExistsException") => {}
            Err(error) => return Err(self.error(error)),
        }
        self.created.insert(stream.to_string());
        Ok(())
    }

    fn error<E>(&self, error: aws_sdk_cloudwatchlogs::error::SdkError<E>) -> DeliveryError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let message = match error.as_service_error() {
            Some(service) => format!(
                "{}: {}",
                service.code().unwrap_or("an error"),
                service.message().unwrap_or_default()
            ),
            None => format!("{error}: {:?}", std::error::Error::source(&error)),
        };
        DeliveryError {
            group: self.group.clone(),
            message,
        }
    }
}

/// `events`, in order, cut into calls CloudWatch Logs takes; an event larger than it takes
/// is left out, said in the stage's log.
fn batches(events: Vec<LogEvent>) -> Vec<Vec<LogEvent>> {
    let mut batches = Vec::new();
    let mut batch: Vec<LogEvent> = Vec::new();
    let mut bytes = 0;
    for event in events {
        let size = event.message.len() + EVENT_OVERHEAD;
        if size > MAX_EVENT_BYTES {
            tracing::warn!(
                size,
                "an execution log event is larger than CloudWatch Logs takes: left out"
            );
            continue;
        }
        let spans_too_long = batch
            .first()
            .is_some_and(|first| event.timestamp - first.timestamp > MAX_SPAN_MILLIS);
        if batch.len() == MAX_EVENTS || bytes + size > MAX_BATCH_BYTES || spans_too_long {
            batches.push(std::mem::take(&mut batch));
            bytes = 0;
        }
        bytes += size;
        batch.push(event);
    }
    if !batch.is_empty() {
        batches.push(batch);
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(timestamp: i64, bytes: usize) -> LogEvent {
        LogEvent {
            timestamp,
            message: "x".repeat(bytes),
        }
    }

    #[test]
    fn calls_hold_cloudwatch_logs_limits_and_keep_the_order() {
        let many: Vec<LogEvent> = (0..10_001).map(|t| event(t, 10)).collect();
        let cut = batches(many);
        assert_eq!(
            cut.iter().map(Vec::len).collect::<Vec<_>>(),
            [10_000, 1],
            "at most 10,000 events a call"
        );
        assert_eq!(cut[1][0].timestamp, 10_000);

        let big = 200_000;
        let cut = batches((0..6).map(|t| event(t, big)).collect());
        assert_eq!(
            cut.iter().map(Vec::len).collect::<Vec<_>>(),
            [5, 1],
            "at most 1 MB a call"
        );

        let day = MAX_SPAN_MILLIS;
        let cut = batches(vec![event(0, 1), event(day, 1), event(day + 1, 1)]);
        assert_eq!(cut.iter().map(Vec::len).collect::<Vec<_>>(), [2, 1]);

        let cut = batches(vec![event(0, 1), event(1, MAX_EVENT_BYTES), event(2, 1)]);
        assert_eq!(cut, [vec![event(0, 1), event(2, 1)]], "too large: left out");
    }

    #[tokio::test]
    async fn a_stream_is_named_as_step_functions_names_its_streams() {
        let config = aws_sdk_cloudwatchlogs::Config::builder()
            .behavior_version(aws_sdk_cloudwatchlogs::config::BehaviorVersion::latest())
            .build();
        let streams = LogStreams::new(
            Client::from_conf(config),
            "/aws/vendedlogs/states/wisaw-test-upload",
            "wisaw-test-upload",
        );
        let at = DateTime::parse_from_rfc3339("2022-09-17T00:42:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let name = streams.stream_at(at);
        let prefix = "states/wisaw-test-upload/2022-09-17-00/";
        assert!(name.starts_with(prefix), "{name}");
        let writer = &name[prefix.len()..];
        assert_eq!(writer.len(), 8, "{name}");
        assert!(writer.chars().all(|c| c.is_ascii_hexdigit()), "{name}");
        assert_eq!(
            streams.stream_at(at),
            name,
            "one writer, one stream an hour"
        );
    }
}
