//! The four handlers over the real local adapters (a folder for the blobs, SQLite for
//! the metadata and its outbox); notify publishes to a recording notifier, the event
//! server itself being tested end to end.

use wisaw_testkit::pictures as common;

use common::{jpeg, quadrants};
use std::sync::atomic::Ordering;
use wisaw_adapters::blobs_fs::LocalBlobStore;
use wisaw_adapters::queues_sqlite::{LocalQueue, LocalQueues};
use wisaw_adapters::sqlite::SqliteMetadataStore;
use wisaw_domain::contracts::{ImageFormat, NotifyInput, Outcome, ThumbnailInput};
use wisaw_domain::events::DeviceChannels;
use wisaw_domain::model::NewPhoto;
use wisaw_domain::ports::{BlobStore, MetadataStore, Queue};
use wisaw_domain::{PhotoId, PhotoStatus, StepErrorKind};
use wisaw_notify::Announcer;
use wisaw_testkit::photos::new_photo;
use wisaw_testkit::ports::RecordingNotifier;
use wisaw_thumbnail as thumbnail;
use wisaw_validate as validate;

struct Stack {
    _dir: tempfile::TempDir,
    blobs: LocalBlobStore,
    metadata: SqliteMetadataStore,
    notifier: RecordingNotifier,
    channels: DeviceChannels,
    dead_letters: LocalQueue,
}

impl Stack {
    /// The notify step for photo `id`, which must fail (`why` says why it should).
    async fn notify_fails(&self, id: PhotoId, why: &str) -> wisaw_domain::StepError {
        self.announcer()
            .handle(notify_input(id))
            .await
            .expect_err(why)
    }

    /// The notify step for photo `id` killed while it publishes: its future dropped
    /// half-way.
    async fn killed_while_publishing(&self, id: PhotoId) {
        self.notifier.hang.store(true, Ordering::SeqCst);
        let killed = tokio::time::timeout(
            std::time::Duration::from_millis(200),
            self.announcer().handle(notify_input(id)),
        )
        .await;
        assert!(killed.is_err(), "the publish was meant to hang");
        self.notifier.hang.store(false, Ordering::SeqCst);
    }

    fn announcer(&self) -> Announcer<'_> {
        Announcer {
            metadata: &self.metadata,
            blobs: &self.blobs,
            notifier: &self.notifier,
            channels: &self.channels,
        }
    }

    /// The notify function called with `payload`, as the Lambda runtime calls it.
    async fn invoke(
        &self,
        payload: serde_json::Value,
    ) -> Result<serde_json::Value, wisaw_domain::StepError> {
        wisaw_notify::invoke(payload, &self.dead_letters, || async {
            Ok(self.announcer())
        })
        .await
    }
}

async fn stack() -> Stack {
    let dir = tempfile::tempdir().unwrap();
    let blobs = LocalBlobStore::new(
        dir.path().join("blobs"),
        "http://127.0.0.1:9/blobs",
        b"secret",
    )
    .unwrap();
    let metadata = SqliteMetadataStore::open(dir.path().join("meta.db"))
        .await
        .unwrap();
    let queues = LocalQueues::open(dir.path().join("queues.db"))
        .await
        .unwrap();
    Stack {
        dead_letters: queues.queue("dead-letters"),
        _dir: dir,
        blobs,
        metadata,
        notifier: RecordingNotifier::default(),
        channels: DeviceChannels::derived_from(b"the handler tests' channel secret"),
    }
}

/// A photo that has a row and is being processed, as after the ticket and dispatch.
async fn processing_photo(metadata: &SqliteMetadataStore) -> PhotoId {
    let id = PhotoId::new_random();
    metadata
        .create_photo(&NewPhoto {
            id,
            lat: 48.85,
            lon: 2.35,
            ..new_photo("image/jpeg", 1000)
        })
        .await
        .unwrap();
    metadata
        .mark_processing(id, &id.execution_name(0))
        .await
        .unwrap();
    id
}

/// A photo the persist step has recorded as ready, for notify to announce.
async fn ready_photo(metadata: &SqliteMetadataStore) -> PhotoId {
    let id = processing_photo(metadata).await;
    super::persist(metadata, id, ready(id), 0).await.unwrap();
    id
}

fn ready(id: PhotoId) -> Outcome {
    Outcome::Ready {
        width: 400,
        height: 200,
        thumb_key: id.thumb_key(),
        display_key: id.display_key(),
    }
}

#[tokio::test]
async fn validate_reads_the_blob_and_trusts_only_its_bytes() {
    let s = stack().await;
    let id = PhotoId::new_random();
    // Declared as a PNG; the bytes are a JPEG turned by EXIF.
    let file = jpeg::with_orientation(&jpeg::encode(&quadrants(400, 200), 90), 6);
    let input = super::uploaded(&s.blobs, id, "image/png", file).await;
    let output = validate::handle(&s.blobs, input).await.unwrap();
    let image = output.image.expect("accepted");
    assert_eq!(image.format, ImageFormat::Jpeg);
    assert_eq!((image.upright_width, image.upright_height), (200, 400));

    let input = super::uploaded(&s.blobs, id, "image/jpeg", b"%PDF-1.4 not a photo".to_vec()).await;
    let output = validate::handle(&s.blobs, input).await.unwrap();
    assert_eq!(output.rejection.unwrap().code, "not_an_image");
}

/// Not a permanent failure: the state machine has the photo's announcement confirmed.
#[tokio::test]
async fn validate_of_a_missing_upload_is_an_original_gone() {
    let s = stack().await;
    let id = PhotoId::new_random();
    let input = super::source_of(id);
    let error = validate::handle(&s.blobs, input)
        .await
        .expect_err("nothing to read");
    assert_eq!(error.kind, StepErrorKind::OriginalGone);
}

#[tokio::test]
async fn thumbnail_writes_both_webps_and_a_rerun_overwrites_them() {
    let s = stack().await;
    let id = PhotoId::new_random();
    let file = jpeg::encode(&quadrants(3000, 1500), 85);
    s.blobs
        .put(&id.upload_key(), "image/jpeg", file.clone().into())
        .await
        .unwrap();
    let image = wisaw_imaging::inspect(&file).image.unwrap();
    let input = ThumbnailInput {
        photo_id: id,
        image,
    };

    let first = thumbnail::handle(&s.blobs, input.clone()).await.unwrap();
    assert_eq!(first.thumb.key, format!("photos/{id}/thumb.webp"));
    assert_eq!(first.display.key, format!("photos/{id}/display.webp"));
    assert_eq!((first.thumb.width, first.thumb.height), (600, 300));
    assert_eq!((first.display.width, first.display.height), (2048, 1024));
    for rendition in [&first.thumb, &first.display] {
        let (stored, meta) = s.blobs.read(&rendition.key).await.unwrap();
        assert_eq!(stored.len() as u64, rendition.bytes);
        assert_eq!(meta.content_type, "image/webp");
        assert_eq!(&stored[8..12], b"WEBP");
    }

    let again = thumbnail::handle(&s.blobs, input).await.unwrap();
    assert_eq!(again, first);
}

#[tokio::test]
async fn persist_records_once_and_reruns_change_nothing() {
    let s = stack().await;
    let id = processing_photo(&s.metadata).await;
    let first = super::persist(&s.metadata, id, ready(id), 0).await.unwrap();
    assert_eq!((first.status, first.changed), (PhotoStatus::Ready, true));
    let again = super::persist(&s.metadata, id, ready(id), 0).await.unwrap();
    assert_eq!((again.status, again.changed), (PhotoStatus::Ready, false));
    let photo = s.metadata.get_photo(id).await.unwrap().unwrap();
    assert_eq!(photo.thumb_key, Some(id.thumb_key()));
    assert_eq!((photo.width, photo.height), (Some(400), Some(200)));

    // A contradicting outcome is refused for good; a late "failed" leaves the photo be.
    let rejected = Outcome::Rejected {
        reason_code: "corrupt".into(),
        reason: "r".into(),
    };
    let error = super::persist(&s.metadata, id, rejected, 0)
        .await
        .expect_err("ready stays ready");
    assert_eq!(error.kind, StepErrorKind::Permanent);
    let failed = Outcome::Failed {
        error: "Wisaw.Transient".into(),
        cause: "timeout".into(),
    };
    let output = super::persist(&s.metadata, id, failed, 0).await.unwrap();
    assert_eq!((output.status, output.changed), (PhotoStatus::Ready, false));
}

#[tokio::test]
async fn persist_of_a_photo_deleted_in_flight_succeeds_without_change() {
    let s = stack().await;
    let id = processing_photo(&s.metadata).await;
    assert!(s.metadata.delete_photo(id).await.unwrap());
    let output = super::persist(&s.metadata, id, ready(id), 0).await.unwrap();
    assert!(!output.changed);
    assert!(s.metadata.get_photo(id).await.unwrap().is_none());
}

fn notify_input(photo_id: PhotoId) -> NotifyInput {
    NotifyInput {
        photo_id,
        attempt: 0,
    }
}

#[tokio::test]
async fn notify_announces_a_ready_photo_once_with_signed_links_on_its_devices_channel() {
    let s = stack().await;
    let id = ready_photo(&s.metadata).await;

    let first = s.announcer().handle(notify_input(id)).await.unwrap();
    assert_eq!(
        (first.event_type.as_str(), first.published),
        ("photo.ready", true)
    );
    let again = s.announcer().handle(notify_input(id)).await.unwrap();
    assert_eq!(
        (again.event_type.as_str(), again.published),
        ("photo.ready", false)
    );

    let events = s.notifier.events();
    assert_eq!(events.len(), 1, "rerun published again: {events:?}");
    let device = s.metadata.get_photo(id).await.unwrap().unwrap().device_id;
    assert_eq!(s.notifier.channels(), vec![s.channels.channel_of(device)]);
    assert_eq!(events[0].event_id, format!("{id}:photo.ready:0"));
    let event = &events[0];
    assert_eq!(
        (event.event_type.as_str(), event.photo_id),
        ("photo.ready", id)
    );
    let thumb_url = event.thumb_url.as_deref().unwrap();
    let image_url = event.image_url.as_deref().unwrap();
    assert!(
        thumb_url.contains(&id.thumb_key()) && thumb_url.contains('?'),
        "{thumb_url}"
    );
    assert!(image_url.contains(&id.display_key()), "{image_url}");
    // The link verifies for the thumb's key, for the seven days it promises and no longer.
    let query = wisaw_testkit::photos::signed_query(thumb_url);
    let now = chrono::Utc::now();
    let key = id.thumb_key();
    assert!(s
        .blobs
        .verify_get(&key, &query, now + chrono::Duration::days(6))
        .is_ok());
    assert!(s
        .blobs
        .verify_get(&key, &query, now + chrono::Duration::days(8))
        .is_err());
    assert!(s.blobs.verify_get(&id.display_key(), &query, now).is_err());
    assert!(event.reason_code.is_none());
    let recorded = &s.metadata.photo_events(id).await.unwrap()[0];
    assert_eq!(event.occurred_at, recorded.recorded_at);
    assert!(recorded.sent_at.is_some(), "marked sent once published");
}

#[tokio::test]
async fn notify_announces_a_rejection_with_its_reason() {
    let s = stack().await;
    let id = processing_photo(&s.metadata).await;
    let outcome = Outcome::Rejected {
        reason_code: "not_an_image".into(),
        reason: "This file is not a photo: it looks like a PDF document.".into(),
    };
    super::persist(&s.metadata, id, outcome, 2).await.unwrap();
    let output = s.announcer().handle(notify_input(id)).await.unwrap();
    assert_eq!(
        (output.event_type.as_str(), output.published),
        ("photo.rejected", true)
    );
    let events = s.notifier.events();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].event_id,
        format!("{id}:photo.rejected:2"),
        "the recording attempt"
    );
    assert_eq!(events[0].reason_code.as_deref(), Some("not_an_image"));
    assert!(events[0].reason.as_deref().unwrap().contains("PDF"));
    assert!(events[0].thumb_url.is_none() && events[0].image_url.is_none());
}

#[tokio::test]
async fn notify_refuses_unfinished_photos_and_skips_deleted_ones() {
    let s = stack().await;
    let id = processing_photo(&s.metadata).await;
    let error = s.notify_fails(id, "still processing").await;
    assert_eq!(error.kind, StepErrorKind::Permanent);

    let gone = PhotoId::new_random();
    let output = s.announcer().handle(notify_input(gone)).await.unwrap();
    assert!(!output.published);
    assert!(s.notifier.events().is_empty());
}

/// Whether photo `id`'s original is still in the store.
async fn original_kept(s: &Stack, id: PhotoId) -> bool {
    s.blobs.size(&id.upload_key()).await.unwrap().is_some()
}

#[tokio::test]
async fn notify_deletes_the_original_once_announced_and_a_failed_photo_keeps_it() {
    let s = stack().await;
    let file = jpeg::encode(&quadrants(40, 20), 90);
    let (ready, rejected, failed) = (
        ready_photo(&s.metadata).await,
        processing_photo(&s.metadata).await,
        processing_photo(&s.metadata).await,
    );
    let rejection = Outcome::Rejected {
        reason_code: "not_an_image".into(),
        reason: "This file is not a photo.".into(),
    };
    super::persist(&s.metadata, rejected, rejection, 0)
        .await
        .unwrap();
    let failure = Outcome::Failed {
        error: "Wisaw.Transient".into(),
        cause: "the store was down".into(),
    };
    super::persist(&s.metadata, failed, failure, 0)
        .await
        .unwrap();
    for id in [ready, rejected, failed] {
        super::uploaded(&s.blobs, id, "image/jpeg", file.clone()).await;
    }

    // Killed while it publishes: the original stays for the rerun.
    s.killed_while_publishing(ready).await;
    assert!(original_kept(&s, ready).await);

    for id in [ready, rejected] {
        s.announcer().handle(notify_input(id)).await.unwrap();
        assert!(!original_kept(&s, id).await, "{id} is announced");
        // A rerun (the step's retry after a crash past the delete) deletes nothing twice.
        s.announcer().handle(notify_input(id)).await.unwrap();
    }
    // A failed photo is not announced, and its original waits for the operator's replay.
    s.notify_fails(failed, "a failed photo is not announced")
        .await;
    assert!(original_kept(&s, failed).await);
}

#[tokio::test]
async fn a_failed_publish_is_retried_and_the_retry_publishes() {
    let s = stack().await;
    let id = ready_photo(&s.metadata).await;

    s.notifier.down.store(true, Ordering::SeqCst);
    let error = s.notify_fails(id, "the endpoint is down").await;
    assert_eq!(error.kind, StepErrorKind::Transient);
    assert_eq!(s.metadata.photo_events(id).await.unwrap()[0].sent_at, None);

    s.notifier.down.store(false, Ordering::SeqCst);
    let retry = s.announcer().handle(notify_input(id)).await.unwrap();
    assert!(retry.published, "the failed publish left the event waiting");
    assert_eq!(s.notifier.events().len(), 1);
}

#[tokio::test]
async fn a_crash_while_publishing_leaves_the_event_for_the_rerun_or_the_sweep() {
    let s = stack().await;
    let id = ready_photo(&s.metadata).await;
    let other = ready_photo(&s.metadata).await;

    s.killed_while_publishing(id).await;

    let rerun = s.announcer().handle(notify_input(id)).await.unwrap();
    assert!(rerun.published);
    let events = s.notifier.events();
    assert_eq!(
        events.len(),
        1,
        "the rerun must publish what the crash lost"
    );
    assert_eq!(events[0].event_id, format!("{id}:photo.ready:0"));

    // No step ran for the other photo: the sweep publishes it, once.
    let later = chrono::Utc::now() + chrono::Duration::seconds(1);
    let report = s.announcer().sweep(later, 10).await.unwrap();
    assert_eq!((report.published, report.failed), (1, 0));
    assert_eq!(
        s.notifier.events()[1].event_id,
        format!("{other}:photo.ready:0")
    );
    let report = s.announcer().sweep(later, 10).await.unwrap();
    assert_eq!((report.published, report.failed), (0, 0), "nothing left");
}

/// The notify function's payloads: the state machine's step, and the schedule's sweep.
#[tokio::test]
async fn the_notify_function_takes_a_step_or_a_sweep_and_refuses_anything_else() {
    use serde_json::json;
    let s = stack().await;
    let stepped = ready_photo(&s.metadata).await;
    let swept = ready_photo(&s.metadata).await;

    let answer = s
        .invoke(json!({"photoId": stepped, "attempt": 0}))
        .await
        .unwrap();
    assert_eq!(
        answer,
        json!({"eventType": "photo.ready", "published": true})
    );
    // Only what waited longer than asked is swept: nothing yet, then the other photo.
    let sweep = |seconds: i64| json!({"sweep": {"olderThanSeconds": seconds, "limit": 10}});
    let answer = s.invoke(sweep(3600)).await.unwrap();
    assert_eq!(answer, json!({"published": 0, "failed": 0}));
    let answer = s.invoke(sweep(0)).await.unwrap();
    assert_eq!(answer, json!({"published": 1, "failed": 0}));
    let ids: Vec<_> = s
        .notifier
        .events()
        .into_iter()
        .map(|e| e.photo_id)
        .collect();
    assert_eq!(ids, vec![stepped, swept]);

    for bad in [
        json!({"sweep": {"olderThanSeconds": -1, "limit": 10}}),
        json!({"sweep": true}),
        json!({"photoId": "not-a-uuid"}),
        json!([]),
    ] {
        let error = s.invoke(bad.clone()).await.unwrap_err();
        assert_eq!(error.kind, StepErrorKind::Permanent, "{bad}");
    }
}

/// The schedule's sweep reads the database only while a dead letter waits: an
/// announcement is left waiting only by an execution that gave up, and those end in the
/// dead-letter queue. At rest it answers without asking for the metadata store at all.
#[tokio::test]
async fn the_scheduled_sweep_touches_the_database_only_while_a_dead_letter_waits() {
    use serde_json::json;
    let s = stack().await;
    let waiting = ready_photo(&s.metadata).await;
    let scheduled =
        json!({"sweep": {"olderThanSeconds": 0, "limit": 10, "onlyWhileDeadLettersWait": true}});

    // No dead letter: skipped, and the announcer (the database) never asked for.
    let answer = wisaw_notify::invoke(scheduled.clone(), &s.dead_letters, || async {
        Err::<Announcer<'_>, _>(wisaw_domain::StepError::permanent(
            "the database was asked for",
        ))
    })
    .await
    .unwrap();
    assert_eq!(
        answer,
        json!({"published": 0, "failed": 0, "skipped": true})
    );
    assert!(s.notifier.events().is_empty());

    // A dead letter waits (the notify step of that photo gave up): the sweep publishes.
    s.dead_letters
        .send(&json!({"photoId": waiting}).to_string())
        .await
        .unwrap();
    let answer = s.invoke(scheduled.clone()).await.unwrap();
    assert_eq!(answer, json!({"published": 1, "failed": 0}));
    assert_eq!(s.notifier.events()[0].photo_id, waiting);

    // Received by an operator's replay and not yet deleted, it still counts.
    let held = s
        .dead_letters
        .receive(
            1,
            std::time::Duration::from_secs(60),
            std::time::Duration::ZERO,
        )
        .await
        .unwrap();
    assert_eq!(held.len(), 1);
    let other = ready_photo(&s.metadata).await;
    let answer = s.invoke(scheduled.clone()).await.unwrap();
    assert_eq!(answer, json!({"published": 1, "failed": 0}));
    assert_eq!(s.notifier.events()[1].photo_id, other);

    // A sweep asked for by hand sweeps whatever waits, dead letters or not.
    s.dead_letters
        .delete(&held[0].receipt_handle)
        .await
        .unwrap();
    let last = ready_photo(&s.metadata).await;
    let answer = s
        .invoke(json!({"sweep": {"olderThanSeconds": 0, "limit": 10}}))
        .await
        .unwrap();
    assert_eq!(answer, json!({"published": 1, "failed": 0}));
    assert_eq!(s.notifier.events()[2].photo_id, last);
}
