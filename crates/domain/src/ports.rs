//! The ports: what handlers need from the world. Adapters implement them for
//! AWS, Postgres, SQLite and the local filesystem; handlers never know which.

use crate::contracts::{ExecutionInput, Outcome};
use crate::error::PortError;
use crate::events::{OutboxEvent, PhotoEvent};
use crate::ids::{DeviceId, PhotoId};
use crate::model::{
    AbuseReport, CreatePhoto, FeedPage, FeedQuery, FiledReport, NewAbuseReport, NewPhoto, Photo,
};
use crate::replay::ReplayRecord;
use crate::status::PhotoStatus;
use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

pub type PortResult<T> = Result<T, PortError>;

/// A request the phone makes on its own, exactly as described (method, url, every header).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignedRequest {
    pub method: String,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    pub expires_at: DateTime<Utc>,
}

/// What a signed PUT binds: the object's key, its content type and its exact length. An
/// upload that differs in any of them is refused before anything is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PutTerms<'a> {
    pub key: &'a str,
    pub content_type: &'a str,
    pub content_length: u64,
}

/// Object storage: S3 in AWS, a folder locally.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// The bucket name that S3 events carry.
    fn bucket(&self) -> &str;
    async fn get(&self, key: &str) -> PortResult<Bytes>;
    /// The object's size in bytes, without reading it; `None` when there is no such object.
    async fn size(&self, key: &str) -> PortResult<Option<u64>>;
    /// Writes (or overwrites) an object.
    async fn put(&self, key: &str, content_type: &str, body: Bytes) -> PortResult<()>;
    /// Removes an object; removing a missing object succeeds.
    async fn delete(&self, key: &str) -> PortResult<()>;
    /// Removes every object whose key starts with `prefix` (a photo's `photos/{id}/`, say)
    /// and returns how many there were. An empty prefix is refused: it would name them all.
    async fn delete_prefix(&self, prefix: &str) -> PortResult<u64>;
    /// A signed PUT binding its terms, valid for `ttl`.
    async fn presign_put(&self, terms: PutTerms<'_>, ttl: Duration) -> PortResult<SignedRequest>;
    /// A URL the app can GET the object from (signed and expiring, or under a CDN).
    async fn presign_get(&self, key: &str, ttl: Duration) -> PortResult<String>;
}

/// A message handed out by [`Queue::receive`].
#[derive(Clone, Debug, PartialEq)]
pub struct ReceivedMessage {
    pub message_id: String,
    /// Identifies this delivery; needed to delete the message or change its visibility.
    pub receipt_handle: String,
    pub body: String,
    /// How many times the message has been received, this time included.
    pub receive_count: u32,
    /// When it was sent to this queue (for a dead letter: when its photo failed).
    pub sent_at: Option<DateTime<Utc>>,
}

/// How full a queue is, for the operator's health page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueStats {
    /// Messages waiting to be received.
    pub visible: u64,
    /// Messages received and not yet deleted (being worked on).
    pub in_flight: u64,
    /// How long the oldest message has been in the queue; `None` when the queue is empty
    /// or the service does not tell it (SQS publishes it only as a CloudWatch metric).
    #[serde(with = "optional_seconds")]
    pub oldest_age: Option<Duration>,
}

mod optional_seconds {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(age: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match age {
            Some(age) => s.serialize_some(&age.as_secs_f64()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<f64>::deserialize(d)?
            .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
            .map(Duration::from_secs_f64))
    }
}

/// One queue with SQS semantics: at-least-once, visibility timeout, redrive.
#[async_trait]
pub trait Queue: Send + Sync {
    fn name(&self) -> &str;
    /// How many messages wait and are in flight, and the oldest one's age.
    async fn stats(&self) -> PortResult<QueueStats>;
    /// Returns the new message's id.
    async fn send(&self, body: &str) -> PortResult<String>;
    /// Up to `max` visible messages, hidden for `visibility` afterwards; waits up to
    /// `wait` for the first one.
    async fn receive(
        &self,
        max: u32,
        visibility: Duration,
        wait: Duration,
    ) -> PortResult<Vec<ReceivedMessage>>;
    async fn delete(&self, receipt_handle: &str) -> PortResult<()>;
    async fn change_visibility(&self, receipt_handle: &str, visibility: Duration)
        -> PortResult<()>;
}

pub use sfn_vocabulary::{
    ExecutionStatus, HistoryEvent, StartOutcome, UnknownWorkflowType, WorkflowType,
};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionSummary {
    pub name: String,
    /// The execution ARN in AWS, a local id otherwise.
    pub execution_id: String,
    pub status: ExecutionStatus,
    pub start_date: DateTime<Utc>,
    pub stop_date: Option<DateTime<Utc>>,
    /// Where an operator sees it (the Step Functions console in AWS).
    pub console_url: Option<String>,
}

/// Step Functions in AWS, the local runner on a laptop.
#[async_trait]
pub trait Orchestrator: Send + Sync {
    /// Starts the execution of `input` under its name
    /// ([`ExecutionInput::execution_name`]): one execution per photo and attempt.
    async fn start_execution(&self, input: &ExecutionInput) -> PortResult<StartOutcome>;
    async fn describe_execution(&self, name: &str) -> PortResult<Option<ExecutionSummary>>;
    async fn execution_history(&self, name: &str) -> PortResult<Vec<HistoryEvent>>;
    /// Newest first.
    async fn list_executions(
        &self,
        status: Option<ExecutionStatus>,
        limit: u32,
    ) -> PortResult<Vec<ExecutionSummary>>;
    /// The state machine's definition (Amazon States Language) as the stage runs it: what
    /// an execution's path is drawn on.
    async fn definition(&self) -> PortResult<serde_json::Value>;
}

/// The photos' metadata: Postgres in production, SQLite locally.
/// Every write is keyed by the photo id and safe to repeat.
#[async_trait]
pub trait MetadataStore: Send + Sync {
    /// Inserts the photo unless its id exists; then returns the existing row unchanged.
    /// A delete racing it never makes it fail: the photo is then either the existing row
    /// (deleted just after) or created anew (deleted just before).
    async fn create_photo(&self, photo: &NewPhoto) -> PortResult<CreatePhoto>;
    async fn get_photo(&self, id: PhotoId) -> PortResult<Option<Photo>>;
    /// Moves the photo to `processing` under this execution, if its status allows
    /// (awaiting_upload, failed, or already processing). Returns the row as it is after.
    async fn mark_processing(&self, id: PhotoId, execution_name: &str)
        -> PortResult<Option<Photo>>;
    /// Records how processing ended, if the status allows it (see
    /// [`crate::PhotoStatus::can_become`]); repeating the same outcome changes nothing.
    /// When it changes the row to an announced outcome (see
    /// [`crate::events::announced_as`]), the announcement is written to the outbox in the
    /// same transaction, under the id [`crate::events::event_id`] of `attempt`: no crash
    /// can leave an outcome without its event. Returns the row as it is after, and
    /// whether it changed.
    async fn record_outcome(
        &self,
        id: PhotoId,
        outcome: &Outcome,
        attempt: u32,
    ) -> PortResult<Option<(Photo, bool)>>;
    /// Removes the photo and its reports; false when it did not exist.
    async fn delete_photo(&self, id: PhotoId) -> PortResult<bool>;
    /// Files a report, one per reporter and photo (`NotFound` when the photo is gone).
    /// It counts against the owner only if the reporter has standing, in one atomic step:
    /// a photo of the reporter's own was `ready` before `filed_at`, and fewer than
    /// `reporters_per_address` other reporters have counted reports from the same client
    /// address within `address_window` (a reporter already among them still counts).
    async fn add_abuse_report(&self, report: &NewAbuseReport) -> PortResult<FiledReport>;
    /// How many distinct devices reported any photo of `owner`, counted or not.
    async fn distinct_reporters_against(&self, owner: DeviceId) -> PortResult<u64>;
    /// How many distinct devices reported a photo of `owner` with a report that counts.
    async fn counted_reporters_against(&self, owner: DeviceId) -> PortResult<u64>;
    async fn feed(&self, query: &FeedQuery) -> PortResult<FeedPage>;
    /// The reports filed against a photo, oldest first.
    async fn abuse_reports(&self, photo: PhotoId) -> PortResult<Vec<AbuseReport>>;
    /// How many photos are in each status (statuses with none are left out).
    async fn count_by_status(&self) -> PortResult<Vec<(PhotoStatus, u64)>>;
    /// The photo's announcements, sent or not, oldest first.
    async fn photo_events(&self, photo: PhotoId) -> PortResult<Vec<OutboxEvent>>;
    /// Records the announcement of an outcome that was recorded without one (by a release
    /// from before the outbox, during a deploy); changes nothing when it is there.
    async fn record_event(
        &self,
        photo: PhotoId,
        event_type: &str,
        attempt: u32,
        recorded_at: DateTime<Utc>,
    ) -> PortResult<()>;
    /// Announcements still unsent that were recorded before `recorded_before`, those
    /// that failed fewest times first, then oldest first, at most `limit`: what a sweep
    /// publishes. One that keeps failing thus never holds up the others.
    async fn unsent_events(
        &self,
        recorded_before: DateTime<Utc>,
        limit: u32,
    ) -> PortResult<Vec<OutboxEvent>>;
    /// Marks an announcement published: true the first time, false when it was marked
    /// already (another run published it too) or is gone with its photo.
    async fn mark_event_sent(&self, event_id: &str) -> PortResult<bool>;
    /// Counts a failed publication of an announcement (it goes behind the others).
    async fn mark_event_failed(&self, event_id: &str) -> PortResult<()>;
}

/// Publishes an event on a channel: AppSync Events in AWS, the local event server of
/// `wisaw serve`. Publishing twice is allowed (the event's id lets subscribers drop the
/// second); losing one is not, so an error means "not published, try again".
#[async_trait]
pub trait Notifier: Send + Sync {
    async fn publish(&self, channel: &str, event: &PhotoEvent) -> PortResult<()>;
}

/// The audit log of dead-letter replays: in the metadata database (Postgres in
/// production, SQLite locally), beside the photos it is about.
#[async_trait]
pub trait ReplayAudit: Send + Sync {
    /// Writes the record, replacing the one with the same id.
    async fn save_replay(&self, record: &ReplayRecord) -> PortResult<()>;
    /// The newest `limit` records, newest first.
    async fn replays(&self, limit: u32) -> PortResult<Vec<ReplayRecord>>;
    async fn replay(&self, id: uuid::Uuid) -> PortResult<Option<ReplayRecord>>;
}
