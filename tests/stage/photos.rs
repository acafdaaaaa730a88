//! A phone uploads through the stage: the photo is ready and its event heard on its
//! channel; a text file is rejected.

use super::harness::{self, output, Database};
use std::time::Duration;
use wisaw::commands::upload::{upload, UploadOptions};
use wisaw_domain::PhotoStatus;
use wisaw_local::tls::ClientTrust;
use wisaw_stage::compose::Stage;
use wisaw_testkit::images::{jpeg, two_tone};

const WITHIN: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_photo_goes_through_the_template_as_deployed() {
    let Some(endpoint) = wisaw_testkit::aws_emulator::endpoint("the stage end to end") else {
        return;
    };
    let _alone = harness::one_stage_at_a_time().await;
    let Some(database) = Database::create().await else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let stage = Stage::start(harness::options(None, &endpoint, &database, data.path()))
        .await
        .unwrap();
    let trust = ClientTrust::with_ca_file(stage.outputs.ca_file.as_ref()).unwrap();
    let phone = |events: bool| UploadOptions {
        api_url: output(&stage, "ApiUrl"),
        lat: 37.77,
        lon: -122.42,
        device_id: uuid::Uuid::new_v4(),
        wait: WITHIN,
        progress: false,
        events_api_key: events.then(|| output(&stage, "EventsApiKey")),
        trust: trust.clone(),
    };

    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), jpeg(&two_tone(640, 480))).unwrap();
    let heard = upload(file.path(), &phone(true)).await.unwrap();
    assert_eq!(
        heard.status.status,
        PhotoStatus::Ready,
        "{:?}",
        heard.status
    );
    let (event, _) = heard
        .event
        .expect("photo.ready arrived on the device's channel");
    assert_eq!(event["eventType"], "photo.ready", "{event}");

    let text = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(text.path(), b"not a photo at all, only words").unwrap();
    let rejected = upload(text.path(), &phone(false)).await.unwrap();
    assert_eq!(
        rejected.status.status,
        PhotoStatus::Rejected,
        "{:?}",
        rejected.status
    );

    stage.stop().await;
    database.drop_now().await;
}
