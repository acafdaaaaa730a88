//! `dispatch`: one ingest message (an S3 upload notification, or an operator's
//! replay of a dead letter) to the executions it asks for.
//!
//! Messages arrive at least once, so everything here is safe to repeat: the
//! execution name is the photo id plus the attempt, and "already exists" means
//! "already handled". Both the local dispatcher loop and the Lambda binary call
//! [`dispatch_message`]; they delete the message on `Ok`, and leave it on the
//! queue on `Err` (a transient error is retried; a permanent one is redriven to
//! the dead-letter queue by the queue's own redrive policy).
//!
//! An upload whose photo is unknown or deleted (a ticket used after its photo's
//! DELETE, or a key no ticket named) is removed from the store at once: it is an
//! original with its EXIF and GPS that no photo will ever process or delete.

#[cfg(feature = "lambda")]
pub mod lambda;

use std::sync::Arc;
use wisaw_domain::contracts::ExecutionInput;
use wisaw_domain::ingest::{parse_ingest_message, IngestError, IngestRequest};
use wisaw_domain::ports::{BlobStore, MetadataStore, Orchestrator, StartOutcome};
use wisaw_domain::{ExecutionName, PhotoId, PhotoStatus, PortError};

/// What dispatch works with: the Lambda binary fills it with AWS adapters, the
/// local stack with its local ones.
#[derive(Clone)]
pub struct DispatchPorts {
    pub metadata: Arc<dyn MetadataStore>,
    pub orchestrator: Arc<dyn Orchestrator>,
    /// Where uploads land: an orphaned upload is deleted from it.
    pub blobs: Arc<dyn BlobStore>,
}

/// What one message led to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DispatchReport {
    /// Executions started by this message.
    pub started: Vec<String>,
    /// Executions that already existed (a duplicate message).
    pub already_started: Vec<String>,
    /// Requests with nothing to do, and why.
    pub ignored: Vec<String>,
    /// Uploads deleted because their photo is unknown or deleted.
    pub deleted_uploads: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// The message cannot be read: retrying cannot help.
    #[error(transparent)]
    Unreadable(#[from] IngestError),
    /// A store or the orchestrator failed: worth a retry when the port error is transient.
    #[error("{kind}: {0}", kind = if .0.is_transient() { "transient" } else { "permanent" })]
    Port(#[from] PortError),
}

impl DispatchError {
    /// Whether delivering the message again may succeed: the port error's own answer.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Port(error) if error.is_transient())
    }
}

/// Starts the executions one ingest message asks for. Every request of the
/// message is tried; if some failed, the error returned is a transient one
/// when there is any, so that the message is retried for it.
pub async fn dispatch_message(
    ports: &DispatchPorts,
    body: &str,
) -> Result<DispatchReport, DispatchError> {
    let requests = parse_ingest_message(body)?;
    let mut report = DispatchReport::default();
    let mut failure: Option<DispatchError> = None;
    for request in requests {
        let input = match request {
            IngestRequest::Process(input) => input,
            IngestRequest::Ignore(why) => {
                tracing::info!(reason = %why, "ingest message ignored");
                report.ignored.push(why);
                continue;
            }
        };
        if let Err(error) = process(ports, &input, &mut report).await {
            tracing::warn!(%error, photo = %input.photo_id, "dispatch failed");
            if failure.as_ref().is_none_or(|f| !f.is_transient()) {
                failure = Some(error);
            }
        }
    }
    match failure {
        Some(error) => Err(error),
        None => Ok(report),
    }
}

async fn process(
    ports: &DispatchPorts,
    input: &ExecutionInput,
    report: &mut DispatchReport,
) -> Result<(), DispatchError> {
    let metadata = ports.metadata.as_ref();
    let name = input.execution_name();
    let Some(photo) = metadata.get_photo(input.photo_id).await? else {
        delete_orphaned_upload(ports.blobs.as_ref(), input, report).await?;
        return ignore(
            report,
            format!("{name}: photo {} is unknown or deleted", input.photo_id),
        );
    };
    if let Some(why) = nothing_to_do(photo.status, photo.execution_name.as_deref(), input) {
        return ignore(report, format!("{name}: {why}"));
    }
    match metadata.mark_processing(input.photo_id, &name).await? {
        None => {
            delete_orphaned_upload(ports.blobs.as_ref(), input, report).await?;
            return ignore(
                report,
                format!("{name}: photo {} was deleted", input.photo_id),
            );
        }
        Some(after) if after.status != PhotoStatus::Processing => {
            return ignore(report, format!("{name}: photo is {}", after.status));
        }
        Some(_) => {}
    }
    match ports.orchestrator.start_execution(input).await? {
        StartOutcome::Started => {
            tracing::info!(execution = %name, "execution started");
            report.started.push(name);
        }
        StartOutcome::AlreadyExists => {
            tracing::info!(execution = %name, "execution already exists");
            report.already_started.push(name);
        }
    }
    Ok(())
}

/// Deletes the upload of a photo known to be gone. The key is the photo's own upload
/// key, derived from its id: no message (an operator's replay above all) names an
/// object, so none can make dispatch delete anything else. Deleting a missing object
/// succeeds, so a redelivered message is harmless; a failed delete is transient and
/// the message is retried for it.
async fn delete_orphaned_upload(
    blobs: &dyn BlobStore,
    input: &ExecutionInput,
    report: &mut DispatchReport,
) -> Result<(), DispatchError> {
    let key = input.photo_id.upload_key();
    blobs.delete(&key).await?;
    tracing::info!(%key, "deleted an upload whose photo is unknown or deleted");
    report.deleted_uploads.push(key);
    Ok(())
}

fn ignore(report: &mut DispatchReport, why: String) -> Result<(), DispatchError> {
    tracing::info!(reason = %why, "ingest request ignored");
    report.ignored.push(why);
    Ok(())
}

/// Why a request for this photo must not (re)start anything, if so.
///
/// - ready and rejected are final;
/// - while one execution is processing the photo, a request for another one is a
///   stale duplicate (the same name is let through: its start is idempotent, and
///   repeats a start that may have been lost after the photo was marked);
/// - a failed photo is only taken up again by a newer attempt (a replay), never by a
///   late duplicate of an attempt that already ran, which would leave the photo
///   "processing" under an execution that has ended.
fn nothing_to_do(
    status: PhotoStatus,
    current: Option<&str>,
    input: &ExecutionInput,
) -> Option<String> {
    let name = input.execution_name();
    match status {
        PhotoStatus::AwaitingUpload => None,
        PhotoStatus::Ready | PhotoStatus::Rejected => Some(format!("photo is already {status}")),
        PhotoStatus::Processing => match current {
            Some(current) if current != name => {
                Some(format!("photo is being processed by {current}"))
            }
            _ => None,
        },
        PhotoStatus::Failed => {
            let last = current.and_then(|c| attempt_of(input.photo_id, c));
            match last {
                Some(last) if input.attempt <= last => Some(format!(
                    "attempt {last} already ran; only a newer replay retries"
                )),
                _ => None,
            }
        }
    }
}

/// The attempt of `photo` an execution name stands for.
fn attempt_of(photo: PhotoId, execution_name: &str) -> Option<u32> {
    let name: ExecutionName = execution_name.parse().ok()?;
    (name.photo == photo).then_some(name.attempt)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(photo: PhotoId, attempt: u32) -> ExecutionInput {
        ExecutionInput {
            photo_id: photo,
            attempt,
        }
    }

    #[test]
    fn a_port_error_is_retried_exactly_when_it_is_transient() {
        let down = DispatchError::from(PortError::Unavailable("db".into()));
        assert!(down.is_transient());
        assert_eq!(down.to_string(), "transient: unavailable: db");
        let refused = DispatchError::from(PortError::Invalid("bad".into()));
        assert!(!refused.is_transient());
        assert_eq!(refused.to_string(), "permanent: bad");
    }

    #[test]
    fn attempts_are_read_back_from_execution_names() {
        let id = PhotoId::new_random();
        assert_eq!(attempt_of(id, &id.execution_name(0)), Some(0));
        assert_eq!(attempt_of(id, &id.execution_name(7)), Some(7));
        assert_eq!(attempt_of(id, "something-else"), None);
    }

    #[test]
    fn only_newer_attempts_take_up_a_failed_photo() {
        let id = PhotoId::new_random();
        let first = id.execution_name(0);
        assert!(nothing_to_do(PhotoStatus::Failed, Some(&first), &input(id, 0)).is_some());
        assert!(nothing_to_do(PhotoStatus::Failed, Some(&first), &input(id, 1)).is_none());
        let replay = id.execution_name(1);
        assert!(nothing_to_do(PhotoStatus::Processing, Some(&replay), &input(id, 0)).is_some());
        assert!(nothing_to_do(PhotoStatus::Processing, Some(&replay), &input(id, 1)).is_none());
        assert!(nothing_to_do(PhotoStatus::Ready, Some(&first), &input(id, 2)).is_some());
        assert!(nothing_to_do(PhotoStatus::AwaitingUpload, None, &input(id, 0)).is_none());
    }
}
