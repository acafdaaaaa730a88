//! The persist step (also behind MarkRejected and MarkFailed): records how processing ended.

use wisaw_domain::contracts::{NotifyInput, Outcome, PersistInput, PersistOutput};
use wisaw_domain::ports::MetadataStore;
use wisaw_domain::StepError;

/// Records the outcome, and with it (in the same transaction) the announcement notify
/// will publish. Repeating it changes nothing (`changed: false`).
///
/// * A photo deleted by its owner while in flight has no row: there is nothing to
///   record and nothing to retry, so this succeeds (`changed: false`, the status the
///   outcome would have set) instead of sending the photo to the dead-letter queue.
/// * A ready or rejected outcome the photo's status refuses (say, `ready` for a photo
///   already `rejected`) is a permanent error: the photo and the execution disagree.
/// * A failed outcome on a photo that is already final keeps the photo as it is and
///   succeeds: the execution still goes to the dead-letter queue for an operator.
pub async fn handle(
    metadata: &dyn MetadataStore,
    input: PersistInput,
) -> Result<PersistOutput, StepError> {
    let wanted = input.outcome.status();
    let announcement = NotifyInput {
        photo_id: input.photo_id,
        attempt: input.attempt,
    };
    let Some((photo, changed)) = metadata
        .record_outcome(input.photo_id, &input.outcome, input.attempt)
        .await?
    else {
        tracing::warn!(photo_id = %input.photo_id, status = %wanted, "photo no longer exists; nothing to record");
        return Ok(PersistOutput {
            announcement,
            status: wanted,
            changed: false,
        });
    };
    if photo.status != wanted && !matches!(input.outcome, Outcome::Failed { .. }) {
        return Err(StepError::permanent(format!(
            "photo {} is {}; it cannot become {wanted}",
            input.photo_id, photo.status
        )));
    }
    tracing::info!(photo_id = %input.photo_id, status = %photo.status, changed, "outcome recorded");
    Ok(PersistOutput {
        announcement,
        status: photo.status,
        changed,
    })
}
