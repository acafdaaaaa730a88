//! The validate step: reads the upload and judges it with [`wisaw_imaging::inspect`].
//!
//! A bad image is a rejection in the output, never an error: only a store that cannot
//! be read is an error, and an original no longer there its own (`Wisaw.OriginalGone`:
//! another execution of the photo announced it, then deleted it).

use wisaw_domain::contracts::{SourceImage, ValidateOutput};
use wisaw_domain::ports::BlobStore;
use wisaw_domain::StepError;
use wisaw_imaging::inspect;

/// Reads the photo's original (`uploads/{photoId}`) and judges it with [`inspect`].
pub async fn handle(
    blobs: &dyn BlobStore,
    input: SourceImage,
) -> Result<ValidateOutput, StepError> {
    let bytes = blobs
        .get(&input.photo_id.upload_key())
        .await
        .map_err(StepError::reading_original)?;
    let size = bytes.len();
    // Decoding is CPU work; keep it off the async threads that serve everything else.
    let output = tokio::task::spawn_blocking(move || inspect(&bytes))
        .await
        .map_err(|error| wisaw_step::blocking_failed(wisaw_step::Step::Validate, error))?;
    match &output.rejection {
        Some(rejection) => tracing::info!(
            photo_id = %input.photo_id, bytes = size, code = %rejection.code, "upload rejected"
        ),
        None => tracing::info!(photo_id = %input.photo_id, bytes = size, "upload accepted"),
    }
    Ok(output)
}
