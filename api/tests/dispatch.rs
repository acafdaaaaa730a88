//! `dispatch_message` over the real SQLite store and a recording orchestrator.

mod common;

use chrono::Utc;
use common::Harness;
use wisaw_api::{dispatch_message, DispatchError};
use wisaw_core::contracts::DeadLetter;
use wisaw_core::ingest::S3Notification;
use wisaw_core::ports::{BlobStore, MetadataStore};
use wisaw_core::{DeviceId, PhotoId, PhotoStatus};

fn upload_event(h: &Harness, photo: PhotoId) -> String {
    let note = S3Notification::object_created(
        h.blobs.bucket(),
        &photo.upload_key(),
        1000,
        "2026-01-01T00:00:00Z",
    );
    serde_json::to_string(&note).unwrap()
}

#[tokio::test]
async fn a_duplicate_upload_event_starts_one_execution() {
    let h = Harness::new().await;
    let photo = h
        .create_photo(DeviceId::new_random(), 1.0, 2.0, Utc::now())
        .await;
    let body = upload_event(&h, photo.id);

    let first = dispatch_message(h.metadata.as_ref(), h.orchestrator.as_ref(), &body)
        .await
        .unwrap();
    assert_eq!(first.started, vec![photo.id.execution_name(0)]);
    let second = dispatch_message(h.metadata.as_ref(), h.orchestrator.as_ref(), &body)
        .await
        .unwrap();
    assert!(second.started.is_empty(), "{second:?}");
    assert_eq!(second.already_started, vec![photo.id.execution_name(0)]);

    assert_eq!(h.orchestrator.names(), vec![photo.id.execution_name(0)]);
    let (_, input) = h.orchestrator.started.lock().unwrap()[0].clone();
    assert_eq!(
        (input.photo_id, input.source_key, input.attempt),
        (photo.id, photo.id.upload_key(), 0)
    );
    let stored = h.metadata.get_photo(photo.id).await.unwrap().unwrap();
    assert_eq!(stored.status, PhotoStatus::Processing);
    assert_eq!(stored.execution_name, Some(photo.id.execution_name(0)));
}

#[tokio::test]
async fn unknown_and_finished_photos_are_ignored() {
    let h = Harness::new().await;
    let unknown = PhotoId::new_random();
    let report = dispatch_message(
        h.metadata.as_ref(),
        h.orchestrator.as_ref(),
        &upload_event(&h, unknown),
    )
    .await
    .unwrap();
    assert_eq!(
        (report.started.len(), report.ignored.len()),
        (0, 1),
        "{report:?}"
    );

    let done = h
        .create_photo(DeviceId::new_random(), 1.0, 2.0, Utc::now())
        .await;
    h.make_ready(&done).await;
    let replay = DeadLetter {
        photo_id: done.id,
        bucket: h.blobs.bucket().to_string(),
        source_key: done.id.upload_key(),
        attempt: 1,
        execution_name: None,
        error: None,
    };
    let body = serde_json::to_string(&replay).unwrap();
    let report = dispatch_message(h.metadata.as_ref(), h.orchestrator.as_ref(), &body)
        .await
        .unwrap();
    assert_eq!(report.ignored.len(), 1, "{report:?}");
    assert!(h.orchestrator.names().is_empty());
    assert_eq!(
        h.metadata.get_photo(done.id).await.unwrap().unwrap().status,
        PhotoStatus::Ready
    );
}

#[tokio::test]
async fn garbage_is_permanent_and_an_unavailable_orchestrator_is_transient() {
    let h = Harness::new().await;
    for garbage in ["not json", "{\"hello\": 1}", "[]"] {
        let error = dispatch_message(h.metadata.as_ref(), h.orchestrator.as_ref(), garbage)
            .await
            .unwrap_err();
        assert!(matches!(error, DispatchError::Unreadable(_)), "{error:?}");
        assert!(!error.is_transient());
    }

    let photo = h
        .create_photo(DeviceId::new_random(), 1.0, 2.0, Utc::now())
        .await;
    let body = upload_event(&h, photo.id);
    h.orchestrator
        .unavailable
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let error = dispatch_message(h.metadata.as_ref(), h.orchestrator.as_ref(), &body)
        .await
        .unwrap_err();
    assert!(error.is_transient(), "{error:?}");

    // The retry of the same message starts the execution once the orchestrator is back.
    h.orchestrator
        .unavailable
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let report = dispatch_message(h.metadata.as_ref(), h.orchestrator.as_ref(), &body)
        .await
        .unwrap();
    assert_eq!(report.started, vec![photo.id.execution_name(0)]);
}
