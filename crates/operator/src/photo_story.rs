//! One photo's whole story, from its id: the row (status, dimensions, place, device),
//! how its status moved, its abuse reports, every blob under its keys, every execution,
//! its dead letters and its announcements. The console's photo page and
//! `wisaw photo show` both print this.

use super::dead_letters::{self, DeadLetterEntry};
use super::executions::{self, ExecutionWithHistory};
use super::OperatorPorts;
use crate::error::OperatorResult;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::time::Duration;
use wisaw_domain::events::{announced_as, OutboxEvent};
use wisaw_domain::ids::PhotoId;
use wisaw_domain::model::{AbuseReport, Photo};
use wisaw_domain::ports::{ExecutionStatus, ExecutionSummary};
use wisaw_domain::PhotoStatus;

/// How long a preview link in the story stays good.
const PREVIEW_TTL: Duration = Duration::from_secs(15 * 60);

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhotoStory {
    pub photo_id: PhotoId,
    /// `None` when there is no row (never created, or deleted).
    pub photo: Option<Photo>,
    pub transitions: Vec<Transition>,
    pub reports: Vec<AbuseReport>,
    pub blobs: Vec<BlobView>,
    pub executions: Vec<ExecutionView>,
    pub dead_letters: Vec<DeadLetterEntry>,
    pub events: Vec<OutboxEvent>,
}

/// The photo moved to `status` at `at` (as its executions and its row tell).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Transition {
    pub status: PhotoStatus,
    pub at: DateTime<Utc>,
    pub execution: Option<String>,
}

/// One object under the photo's keys: the original upload and its two renditions.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobView {
    pub name: &'static str,
    pub key: String,
    /// `None`: missing.
    pub size: Option<u64>,
    /// Why it is absent when that is how it should be: an announced photo's original,
    /// which notify deletes once the photo's event is out.
    pub absent_because: Option<&'static str>,
    /// A short-lived link to look at it.
    pub preview_url: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionView {
    #[serde(flatten)]
    pub summary: ExecutionSummary,
    pub duration_ms: Option<i64>,
    /// The photo status this execution recorded, once it ended.
    pub recorded: Option<PhotoStatus>,
}

/// The story of `photo_id`; `None` when nothing at all is known of it.
pub async fn photo_story(
    ports: &OperatorPorts,
    photo_id: PhotoId,
) -> OperatorResult<Option<PhotoStory>> {
    let photo = ports.metadata.get_photo(photo_id).await?;
    let runs = executions::of_photo(ports.orchestrator.as_ref(), photo_id).await?;
    let letters = dead_letters::peek(ports.dead_letter.as_ref()).await?;
    let dead_letters: Vec<DeadLetterEntry> = dead_letters::of_photo(&letters, photo_id)
        .into_iter()
        .cloned()
        .collect();
    if photo.is_none() && runs.is_empty() && dead_letters.is_empty() {
        return Ok(None);
    }
    let reports = ports.metadata.abuse_reports(photo_id).await?;
    let events = ports.metadata.photo_events(photo_id).await?;
    let blobs = blobs_of(ports, photo_id, photo.as_ref()).await?;
    let executions: Vec<ExecutionView> = runs.iter().map(execution_view).collect();
    let transitions = transitions(photo.as_ref(), &executions);
    Ok(Some(PhotoStory {
        photo_id,
        photo,
        transitions,
        reports,
        blobs,
        executions,
        dead_letters,
        events,
    }))
}

async fn blobs_of(
    ports: &OperatorPorts,
    id: PhotoId,
    photo: Option<&Photo>,
) -> OperatorResult<Vec<BlobView>> {
    let keys = [
        ("upload", id.upload_key()),
        (
            "thumb",
            photo
                .and_then(|p| p.thumb_key.clone())
                .unwrap_or_else(|| id.thumb_key()),
        ),
        (
            "display",
            photo
                .and_then(|p| p.display_key.clone())
                .unwrap_or_else(|| id.display_key()),
        ),
    ];
    let mut blobs = Vec::new();
    for (name, key) in keys {
        let size = ports.blobs.size(&key).await?;
        let preview_url = match size {
            Some(_) => Some(ports.blobs.presign_get(&key, PREVIEW_TTL).await?),
            None => None,
        };
        let announced = photo.is_some_and(|p| announced_as(p.status).is_some());
        let absent_because = (size.is_none() && name == "upload" && announced)
            .then_some("deleted once the photo was announced");
        blobs.push(BlobView {
            name,
            key,
            size,
            preview_url,
            absent_because,
        });
    }
    Ok(blobs)
}

fn execution_view(run: &ExecutionWithHistory) -> ExecutionView {
    let rejected = executions::path_of(&run.history)
        .entered
        .iter()
        .any(|state| state == "MarkRejected");
    let recorded = match run.execution.status {
        ExecutionStatus::Succeeded if rejected => Some(PhotoStatus::Rejected),
        ExecutionStatus::Succeeded => Some(PhotoStatus::Ready),
        ExecutionStatus::Failed => Some(PhotoStatus::Failed),
        _ => None,
    };
    ExecutionView {
        summary: run.execution.clone(),
        duration_ms: executions::duration(&run.execution).map(|d| d.num_milliseconds()),
        recorded,
    }
}

/// The status history: created awaiting its upload, then for each execution processing
/// from its start and the outcome it recorded at its end.
fn transitions(photo: Option<&Photo>, executions: &[ExecutionView]) -> Vec<Transition> {
    let mut transitions = Vec::new();
    if let Some(photo) = photo {
        transitions.push(Transition {
            status: PhotoStatus::AwaitingUpload,
            at: photo.created_at,
            execution: None,
        });
    }
    for execution in executions {
        let name = Some(execution.summary.name.clone());
        transitions.push(Transition {
            status: PhotoStatus::Processing,
            at: execution.summary.start_date,
            execution: name.clone(),
        });
        if let (Some(status), Some(at)) = (execution.recorded, execution.summary.stop_date) {
            transitions.push(Transition {
                status,
                at,
                execution: name,
            });
        }
    }
    transitions.sort_by_key(|t| t.at);
    transitions
}
