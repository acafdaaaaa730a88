//! Each step's handler through the step edge, over real local stores.

mod edge;
mod exif_corpus;
mod handlers;

use wisaw_adapters::blobs_fs::LocalBlobStore;
use wisaw_adapters::sqlite::SqliteMetadataStore;
use wisaw_domain::contracts::{Outcome, PersistInput, PersistOutput, SourceImage};
use wisaw_domain::ports::BlobStore;
use wisaw_domain::{PhotoId, StepError};

/// Puts `bytes` where the phone uploads photo `id`, declared as `content_type`, and
/// returns the validate step's input for it.
async fn uploaded(
    blobs: &LocalBlobStore,
    id: PhotoId,
    content_type: &str,
    bytes: Vec<u8>,
) -> SourceImage {
    blobs
        .put(&id.upload_key(), content_type, bytes.into())
        .await
        .unwrap();
    source_of(id)
}

/// The validate step's input for photo `id`'s upload.
fn source_of(id: PhotoId) -> SourceImage {
    SourceImage { photo_id: id }
}

/// The persist step, recording `outcome` of attempt `attempt`.
async fn persist(
    metadata: &SqliteMetadataStore,
    id: PhotoId,
    outcome: Outcome,
    attempt: u32,
) -> Result<PersistOutput, StepError> {
    let input = PersistInput {
        photo_id: id,
        outcome,
        attempt,
    };
    wisaw_persist::handle(metadata, input).await
}
