//! The four handlers over the real local adapters: a folder for the blobs, SQLite for
//! the metadata and the notification queue.

use wisaw_testkit::pictures as common;

use common::{jpeg, quadrants};
use std::sync::Arc;
use wisaw_adapters::blobs_fs::LocalBlobStore;
use wisaw_adapters::queues_sqlite::{LocalQueue, LocalQueues};
use wisaw_adapters::sqlite::SqliteMetadataStore;
use wisaw_adapters::sqlite_file::open_sqlite_file;
use wisaw_domain::contracts::{
    ImageFormat, NotifyInput, Outcome, PersistInput, SourceImage, ThumbnailInput,
};
use wisaw_domain::model::NewPhoto;
use wisaw_domain::ports::{BlobStore, MetadataStore, PhotoEvent, QueueNotifier};
use wisaw_domain::{PhotoId, PhotoStatus, StepErrorKind};
use wisaw_notify as notify;
use wisaw_persist as persist;
use wisaw_testkit::photos::new_photo;
use wisaw_thumbnail as thumbnail;
use wisaw_validate as validate;

struct Stack {
    _dir: tempfile::TempDir,
    blobs: LocalBlobStore,
    metadata: SqliteMetadataStore,
    notifications: LocalQueue,
    notifier: QueueNotifier<Arc<LocalQueue>>,
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
    let notifications = queues.queue("notifications");
    let notifier = QueueNotifier::new(Arc::new(notifications.clone()));
    Stack {
        _dir: dir,
        blobs,
        metadata,
        notifications,
        notifier,
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
    persist::handle(
        metadata,
        PersistInput {
            photo_id: id,
            outcome: ready(id),
        },
    )
    .await
    .unwrap();
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

async fn published(queue: &LocalQueue) -> Vec<PhotoEvent> {
    let messages = queue.peek(100).await.unwrap();
    messages
        .iter()
        .map(|m| serde_json::from_str(&m.body).unwrap())
        .collect()
}

#[tokio::test]
async fn validate_reads_the_blob_and_trusts_only_its_bytes() {
    let s = stack().await;
    let id = PhotoId::new_random();
    // Declared as a PNG; the bytes are a JPEG turned by EXIF.
    let file = jpeg::with_orientation(&jpeg::encode(&quadrants(400, 200), 90), 6);
    s.blobs
        .put(&id.upload_key(), "image/png", file.into())
        .await
        .unwrap();
    let input = SourceImage {
        photo_id: id,
        source_key: id.upload_key(),
    };
    let output = validate::handle(&s.blobs, input).await.unwrap();
    let image = output.image.expect("accepted");
    assert_eq!(image.format, ImageFormat::Jpeg);
    assert_eq!((image.upright_width, image.upright_height), (200, 400));

    s.blobs
        .put(
            &id.upload_key(),
            "image/jpeg",
            b"%PDF-1.4 not a photo".to_vec().into(),
        )
        .await
        .unwrap();
    let input = SourceImage {
        photo_id: id,
        source_key: id.upload_key(),
    };
    let output = validate::handle(&s.blobs, input).await.unwrap();
    assert_eq!(output.rejection.unwrap().code, "not_an_image");
}

#[tokio::test]
async fn validate_of_a_missing_upload_is_a_permanent_error() {
    let s = stack().await;
    let id = PhotoId::new_random();
    let input = SourceImage {
        photo_id: id,
        source_key: id.upload_key(),
    };
    let error = validate::handle(&s.blobs, input)
        .await
        .expect_err("nothing to read");
    assert_eq!(error.kind, StepErrorKind::Permanent);
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
        source_key: id.upload_key(),
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
    let input = PersistInput {
        photo_id: id,
        outcome: ready(id),
    };

    let first = persist::handle(&s.metadata, input.clone()).await.unwrap();
    assert_eq!((first.status, first.changed), (PhotoStatus::Ready, true));
    let again = persist::handle(&s.metadata, input).await.unwrap();
    assert_eq!((again.status, again.changed), (PhotoStatus::Ready, false));
    let photo = s.metadata.get_photo(id).await.unwrap().unwrap();
    assert_eq!(photo.thumb_key, Some(id.thumb_key()));
    assert_eq!((photo.width, photo.height), (Some(400), Some(200)));

    // A contradicting outcome is refused for good; a late "failed" leaves the photo be.
    let rejected = Outcome::Rejected {
        reason_code: "corrupt".into(),
        reason: "r".into(),
    };
    let error = persist::handle(
        &s.metadata,
        PersistInput {
            photo_id: id,
            outcome: rejected,
        },
    )
    .await
    .expect_err("ready stays ready");
    assert_eq!(error.kind, StepErrorKind::Permanent);
    let failed = Outcome::Failed {
        error: "Wisaw.Transient".into(),
        cause: "timeout".into(),
    };
    let output = persist::handle(
        &s.metadata,
        PersistInput {
            photo_id: id,
            outcome: failed,
        },
    )
    .await
    .unwrap();
    assert_eq!((output.status, output.changed), (PhotoStatus::Ready, false));
}

#[tokio::test]
async fn persist_of_a_photo_deleted_in_flight_succeeds_without_change() {
    let s = stack().await;
    let id = processing_photo(&s.metadata).await;
    assert!(s.metadata.delete_photo(id).await.unwrap());
    let output = persist::handle(
        &s.metadata,
        PersistInput {
            photo_id: id,
            outcome: ready(id),
        },
    )
    .await
    .unwrap();
    assert!(!output.changed);
    assert!(s.metadata.get_photo(id).await.unwrap().is_none());
}

#[tokio::test]
async fn notify_announces_a_ready_photo_once_with_signed_links() {
    let s = stack().await;
    let id = ready_photo(&s.metadata).await;

    let first = notify::handle(
        &s.metadata,
        &s.blobs,
        &s.notifier,
        NotifyInput {
            photo_id: id,
            attempt: 0,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (first.event_type.as_str(), first.published),
        ("photo.ready", true)
    );
    let again = notify::handle(
        &s.metadata,
        &s.blobs,
        &s.notifier,
        NotifyInput {
            photo_id: id,
            attempt: 0,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (again.event_type.as_str(), again.published),
        ("photo.ready", false)
    );

    let events = published(&s.notifications).await;
    assert_eq!(events.len(), 1, "rerun published again: {events:?}");
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
}

#[tokio::test]
async fn notify_announces_a_rejection_with_its_reason() {
    let s = stack().await;
    let id = processing_photo(&s.metadata).await;
    let outcome = Outcome::Rejected {
        reason_code: "not_an_image".into(),
        reason: "This file is not a photo: it looks like a PDF document.".into(),
    };
    persist::handle(
        &s.metadata,
        PersistInput {
            photo_id: id,
            outcome,
        },
    )
    .await
    .unwrap();
    let output = notify::handle(
        &s.metadata,
        &s.blobs,
        &s.notifier,
        NotifyInput {
            photo_id: id,
            attempt: 0,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (output.event_type.as_str(), output.published),
        ("photo.rejected", true)
    );
    let events = published(&s.notifications).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].reason_code.as_deref(), Some("not_an_image"));
    assert!(events[0].reason.as_deref().unwrap().contains("PDF"));
    assert!(events[0].thumb_url.is_none() && events[0].image_url.is_none());
}

#[tokio::test]
async fn notify_refuses_unfinished_photos_and_skips_deleted_ones() {
    let s = stack().await;
    let id = processing_photo(&s.metadata).await;
    let error = notify::handle(
        &s.metadata,
        &s.blobs,
        &s.notifier,
        NotifyInput {
            photo_id: id,
            attempt: 0,
        },
    )
    .await
    .expect_err("still processing");
    assert_eq!(error.kind, StepErrorKind::Permanent);

    let gone = PhotoId::new_random();
    let output = notify::handle(
        &s.metadata,
        &s.blobs,
        &s.notifier,
        NotifyInput {
            photo_id: gone,
            attempt: 0,
        },
    )
    .await
    .unwrap();
    assert!(!output.published);
    assert!(published(&s.notifications).await.is_empty());
}

#[tokio::test]
async fn a_failed_publish_is_retried_and_the_retry_publishes() {
    let s = stack().await;
    let id = ready_photo(&s.metadata).await;

    // A notification queue whose database has gone away.
    let broken_pool = open_sqlite_file(&s._dir.path().join("broken.db"))
        .await
        .unwrap();
    let broken_queues = LocalQueues::from_pool(broken_pool.clone()).await.unwrap();
    let broken = QueueNotifier::new(Arc::new(broken_queues.queue("notifications")));
    broken_pool.close().await;
    let error = notify::handle(
        &s.metadata,
        &s.blobs,
        &broken,
        NotifyInput {
            photo_id: id,
            attempt: 0,
        },
    )
    .await
    .expect_err("the queue is down");
    assert_eq!(error.kind, StepErrorKind::Transient);

    let retry = notify::handle(
        &s.metadata,
        &s.blobs,
        &s.notifier,
        NotifyInput {
            photo_id: id,
            attempt: 0,
        },
    )
    .await
    .unwrap();
    assert!(retry.published, "the failed publish left nothing recorded");
    assert_eq!(published(&s.notifications).await.len(), 1);
}

/// A notifier that never finishes publishing: the process is killed mid-publish.
struct HangingNotifier;

#[async_trait::async_trait]
impl wisaw_domain::ports::Notifier for HangingNotifier {
    async fn publish(&self, _event: &PhotoEvent) -> wisaw_domain::ports::PortResult<()> {
        std::future::pending().await
    }
}

#[tokio::test]
async fn a_crash_while_publishing_leaves_the_event_for_the_rerun() {
    let s = stack().await;
    let id = ready_photo(&s.metadata).await;

    // The step is killed while it publishes: its future is dropped half-way.
    let killed = tokio::time::timeout(
        std::time::Duration::from_millis(200),
        notify::handle(
            &s.metadata,
            &s.blobs,
            &HangingNotifier,
            NotifyInput {
                photo_id: id,
                attempt: 0,
            },
        ),
    )
    .await;
    assert!(killed.is_err(), "the publish was meant to hang");

    let rerun = notify::handle(
        &s.metadata,
        &s.blobs,
        &s.notifier,
        NotifyInput {
            photo_id: id,
            attempt: 0,
        },
    )
    .await
    .unwrap();
    assert!(rerun.published);
    let events = published(&s.notifications).await;
    assert_eq!(
        events.len(),
        1,
        "the rerun must publish what the crash lost"
    );
    assert_eq!(events[0].event_id, format!("{id}:photo.ready:0"));
}
