//! The delivery loop of one state machine: every moment, the events its executions
//! added are written to its log group, those of its level, with or without the
//! execution's data as its logging says. A delivery that fails is tried again a little
//! later, from the same events; at the stage's stop, what is left is delivered once more.

use super::levels::logged_at;
use super::streams::{DeliveryError, LogEvent, LogStreams};
use super::watch::Watch;
use crate::template::log_group_name;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use wisaw_adapters::aws::log_message;
use wisaw_asl::LocalRunner;
use wisaw_sfn_api::{LogLevel, Logging};

/// How often the executions are looked at: an operator sees an event this late at most.
const EVERY: Duration = Duration::from_millis(200);
/// How long a failed delivery waits before the next try.
const AFTER_A_FAILURE: Duration = Duration::from_secs(2);
/// How long the last delivery may take at the stage's stop.
const AT_STOP: Duration = Duration::from_secs(5);

pub struct ExecutionLogs {
    watch: Watch,
    streams: LogStreams,
    level: LogLevel,
    include_execution_data: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum Undelivered {
    #[error("reading the executions: {0}")]
    Runner(#[from] wisaw_asl::RunnerError),
    #[error(transparent)]
    Logs(#[from] DeliveryError),
}

impl ExecutionLogs {
    /// The delivery of `runner`'s executions as `logging` says; `None` when it logs
    /// nothing (level OFF, or no log group).
    pub fn new(
        runner: LocalRunner,
        logging: &Logging,
        client: aws_sdk_cloudwatchlogs::Client,
    ) -> Option<Self> {
        let group = logging.log_group_arn.as_deref().and_then(log_group_name)?;
        if logging.level == LogLevel::Off {
            return None;
        }
        let machine = runner.state_machine().name().to_string();
        Some(Self {
            watch: Watch::new(runner),
            streams: LogStreams::new(client, group, &machine),
            level: logging.level,
            include_execution_data: logging.include_execution_data,
        })
    }

    /// Delivers until `shutdown`, then once more.
    pub async fn run(mut self, shutdown: CancellationToken) {
        loop {
            let wait = match self.deliver().await {
                Ok(()) => EVERY,
                Err(error) => {
                    tracing::warn!(%error, "the executions' logs were not delivered; trying again");
                    AFTER_A_FAILURE
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(wait) => {}
            }
        }
        match tokio::time::timeout(AT_STOP, self.deliver()).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                tracing::warn!(%error, "the executions' last logs were not delivered")
            }
            Err(_) => tracing::warn!("the executions' last logs were not delivered in time"),
        }
    }

    /// Writes what the executions added since the last delivery.
    pub async fn deliver(&mut self) -> Result<(), Undelivered> {
        let scan = self.watch.scan().await?;
        let events: Vec<LogEvent> = scan
            .unlogged
            .iter()
            .flat_map(|execution| {
                execution
                    .events
                    .iter()
                    .filter(|event| logged_at(self.level, &event.event_type))
                    .map(|event| LogEvent {
                        timestamp: event.timestamp.timestamp_millis(),
                        message: log_message(
                            &execution.execution_arn,
                            event,
                            self.include_execution_data,
                        ),
                    })
            })
            .collect();
        self.streams.put(events).await?;
        self.watch.delivered(scan);
        Ok(())
    }
}
