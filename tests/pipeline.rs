//! The whole pipeline through HTTP, in one process: ticket, signed upload,
//! the real state machine, the workers, the status, the images and the feed.

on_every_store!(
    a_rotated_phone_photo_becomes_upright_metadata_free_renditions_listed_in_the_feed,
    bad_files_end_rejected_with_their_reason_and_never_in_the_dead_letter_queue,
    a_worker_failing_transiently_twice_is_retried_to_success,
    a_worker_that_always_fails_ends_failed_in_the_dead_letter_queue_and_replay_brings_it_back,
    the_same_ingest_message_three_times_makes_one_execution_and_one_event,
    a_dead_letter_stays_while_its_photos_announcement_waits,
);

use crate::support::images::{jpeg, jpeg_with_exif, png_claiming, two_tone, webp_chunks};
use crate::support::{replay_photos, Store, TestStack, ALWAYS, SF};
use image::GenericImageView;
use serde_json::Value;
use std::time::Duration;
use wisaw::commands::dlq;
use wisaw_api::photos::PhotoStatusResponse;
use wisaw_domain::ports::{BlobStore, ExecutionStatus, Orchestrator, Queue, ReceivedMessage};
use wisaw_domain::replay::ReplayOutcome;
use wisaw_domain::PhotoStatus;

/// The execution the photo's status names ended as `expected` (`SUCCEEDED`, `FAILED`).
fn assert_execution_ended(status: &PhotoStatusResponse, expected: &str) {
    let execution = status
        .execution
        .as_ref()
        .expect("the status names its execution");
    assert_eq!(execution.status.as_deref(), Some(expected), "{status:?}");
}

async fn assert_no_dead_letters(stack: &TestStack) {
    assert!(everything_in(stack.stack().dead_letter.as_ref())
        .await
        .is_empty());
}

async fn everything_in(queue: &dyn Queue) -> Vec<ReceivedMessage> {
    let mut all = Vec::new();
    loop {
        let batch = queue
            .receive(10, Duration::from_secs(60), Duration::ZERO)
            .await
            .unwrap();
        if batch.is_empty() {
            return all;
        }
        all.extend(batch);
    }
}

async fn a_rotated_phone_photo_becomes_upright_metadata_free_renditions_listed_in_the_feed(
    store: Store,
) {
    let stack = TestStack::start(store).await;
    // Stored landscape 1200×900, EXIF orientation 6: a person sees it portrait, 900×1200.
    let photo = jpeg_with_exif(&two_tone(1200, 900), 6);
    assert!(photo.windows(4).any(|w| w == b"Exif"));
    let id = stack.upload(&photo, "image/jpeg", SF.0, SF.1).await;

    let status = stack.wait_final(&id).await;
    assert_eq!(status.status, PhotoStatus::Ready, "{status:?}");
    assert_eq!(
        (status.width.map(u64::from), status.height.map(u64::from)),
        (Some(900), Some(1200))
    );
    assert_eq!(status.execution.as_ref().unwrap().name, id.as_str());
    assert_execution_ended(&status, "SUCCEEDED");
    // On the wire, not only in the typed answer: the owner's device never shows.
    assert!(stack.status_document(&id).await.get("deviceId").is_none());

    let thumb = stack.get_bytes(status.thumb_url.as_deref().unwrap()).await;
    let display = stack.get_bytes(status.image_url.as_deref().unwrap()).await;
    for (bytes, expected) in [(&thumb, (225, 300)), (&display, (900, 1200))] {
        let chunks = webp_chunks(bytes);
        assert!(
            chunks
                .iter()
                .all(|c| !matches!(c.as_str(), "EXIF" | "XMP " | "ICCP")),
            "{chunks:?}"
        );
        assert!(
            !bytes.windows(4).any(|w| w == b"Exif"),
            "EXIF bytes left in a rendition"
        );
        let decoded = image::load_from_memory_with_format(bytes, image::ImageFormat::WebP).unwrap();
        assert_eq!(decoded.dimensions(), expected);
        // Orientation 6 turns the stored left half (red) to the top.
        let (w, h) = decoded.dimensions();
        let top = decoded.get_pixel(w / 2, h / 8);
        let bottom = decoded.get_pixel(w / 2, h * 7 / 8);
        assert!(top[0] > 150 && top[2] < 100, "top should be red: {top:?}");
        assert!(
            bottom[2] > 150 && bottom[0] < 100,
            "bottom should be blue: {bottom:?}"
        );
    }

    // Two more photos, farther away; the feed lists them nearest first.
    let oakland = stack
        .upload(&jpeg(&two_tone(64, 48)), "image/jpeg", 37.8044, -122.2712)
        .await;
    let la = stack
        .upload(&jpeg(&two_tone(64, 48)), "image/jpeg", 34.0522, -118.2437)
        .await;
    for other in [&oakland, &la] {
        assert_eq!(stack.wait_final(other).await.status, PhotoStatus::Ready);
    }
    let feed: Value = stack
        .client
        .get(format!("{}/v1/feed?lat=37.77&lon=-122.41", stack.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let photos = feed["photos"].as_array().unwrap();
    let ids: Vec<&str> = photos
        .iter()
        .map(|p| p["photoId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id.as_str(), oakland.as_str(), la.as_str()]);
    let distances: Vec<f64> = photos
        .iter()
        .map(|p| p["distanceMeters"].as_f64().unwrap())
        .collect();
    assert!(
        distances[0] < 2_000.0 && distances[1] > 10_000.0 && distances[2] > 500_000.0,
        "{distances:?}"
    );
    assert!(feed["nextCursor"].is_null());
    assert!(!feed.to_string().contains("deviceId"));
    stack.finish().await;
}

async fn bad_files_end_rejected_with_their_reason_and_never_in_the_dead_letter_queue(store: Store) {
    let stack = TestStack::start(store).await;
    let good = jpeg(&two_tone(640, 480));
    let cases = [
        (
            b"%PDF-1.7 this is a document, not a photo".to_vec(),
            "image/jpeg",
            "not_an_image",
        ),
        (good[..good.len() / 2].to_vec(), "image/jpeg", "corrupt"),
        (png_claiming(30_000, 30_000), "image/png", "too_many_pixels"),
    ];
    let mut ids = Vec::new();
    for (bytes, content_type, _) in &cases {
        ids.push(stack.upload(bytes, content_type, SF.0, SF.1).await);
    }
    for (id, (_, _, code)) in ids.iter().zip(&cases) {
        let status = stack.wait_final(id).await;
        assert_eq!(status.status, PhotoStatus::Rejected, "{status:?}");
        assert_eq!(status.reason_code.as_deref(), Some(*code), "{status:?}");
        assert!(
            status.reason.as_deref().is_some_and(|r| r.len() > 10),
            "{status:?}"
        );
        assert!(stack.status_document(id).await.get("thumbUrl").is_none());
        assert_execution_ended(&status, "SUCCEEDED");
    }
    assert_no_dead_letters(&stack).await;
    // Each rejection is announced once, and its announcement was published.
    for id in &ids {
        let events = stack
            .stack()
            .metadata
            .photo_events(id.parse().unwrap())
            .await
            .unwrap();
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].event_type, "photo.rejected");
        assert!(events[0].sent_at.is_some(), "{events:?}");
    }
    stack.finish().await;
}

async fn a_worker_failing_transiently_twice_is_retried_to_success(store: Store) {
    let (stack, _flaky) = TestStack::start_with_flaky_reads(store, 2).await;
    let id = stack
        .upload(&jpeg(&two_tone(320, 240)), "image/jpeg", SF.0, SF.1)
        .await;
    let status = stack.wait_final(&id).await;
    assert_eq!(status.status, PhotoStatus::Ready, "{status:?}");

    let history = stack
        .stack()
        .orchestrator
        .execution_history(&id)
        .await
        .unwrap();
    let types: Vec<&str> = history.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types
            .iter()
            .filter(|t| **t == "LambdaFunctionFailed")
            .count(),
        2,
        "{types:?}"
    );
    assert_eq!(types.first(), Some(&"ExecutionStarted"));
    assert_eq!(types.last(), Some(&"ExecutionSucceeded"));
    assert_no_dead_letters(&stack).await;
    stack.finish().await;
}

async fn a_worker_that_always_fails_ends_failed_in_the_dead_letter_queue_and_replay_brings_it_back(
    store: Store,
) {
    let (stack, flaky) = TestStack::start_with_flaky_reads(store, ALWAYS).await;
    let id = stack
        .upload(&jpeg(&two_tone(320, 240)), "image/jpeg", SF.0, SF.1)
        .await;
    let status = stack.wait_final(&id).await;
    assert_eq!(status.status, PhotoStatus::Failed, "{status:?}");
    assert_execution_ended(&status, "FAILED");

    let listing = dlq::list(stack.stack().dead_letter.as_ref()).await.unwrap();
    assert!(
        listing.contains(&id) && listing.contains("Wisaw.Transient"),
        "{listing}"
    );

    flaky.hook.heal();
    let ports = stack.stack().operator_ports();
    let record = replay_photos(&ports, [id.parse().unwrap()]).await;
    assert_eq!(record.photos.len(), 1);
    assert_eq!(record.photos[0].outcome, ReplayOutcome::Replayed);
    assert_eq!(ports.audit.replays(10).await.unwrap(), vec![record]);

    stack.wait_execution(&format!("{id}-replay-1")).await;
    let status = stack.status(&id).await;
    assert_eq!(status.status, PhotoStatus::Ready, "{status:?}");
    assert_eq!(
        status.execution.as_ref().unwrap().name,
        format!("{id}-replay-1")
    );
    assert_execution_ended(&status, "SUCCEEDED");
    assert_no_dead_letters(&stack).await;
    stack.finish().await;
}

async fn the_same_ingest_message_three_times_makes_one_execution_and_one_event(store: Store) {
    let stack = TestStack::start(store).await;
    let bytes = jpeg(&two_tone(320, 240));
    let device = uuid::Uuid::new_v4();
    let ticket = stack.ticket(device, "image/jpeg", bytes.len(), SF).await;
    let id = ticket.photo_id.to_string();
    let mut channel = stack.subscribed(device).await;
    // Write the object without the store's own event, then deliver its event three times.
    let key = format!("uploads/{id}");
    stack
        .stack()
        .blobs
        .put(&key, "image/jpeg", bytes.into())
        .await
        .unwrap();
    let event = wisaw_domain::ingest::S3Notification::object_created(
        "wisaw-local",
        &key,
        1,
        "2026-01-01T00:00:00Z",
    );
    let body = serde_json::to_string(&event).unwrap();
    for _ in 0..3 {
        stack.stack().ingest.send(&body).await.unwrap();
    }
    assert_eq!(stack.wait_final(&id).await.status, PhotoStatus::Ready);
    // Let the duplicates drain from ingest.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let runner = &stack.stack().orchestrator;
    let executions = runner.list_executions(None, 100).await.unwrap();
    assert_eq!(
        executions
            .iter()
            .filter(|e| e.name.starts_with(&id))
            .count(),
        1
    );
    assert_eq!(executions[0].status, ExecutionStatus::Succeeded);
    // The device heard of it once: one delivery, not only one distinct event.
    let mut deliveries = Vec::new();
    while let Ok(next) = tokio::time::timeout(Duration::from_secs(1), channel.next_event()).await {
        deliveries.push(next.unwrap().unwrap().event);
    }
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    assert_eq!(deliveries[0]["eventType"], "photo.ready");
    assert_eq!(deliveries[0]["photoId"], id.as_str());
    stack.finish().await;
}

/// A photo ready but not yet announced (its notify step gave up, so a dead letter stands
/// for it): a replay leaves the letter where it is, since the scheduled outbox sweep runs
/// only while a dead letter waits and a replay of a final photo publishes nothing. Once
/// the announcement is out, the replay takes the letter.
async fn a_dead_letter_stays_while_its_photos_announcement_waits(store: Store) {
    use wisaw_domain::contracts::{DeadLetter, Outcome};
    let stack = TestStack::start(store).await;
    let metadata = &stack.stack().metadata;
    let photo = wisaw_testkit::photos::new_photo("image/jpeg", 1000);
    let id = photo.id;
    metadata.create_photo(&photo).await.unwrap();
    metadata
        .mark_processing(id, &id.execution_name(0))
        .await
        .unwrap();
    let ready = Outcome::Ready {
        width: 400,
        height: 200,
        thumb_key: id.thumb_key(),
        display_key: id.display_key(),
    };
    metadata.record_outcome(id, &ready, 0).await.unwrap();
    let letter = DeadLetter {
        photo_id: id,
        attempt: 0,
        execution_name: Some(id.execution_name(0)),
        error: None,
    };
    stack
        .stack()
        .dead_letter
        .send(&serde_json::to_string(&letter).unwrap())
        .await
        .unwrap();

    let ports = stack.stack().operator_ports();
    let record = replay_photos(&ports, [id]).await;
    match &record.photos[0].outcome {
        ReplayOutcome::Failed(why) => {
            assert!(why.contains("photo.ready is not published yet"), "{why}")
        }
        other => panic!("the letter must stay while the announcement waits: {other:?}"),
    }
    let listing = dlq::list(stack.stack().dead_letter.as_ref()).await.unwrap();
    assert!(listing.contains(&id.to_string()), "{listing}");

    // Published (as the sweep would): the replay now takes the letter.
    let events = metadata.photo_events(id).await.unwrap();
    assert!(metadata.mark_event_sent(&events[0].event_id).await.unwrap());
    let record = replay_photos(&ports, [id]).await;
    assert_eq!(record.photos[0].outcome, ReplayOutcome::Replayed);
    assert_no_dead_letters(&stack).await;
    stack.finish().await;
}
