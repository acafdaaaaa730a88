//! The thumbnail step: reads the original, renders it with [`wisaw_imaging::render`]
//! and writes both renditions next to each other under the photo's keys. An original no
//! longer there is `Wisaw.OriginalGone`, as in validate.

use bytes::Bytes;
use wisaw_domain::contracts::{Rendition, ThumbnailInput, ThumbnailOutput};
use wisaw_domain::ports::BlobStore;
use wisaw_domain::StepError;
use wisaw_imaging::render;
use wisaw_imaging::thumbnail::{EncodedImage, WEBP_CONTENT_TYPE};

/// Reads the original, renders, and writes `photos/{photoId}/thumb.webp` and
/// `photos/{photoId}/display.webp`. A rerun overwrites the same keys with the same images.
pub async fn handle(
    blobs: &dyn BlobStore,
    input: ThumbnailInput,
) -> Result<ThumbnailOutput, StepError> {
    let bytes = blobs
        .get(&input.photo_id.upload_key())
        .await
        .map_err(StepError::reading_original)?;
    let info = input.image.clone();
    let renditions = tokio::task::spawn_blocking(move || render(&bytes, &info))
        .await
        .map_err(|error| wisaw_step::blocking_failed(wisaw_step::Step::Thumbnail, error))??;
    let large = store(blobs, input.photo_id.display_key(), renditions.display).await?;
    let small = store(blobs, input.photo_id.thumb_key(), renditions.thumb).await?;
    tracing::info!(
        photo_id = %input.photo_id,
        thumb_bytes = small.bytes,
        display_bytes = large.bytes,
        "renditions written"
    );
    Ok(ThumbnailOutput {
        thumb: small,
        display: large,
    })
}

async fn store(
    blobs: &dyn BlobStore,
    key: String,
    image: EncodedImage,
) -> Result<Rendition, StepError> {
    let bytes = image.bytes.len() as u64;
    blobs
        .put(&key, WEBP_CONTENT_TYPE, Bytes::from(image.bytes))
        .await?;
    Ok(Rendition {
        key,
        width: image.width,
        height: image.height,
        bytes,
    })
}
