//! The notify step: tells the app a photo is ready or rejected, once.

use std::time::Duration;
use wisaw_core::contracts::{NotifyInput, NotifyOutput};
use wisaw_core::ports::{BlobStore, MetadataStore, Notifier, PhotoEvent};
use wisaw_core::{PhotoStatus, StepError};

pub const PHOTO_READY: &str = "photo.ready";
pub const PHOTO_REJECTED: &str = "photo.rejected";
/// The event type reported (never published) for a photo deleted while in flight.
pub const NO_EVENT: &str = "none";

/// How long the image links in a `photo.ready` event work: seven days, the most an S3
/// presigned URL allows. The app fetches fresh links from the API after that.
pub const LINK_TTL: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// Publishes `photo.ready` (with signed links to both renditions) or `photo.rejected`
/// (with the reason), at most once per photo and event even when the step reruns: the
/// metadata store hands out the claim once, and a failed publish gives it back so the
/// retry can publish.
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
    if !metadata
        .claim_notification(photo.id, &event.event_type)
        .await?
    {
        tracing::info!(photo_id = %photo.id, event = %event.event_type, "already announced");
        return Ok(NotifyOutput {
            event_type: event.event_type,
            published: false,
        });
    }
    if let Err(error) = notifier.publish(&event).await {
        if let Err(release) = metadata
            .release_notification(photo.id, &event.event_type)
            .await
        {
            // The retry will then see the claim taken and skip: say so loudly.
            tracing::error!(photo_id = %photo.id, %release, "could not give the notification claim back");
        }
        return Err(error.into());
    }
    tracing::info!(photo_id = %photo.id, event = %event.event_type, "announced");
    Ok(NotifyOutput {
        event_type: event.event_type,
        published: true,
    })
}
