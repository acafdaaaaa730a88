//! The notify step: tells the app a photo is ready or rejected, at least once, under
//! an id that lets the app drop a duplicate.

use std::time::Duration;
use wisaw_domain::contracts::{NotifyInput, NotifyOutput};
use wisaw_domain::ports::{BlobStore, MetadataStore, Notifier, PhotoEvent};
use wisaw_domain::{PhotoStatus, StepError};

pub const PHOTO_READY: &str = "photo.ready";
pub const PHOTO_REJECTED: &str = "photo.rejected";
/// The event type reported (never published) for a photo deleted while in flight.
pub const NO_EVENT: &str = "none";

/// How long the image links in a `photo.ready` event work: seven days, the most an S3
/// presigned URL allows. The app fetches fresh links from the API after that.
pub const LINK_TTL: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// Publishes `photo.ready` (with signed links to both renditions) or `photo.rejected`
/// (with the reason), at least once per photo and outcome, under an `eventId` that is the
/// same on every rerun so a subscriber drops duplicates.
///
/// The event is published first and recorded as sent after; a rerun that finds it recorded
/// publishes nothing. Recording first (a claim) and publishing second would let a crash
/// between the two lose the event for good: the rerun would find the claim and skip.
/// Publishing first means the worst a crash can do is publish the same `eventId` twice.
pub async fn handle(
    metadata: &dyn MetadataStore,
    blobs: &dyn BlobStore,
    notifier: &dyn Notifier,
    input: NotifyInput,
) -> Result<NotifyOutput, StepError> {
    let Some(photo) = metadata.get_photo(input.photo_id).await? else {
        tracing::warn!(photo_id = %input.photo_id, "photo no longer exists; nobody to tell");
        return Ok(NotifyOutput {
            event_type: NO_EVENT.into(),
            published: false,
        });
    };
    let mut event = PhotoEvent {
        event_id: String::new(),
        event_type: String::new(),
        photo_id: photo.id,
        device_id: photo.device_id,
        thumb_url: None,
        image_url: None,
        reason_code: None,
        reason: None,
        // When the outcome was recorded, so a rerun describes the same moment.
        occurred_at: photo.updated_at,
    };
    match photo.status {
        PhotoStatus::Ready => {
            let (Some(thumb_key), Some(display_key)) = (&photo.thumb_key, &photo.display_key)
            else {
                return Err(StepError::permanent(format!(
                    "photo {} is ready without rendition keys",
                    photo.id
                )));
            };
            event.event_type = PHOTO_READY.into();
            event.thumb_url = Some(blobs.presign_get(thumb_key, LINK_TTL).await?);
            event.image_url = Some(blobs.presign_get(display_key, LINK_TTL).await?);
        }
        PhotoStatus::Rejected => {
            event.event_type = PHOTO_REJECTED.into();
            event.reason_code = photo.reason_code.clone();
            event.reason = photo.reason.clone();
        }
        other => {
            return Err(StepError::permanent(format!(
                "photo {} is {other}; only ready and rejected photos are announced",
                photo.id
            )));
        }
    }
    event.event_id = event_id(&event, input.attempt);
    if metadata
        .notification_sent(photo.id, &event.event_type)
        .await?
    {
        tracing::info!(photo_id = %photo.id, event_id = %event.event_id, "already announced");
        return Ok(NotifyOutput {
            event_type: event.event_type,
            published: false,
        });
    }
    notifier.publish(&event).await?;
    let first = metadata
        .record_notification_sent(photo.id, &event.event_type)
        .await?;
    // Not the first when another run published and recorded it meanwhile: a duplicate
    // the subscriber drops by its eventId.
    tracing::info!(photo_id = %photo.id, event_id = %event.event_id, first, "announced");
    Ok(NotifyOutput {
        event_type: event.event_type,
        published: true,
    })
}

/// The id every publication of this outcome carries: photo, event type and attempt.
pub fn event_id(event: &PhotoEvent, attempt: u32) -> String {
    format!("{}:{}:{attempt}", event.photo_id, event.event_type)
}
