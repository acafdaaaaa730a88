//! `dispatch_message` over the real SQLite store and a recording orchestrator.

use bytes::Bytes;
use wisaw_domain::contracts::DeadLetter;
use wisaw_domain::ingest::S3Notification;
use wisaw_domain::ports::{BlobStore, MetadataStore};
use wisaw_domain::{PhotoId, PhotoStatus, PortError};
use wisaw_ingest::DispatchPorts;
use wisaw_ingest::{dispatch_message, DispatchError};
use wisaw_testkit::ports::LocalStores as Harness;

fn ports(h: &Harness) -> DispatchPorts {
    DispatchPorts {
        metadata: h.metadata.clone(),
        orchestrator: h.orchestrator.clone(),
        blobs: h.blobs.clone(),
    }
}

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
    let photo = h.create_a_photo().await;
    let body = upload_event(&h, photo.id);

    let first = dispatch_message(&ports(&h), &body).await.unwrap();
    assert_eq!(first.started, vec![photo.id.execution_name(0)]);
    let second = dispatch_message(&ports(&h), &body).await.unwrap();
    assert!(second.started.is_empty(), "{second:?}");
    assert_eq!(second.already_started, vec![photo.id.execution_name(0)]);

    assert_eq!(h.orchestrator.names(), vec![photo.id.execution_name(0)]);
    let (_, input) = h.orchestrator.started.lock().unwrap()[0].clone();
    assert_eq!((input.photo_id, input.attempt), (photo.id, 0));
    let stored = h.metadata.get_photo(photo.id).await.unwrap().unwrap();
    assert_eq!(stored.status, PhotoStatus::Processing);
    assert_eq!(stored.execution_name, Some(photo.id.execution_name(0)));
}

#[tokio::test]
async fn unknown_and_finished_photos_are_ignored() {
    let h = Harness::new().await;
    let unknown = PhotoId::new_random();
    let report = dispatch_message(&ports(&h), &upload_event(&h, unknown))
        .await
        .unwrap();
    assert_eq!(
        (report.started.len(), report.ignored.len()),
        (0, 1),
        "{report:?}"
    );

    let done = h.create_a_photo().await;
    h.make_ready(&done).await;
    let replay = DeadLetter {
        photo_id: done.id,
        attempt: 1,
        execution_name: None,
        error: None,
    };
    let body = serde_json::to_string(&replay).unwrap();
    let report = dispatch_message(&ports(&h), &body).await.unwrap();
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
        let error = dispatch_message(&ports(&h), garbage).await.unwrap_err();
        assert!(matches!(error, DispatchError::Unreadable(_)), "{error:?}");
        assert!(!error.is_transient());
    }

    let photo = h.create_a_photo().await;
    let body = upload_event(&h, photo.id);
    h.orchestrator
        .unavailable
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let error = dispatch_message(&ports(&h), &body).await.unwrap_err();
    assert!(error.is_transient(), "{error:?}");

    // The retry of the same message starts the execution once the orchestrator is back.
    h.orchestrator
        .unavailable
        .store(false, std::sync::atomic::Ordering::SeqCst);
    let report = dispatch_message(&ports(&h), &body).await.unwrap();
    assert_eq!(report.started, vec![photo.id.execution_name(0)]);
}

async fn store_upload(h: &Harness, key: &str) {
    h.blobs
        .put(
            key,
            "image/jpeg",
            Bytes::from_static(b"original with EXIF and GPS"),
        )
        .await
        .unwrap();
}

async fn is_stored(h: &Harness, key: &str) -> bool {
    match h.blobs.get(key).await {
        Ok(_) => true,
        Err(PortError::NotFound(_)) => false,
        Err(other) => panic!("reading {key}: {other}"),
    }
}

#[tokio::test]
async fn an_upload_for_a_deleted_photo_is_deleted_at_once() {
    let h = Harness::new().await;
    let photo = h.create_a_photo().await;
    // The photo is deleted, then its still-valid ticket is used.
    assert!(h.metadata.delete_photo(photo.id).await.unwrap());
    let key = photo.id.upload_key();
    store_upload(&h, &key).await;

    let body = upload_event(&h, photo.id);
    let report = dispatch_message(&ports(&h), &body).await.unwrap();
    assert_eq!(report.deleted_uploads, vec![key.clone()], "{report:?}");
    assert!(report.started.is_empty(), "{report:?}");
    assert!(!is_stored(&h, &key).await, "the original is still stored");
    assert!(h.orchestrator.names().is_empty());

    // The same event delivered again finds nothing to delete, and is done with.
    let again = dispatch_message(&ports(&h), &body).await.unwrap();
    assert_eq!(again.deleted_uploads, vec![key]);
}

#[tokio::test]
async fn an_upload_no_ticket_named_is_deleted_at_once() {
    let h = Harness::new().await;
    let unknown = PhotoId::new_random();
    let key = unknown.upload_key();
    store_upload(&h, &key).await;

    let report = dispatch_message(&ports(&h), &upload_event(&h, unknown))
        .await
        .unwrap();
    assert_eq!(report.deleted_uploads, vec![key.clone()], "{report:?}");
    assert!(!is_stored(&h, &key).await);
}

#[tokio::test]
async fn a_message_cannot_name_the_object_dispatch_deletes() {
    let h = Harness::new().await;
    let unknown = PhotoId::new_random();
    // Replays as messages once carried them, naming an object: another object of the
    // store, one in another bucket, the id spelled another way (it parses as the same
    // photo, but is another key). Only the photo's own upload, derived from its id,
    // is an orphan to delete.
    let rendition = unknown.thumb_key();
    let other_spelling = format!("uploads/{}", unknown.0.simple());
    let named = [
        (h.blobs.bucket().to_string(), rendition.clone()),
        ("another-bucket".to_string(), unknown.upload_key()),
        (h.blobs.bucket().to_string(), other_spelling.clone()),
    ];
    for (bucket, source_key) in named {
        for key in [&rendition, &other_spelling, &unknown.upload_key()] {
            store_upload(&h, key).await;
        }
        let body = serde_json::json!({
            "photoId": unknown, "bucket": bucket, "sourceKey": source_key, "attempt": 1
        })
        .to_string();
        let report = dispatch_message(&ports(&h), &body).await.unwrap();
        assert_eq!(
            report.deleted_uploads,
            vec![unknown.upload_key()],
            "{report:?}"
        );
        assert!(!is_stored(&h, &unknown.upload_key()).await);
        for key in [&rendition, &other_spelling] {
            assert!(is_stored(&h, key).await, "{key} was deleted");
        }
    }
}

#[tokio::test]
async fn the_upload_of_a_known_photo_is_kept() {
    let h = Harness::new().await;
    let photo = h.create_a_photo().await;
    let key = photo.id.upload_key();
    store_upload(&h, &key).await;
    let report = dispatch_message(&ports(&h), &upload_event(&h, photo.id))
        .await
        .unwrap();
    assert_eq!(report.started, vec![photo.id.execution_name(0)]);
    assert!(report.deleted_uploads.is_empty());
    assert!(is_stored(&h, &key).await);
}
