//! The local stand-in for the `dispatch` Lambda's SQS event source: consumes the
//! ingest queue and hands each message to the dispatch handler.
//!
//! - Backpressure: it takes a message only when an execution it starts can run at
//!   once ([`execution_capacity`]); the rest wait, durable, in the ingest queue, as
//!   the event source's `MaximumConcurrency` makes them wait on AWS.
//! - Messages are dispatched in parallel, each as soon as it is received, so a crash
//!   leaves no received message waiting behind another.
//! - It is the queue's only consumer, so at its start it knows its predecessor is
//!   gone: what that one held is visible again at once, and the receives it never
//!   handled are given back (see [`LocalQueue::release_held`]).

use super::worker_tasks::thumbnail_slots;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use wisaw_adapters::queues_sqlite::{LocalQueue, MAX_MESSAGES_PER_RECEIVE};
use wisaw_asl::LocalRunner;
use wisaw_domain::ports::{Queue, ReceivedMessage};
use wisaw_ingest::{dispatch_message, DispatchPorts};

/// How long a received message stays hidden: the SAM template's IngestQueue
/// `VisibilityTimeout`.
pub const INGEST_VISIBILITY_TIMEOUT: Duration = Duration::from_secs(180);

/// At most this many ingest messages are dispatched at once: the default of the SAM
/// template's `DispatchMaximumConcurrency`, the event source's `MaximumConcurrency`.
pub const DISPATCH_MAXIMUM_CONCURRENCY: usize = 10;

/// Long poll, so an idle pipeline does not spin.
const WAIT: Duration = Duration::from_secs(1);

/// How many executions run at once: eight per thumbnail slot. Renders are bounded by
/// their slots (a thumbnail waits for one outside its timeout); the other steps mostly
/// wait on the stores, so with two executions per slot the cores idled while small
/// photos queued (`local/examples/throughput.rs`: 88 tiny photos a second, against 146
/// with eight). Memory stays bounded: at most this many originals (25 MB each at most)
/// are read by validate at once, and one decode per slot.
pub const EXECUTIONS_PER_THUMBNAIL_SLOT: usize = 8;

pub fn execution_capacity() -> usize {
    EXECUTIONS_PER_THUMBNAIL_SLOT * thumbnail_slots()
}

/// Consumes the ingest queue (the stack's, with its redrive) until `shutdown`.
pub async fn run(
    ingest: Arc<LocalQueue>,
    ports: DispatchPorts,
    runner: Arc<LocalRunner>,
    shutdown: CancellationToken,
) {
    release_what_the_predecessor_held(&ingest, &shutdown).await;
    let capacity = execution_capacity();
    let mut dispatching: JoinSet<()> = JoinSet::new();
    while !shutdown.is_cancelled() {
        while dispatching.try_join_next().is_some() {}
        if dispatching.len() >= DISPATCH_MAXIMUM_CONCURRENCY {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = dispatching.join_next() => {}
            }
            continue;
        }
        let room = capacity.saturating_sub(runner.in_flight() + dispatching.len());
        if room == 0 {
            // The workers are full: wait for a dispatch or an execution to end.
            let limit = capacity.saturating_sub(dispatching.len());
            let busy_dispatching = !dispatching.is_empty();
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = dispatching.join_next(), if busy_dispatching => {}
                _ = runner.wait_for_room(limit) => {}
            }
            continue;
        }
        let room = room.min(DISPATCH_MAXIMUM_CONCURRENCY - dispatching.len());
        let max = u32::try_from(room).unwrap_or(MAX_MESSAGES_PER_RECEIVE);
        let received = tokio::select! {
            _ = shutdown.cancelled() => break,
            received = ingest.receive(max, INGEST_VISIBILITY_TIMEOUT, WAIT) => received,
        };
        match received {
            Ok(messages) => {
                for message in messages {
                    let (ingest, ports) = (ingest.clone(), ports.clone());
                    dispatching.spawn(dispatch_one(ingest, ports, message));
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot read the ingest queue; retrying");
                tokio::time::sleep(WAIT).await;
            }
        }
    }
    // Dispatches are short: let the ones under way end rather than leave them to a
    // redelivery.
    while dispatching.join_next().await.is_some() {}
}

async fn release_what_the_predecessor_held(held: &LocalQueue, shutdown: &CancellationToken) {
    loop {
        match held.release_held().await {
            Ok(released) => {
                if released.handled + released.unhandled > 0 {
                    tracing::info!(
                        handled = released.handled,
                        unhandled = released.unhandled,
                        "ingest messages a previous process held are visible again"
                    );
                }
                return;
            }
            Err(error) => tracing::warn!(%error, "cannot release held ingest messages; retrying"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(WAIT) => {}
        }
    }
}

async fn dispatch_one(ingest: Arc<LocalQueue>, ports: DispatchPorts, message: ReceivedMessage) {
    // From here on the delivery counts as handled: if this dispatch is what kills the
    // process, its receive is kept and the redrive eventually parks the message.
    if let Err(error) = ingest.begin_handling(&message.receipt_handle).await {
        tracing::warn!(%error, "cannot record that an ingest message is being handled");
    }
    match dispatch_message(&ports, &message.body).await {
        Ok(_) => {
            if let Err(error) = ingest.delete(&message.receipt_handle).await {
                // The message comes back and is dispatched again: harmless.
                tracing::warn!(%error, "cannot delete a dispatched ingest message");
            }
        }
        Err(error) => {
            // Left on the queue: it comes back after a short backoff, and after the
            // queue's maxReceiveCount it is redriven to the dead-letter queue.
            tracing::warn!(%error, receive_count = message.receive_count, "dispatch failed");
            let backoff = Duration::from_secs(u64::from(message.receive_count.min(5)));
            let _ = ingest
                .change_visibility(&message.receipt_handle, backoff)
                .await;
        }
    }
}
