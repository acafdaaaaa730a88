//! The notify step: publishes a photo's announcement on its device's channel, from the
//! outbox persist filled, and marks it sent. Also the sweep that publishes whatever a
//! crash left waiting.
//!
//! The outcome and its announcement are recorded together (by persist, in one
//! transaction); this step only publishes, then marks. A crash before the publish leaves
//! the event waiting, for the step's retry, a restart or the sweep; a crash between the
//! publish and the mark publishes it again later under the same `eventId`, which the
//! subscriber drops. So every event arrives at least once, and is shown once.
//!
//! Once a photo's announcement is out, nothing reads its original again (a dead letter's
//! replay runs only for a photo that is not final): this step deletes it, where the bucket
//! would otherwise keep it for the lifecycle rule's days. A failed photo never gets here,
//! so its original stays for the operator's replay.

use chrono::{DateTime, Utc};
use serde_json::Value;
use std::future::Future;
use std::time::Duration;
use wisaw_domain::contracts::{NotifyInput, NotifyOutput, SweepRequest};
use wisaw_domain::events::{
    announced_as, DeviceChannels, OutboxEvent, PhotoEvent, PHOTO_READY, PHOTO_REJECTED,
};
use wisaw_domain::model::Photo;
use wisaw_domain::ports::{BlobStore, MetadataStore, Notifier, Queue};
use wisaw_domain::{PhotoId, StepError};

/// The event type reported (never published) for a photo deleted while in flight.
pub const NO_EVENT: &str = "none";

/// How long the image links in a `photo.ready` event work: seven days, the most an S3
/// presigned URL allows. The app fetches fresh links from the API after that.
pub const LINK_TTL: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// What the step and the sweep need: the ports, and the key that names the channels.
#[derive(Clone, Copy)]
pub struct Announcer<'a> {
    pub metadata: &'a dyn MetadataStore,
    pub blobs: &'a dyn BlobStore,
    pub notifier: &'a dyn Notifier,
    pub channels: &'a DeviceChannels,
}

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub published: u32,
    /// Left waiting for the next sweep (the publish or the mark failed).
    pub failed: u32,
}

/// The notify function's two callers: the state machine, with a photo's step
/// ([`NotifyInput`]), and the schedule, with `{"sweep": SweepRequest}`.
enum Call {
    Step(NotifyInput),
    Sweep(SweepRequest),
}

impl Call {
    fn of(payload: Value) -> Result<Self, StepError> {
        match payload.get("sweep") {
            Some(sweep) => serde_json::from_value(sweep.clone())
                .map(Call::Sweep)
                .map_err(|e| StepError::permanent(format!("bad sweep request: {e}"))),
            None => serde_json::from_value(payload)
                .map(Call::Step)
                .map_err(|e| StepError::permanent(format!("bad notify payload: {e}"))),
        }
    }
}

/// The notify function, whoever calls it. `announcer` is asked for only when the call
/// needs the database: a scheduled sweep while no dead letter waits answers without it
/// (`"skipped": true`), so the function opens no connection that would keep a pausing
/// database awake at rest.
pub async fn invoke<'a, Ready>(
    payload: Value,
    dead_letters: &dyn Queue,
    announcer: impl FnOnce() -> Ready,
) -> Result<Value, StepError>
where
    Ready: Future<Output = Result<Announcer<'a>, StepError>>,
{
    let answer = match Call::of(payload)? {
        Call::Sweep(request) => {
            if request.only_while_dead_letters_wait && !dead_letters_wait(dead_letters).await? {
                return Ok(serde_json::json!({ "published": 0, "failed": 0, "skipped": true }));
            }
            let older_than = chrono::Duration::seconds(
                i64::try_from(request.older_than_seconds).unwrap_or(i64::MAX),
            );
            let recorded_before = Utc::now()
                .checked_sub_signed(older_than)
                .unwrap_or(DateTime::<Utc>::MIN_UTC);
            let report = announcer()
                .await?
                .sweep(recorded_before, request.limit)
                .await?;
            serde_json::json!({ "published": report.published, "failed": report.failed })
        }
        Call::Step(input) => serde_json::to_value(announcer().await?.handle(input).await?)
            .map_err(|e| StepError::permanent(e.to_string()))?,
    };
    Ok(answer)
}

/// Whether any dead letter waits, received by an operator or not.
async fn dead_letters_wait(dead_letters: &dyn Queue) -> Result<bool, StepError> {
    let stats = dead_letters.stats().await?;
    Ok(stats.visible + stats.in_flight > 0)
}

impl Announcer<'_> {
    /// The step: publishes every announcement of the photo still waiting.
    ///
    /// * A photo deleted while in flight has nobody left to tell: `none`, nothing published.
    /// * A photo whose status is not announced (still processing, failed) is a permanent
    ///   error: the execution and the photo disagree.
    pub async fn handle(&self, input: NotifyInput) -> Result<NotifyOutput, StepError> {
        let Some(photo) = self.metadata.get_photo(input.photo_id).await? else {
            tracing::warn!(photo_id = %input.photo_id, "photo no longer exists; nobody to tell");
            self.let_go_of_original(input.photo_id).await?;
            return Ok(NotifyOutput {
                event_type: NO_EVENT.into(),
                published: false,
            });
        };
        let Some(event_type) = announced_as(photo.status) else {
            return Err(StepError::permanent(format!(
                "photo {} is {}; only ready and rejected photos are announced",
                photo.id, photo.status
            )));
        };
        let mut events = self.metadata.photo_events(photo.id).await?;
        if events.is_empty() {
            // An outcome recorded by a release from before the outbox (during a deploy):
            // announce it all the same, as persist would have.
            tracing::warn!(photo_id = %photo.id, "no announcement was recorded with the outcome");
            self.metadata
                .record_event(photo.id, event_type, input.attempt, photo.updated_at)
                .await?;
            events = self.metadata.photo_events(photo.id).await?;
        }
        let mut published = false;
        for event in events.iter().filter(|event| event.sent_at.is_none()) {
            self.publish(&photo, event).await?;
            published = true;
        }
        if !published {
            tracing::info!(photo_id = %photo.id, "already announced");
        }
        // Also when a run before this one published: it may have ended before deleting.
        self.let_go_of_original(photo.id).await?;
        Ok(NotifyOutput {
            event_type: event_type.into(),
            published,
        })
    }

    /// Publishes the announcements recorded before `recorded_before` and still waiting,
    /// at most `limit`, those that failed fewest times first. One that fails is left for
    /// the next sweep, behind the others.
    pub async fn sweep(
        &self,
        recorded_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<SweepReport, StepError> {
        let mut report = SweepReport::default();
        for event in self.metadata.unsent_events(recorded_before, limit).await? {
            let result = match self.metadata.get_photo(event.photo_id).await {
                // Deleted meanwhile: its events went with it.
                Ok(None) => continue,
                Ok(Some(photo)) => match self.publish(&photo, &event).await {
                    Ok(()) => self.let_go_of_original(photo.id).await,
                    failed => failed,
                },
                Err(error) => Err(error.into()),
            };
            match result {
                Ok(()) => report.published += 1,
                Err(error) => {
                    report.failed += 1;
                    tracing::warn!(event_id = %event.event_id, %error, "left for the next sweep");
                    // Behind the others next time, so it cannot hold them up.
                    if let Err(error) = self.metadata.mark_event_failed(&event.event_id).await {
                        tracing::warn!(event_id = %event.event_id, %error, "counting the failure");
                    }
                }
            }
        }
        Ok(report)
    }

    /// Deletes the photo's original, once the photo is announced (or gone). Deleting what
    /// is already gone succeeds, so a rerun does it again safely.
    async fn let_go_of_original(&self, photo: PhotoId) -> Result<(), StepError> {
        self.blobs.delete(&photo.upload_key()).await?;
        Ok(())
    }

    /// Publishes one announcement on the photo's device channel, then marks it sent.
    async fn publish(&self, photo: &Photo, event: &OutboxEvent) -> Result<(), StepError> {
        let message = self.message(photo, event).await?;
        let channel = self.channels.channel_of(photo.device_id);
        self.notifier.publish(&channel, &message).await?;
        let first = self.metadata.mark_event_sent(&event.event_id).await?;
        // Not the first when another run published and marked it meanwhile: a duplicate
        // the subscriber drops by its eventId.
        tracing::info!(photo_id = %photo.id, event_id = %event.event_id, first, "announced");
        Ok(())
    }

    /// The event as the phone receives it, built from the photo's row now: links are
    /// signed afresh each time it is published.
    async fn message(&self, photo: &Photo, event: &OutboxEvent) -> Result<PhotoEvent, StepError> {
        let mut message = PhotoEvent {
            event_id: event.event_id.clone(),
            event_type: event.event_type.clone(),
            photo_id: photo.id,
            device_id: photo.device_id,
            thumb_url: None,
            image_url: None,
            reason_code: None,
            reason: None,
            occurred_at: event.recorded_at,
        };
        if announced_as(photo.status) != Some(event.event_type.as_str()) {
            return Err(StepError::permanent(format!(
                "photo {} is {}; its event {} announces otherwise",
                photo.id, photo.status, event.event_id
            )));
        }
        match event.event_type.as_str() {
            PHOTO_READY => {
                let (Some(thumb_key), Some(display_key)) = (&photo.thumb_key, &photo.display_key)
                else {
                    return Err(StepError::permanent(format!(
                        "photo {} is ready without rendition keys",
                        photo.id
                    )));
                };
                message.thumb_url = Some(self.blobs.presign_get(thumb_key, LINK_TTL).await?);
                message.image_url = Some(self.blobs.presign_get(display_key, LINK_TTL).await?);
            }
            PHOTO_REJECTED => {
                message.reason_code = photo.reason_code.clone();
                message.reason = photo.reason.clone();
            }
            other => {
                return Err(StepError::permanent(format!(
                    "event {} has the unknown type {other}",
                    event.event_id
                )))
            }
        }
        Ok(message)
    }
}
