//! A phone uploads through the stage: the photo is ready and its event heard on its
//! channel; a text file is rejected. Once each is announced, its original is deleted.
//! As the template deploys by default (Express), and as a Standard workflow.

use super::harness::{original_deleted, phone, photo_heard_ready, Fixture};
use std::time::Duration;
use wisaw::commands::upload::upload;
use wisaw_domain::PhotoStatus;

const WITHIN: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_photo_goes_through_the_template_as_deployed() {
    photo_and_text_through("the stage end to end", &[]).await;
}

/// The other workflow type the template offers, over the same definition.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_photo_goes_through_the_template_deployed_as_a_standard_workflow() {
    photo_and_text_through("the stage as Standard", &[("WorkflowType", "STANDARD")]).await;
}

/// A photo ready and heard, a text file rejected, through the template deployed with
/// `overrides`; each original deleted once announced.
async fn photo_and_text_through(what: &str, overrides: &[(&str, &str)]) {
    let Some(fixture) = Fixture::new(what).await else {
        return;
    };
    let stage = fixture.stage_with(None, overrides).await;

    let photo = photo_heard_ready(&stage, WITHIN).await;
    assert!(
        original_deleted(&fixture, &stage, &photo).await,
        "{photo}'s original is kept after it was announced"
    );

    let text = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(text.path(), b"not a photo at all, only words").unwrap();
    let rejected = upload(text.path(), &phone(&stage, false, WITHIN))
        .await
        .unwrap();
    assert_eq!(
        rejected.status.status,
        PhotoStatus::Rejected,
        "{:?}",
        rejected.status
    );
    let photo = rejected.status.photo_id.to_string();
    assert!(
        original_deleted(&fixture, &stage, &photo).await,
        "{photo}'s original is kept after it was announced"
    );

    fixture.finish(stage).await;
}
