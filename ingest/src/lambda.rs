//! The `dispatch` function: one SQS batch from the ingest queue to executions.
//!
//! Each record goes through [`dispatch_message`] on its own; the ones that fail are
//! reported in `batchItemFailures`, so that SQS redelivers only those (the event
//! source mapping has `ReportBatchItemFailures`) and, after the queue's
//! maxReceiveCount, moves them to the dead-letter queue. A record that can never
//! succeed (garbage) is reported as failed too: the redrive policy, not this code,
//! is what parks it where an operator sees it.

use crate::{dispatch_message, DispatchError, DispatchPorts, DispatchReport};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures::future::join_all;
use tracing::Instrument;
use wisaw_domain::ingest::{parse_ingest_message, IngestRequest};

/// How one record of a batch went.
#[derive(Debug)]
pub struct RecordOutcome {
    pub message_id: String,
    pub result: Result<DispatchReport, DispatchError>,
}

/// Dispatches every record of the batch and names the records to retry.
pub async fn dispatch_batch(ports: &DispatchPorts, event: SqsEvent) -> SqsBatchResponse {
    batch_response(&dispatch_records(ports, event).await)
}

/// Dispatches every record, concurrently: they are independent photos, and each
/// waits mostly on the database and Step Functions.
pub async fn dispatch_records(ports: &DispatchPorts, event: SqsEvent) -> Vec<RecordOutcome> {
    join_all(
        event
            .records
            .into_iter()
            .map(|record| dispatch_record(ports, record)),
    )
    .await
}

/// The records whose dispatch failed, for SQS to deliver again.
pub fn batch_response(outcomes: &[RecordOutcome]) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for outcome in outcomes.iter().filter(|o| o.result.is_err()) {
        response.add_failure(outcome.message_id.clone());
    }
    response
}

async fn dispatch_record(ports: &DispatchPorts, record: SqsMessage) -> RecordOutcome {
    let message_id = record.message_id.unwrap_or_default();
    let body = record.body.unwrap_or_default();
    let span = tracing::info_span!(
        "record",
        message_id = %message_id,
        photo_id = photo_ids(&body).as_str(),
    );
    let result = dispatch_message(ports, &body)
        .instrument(span.clone())
        .await;
    span.in_scope(|| match &result {
        Ok(report) => tracing::info!(
            started = report.started.len(),
            already_started = report.already_started.len(),
            ignored = report.ignored.len(),
            deleted_uploads = report.deleted_uploads.len(),
            "record dispatched"
        ),
        Err(error) => {
            tracing::warn!(%error, transient = error.is_transient(), "record left for a retry")
        }
    });
    RecordOutcome { message_id, result }
}

/// The photos a message is about, for the logs (empty when it cannot be read).
fn photo_ids(body: &str) -> String {
    let Ok(requests) = parse_ingest_message(body) else {
        return String::new();
    };
    requests
        .iter()
        .filter_map(|request| match request {
            IngestRequest::Process(input) => Some(input.photo_id.to_string()),
            IngestRequest::Ignore(_) => None,
        })
        .collect::<Vec<_>>()
        .join(",")
}
