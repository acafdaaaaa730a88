//! The local stand-in for the `dispatch` Lambda's SQS event source: consumes the
//! ingest queue and hands each message to the dispatch handler.

use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use wisaw_core::ports::{MetadataStore, Orchestrator, Queue};

/// How long a message stays hidden while dispatch handles it (as the event source's
/// visibility timeout does).
const VISIBILITY: Duration = Duration::from_secs(30);
/// Long poll, so an idle pipeline does not spin.
const WAIT: Duration = Duration::from_secs(1);

pub async fn run(
    ingest: Arc<dyn Queue>,
    metadata: Arc<dyn MetadataStore>,
    orchestrator: Arc<dyn Orchestrator>,
    shutdown: CancellationToken,
) {
    while !shutdown.is_cancelled() {
        let messages = tokio::select! {
            _ = shutdown.cancelled() => break,
            received = ingest.receive(10, VISIBILITY, WAIT) => received,
        };
        let messages = match messages {
            Ok(messages) => messages,
            Err(error) => {
                tracing::warn!(%error, "cannot read the ingest queue; retrying");
                tokio::time::sleep(WAIT).await;
                continue;
            }
        };
        for message in messages {
            match wisaw_api::dispatch::dispatch_message(
                metadata.as_ref(),
                orchestrator.as_ref(),
                &message.body,
            )
            .await
            {
                Ok(_) => {
                    if let Err(error) = ingest.delete(&message.receipt_handle).await {
                        // The message comes back and is dispatched again: harmless.
                        tracing::warn!(%error, "cannot delete a dispatched ingest message");
                    }
                }
                Err(error) => {
                    // Left on the queue: it comes back after a short backoff, and after
                    // the queue's maxReceiveCount it is redriven to the dead-letter queue.
                    tracing::warn!(%error, receive_count = message.receive_count, "dispatch failed");
                    let backoff = Duration::from_secs(u64::from(message.receive_count.min(5)));
                    let _ = ingest
                        .change_visibility(&message.receipt_handle, backoff)
                        .await;
                }
            }
        }
    }
}
