//! The `dispatch` Lambda handler fed SQS events as Lambda delivers them (fixtures
//! under `fixtures/events/`), over the real SQLite store and a recording orchestrator.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use bytes::Bytes;
use serde_json::json;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use wisaw_adapters::blobs_fs::LocalBlobStore;
use wisaw_domain::contracts::Outcome;
use wisaw_domain::model::{CreatePhoto, NewPhoto};
use wisaw_domain::ports::{BlobStore, MetadataStore};
use wisaw_domain::{PhotoId, PhotoStatus, PortError};
use wisaw_ingest::lambda::batch_response;
use wisaw_ingest::lambda::{dispatch_batch, dispatch_records};
use wisaw_ingest::DispatchPorts;
use wisaw_testkit::fixtures::event_fixture;
use wisaw_testkit::ports::LocalStores as Harness;

/// The photos the fixtures name.
const PHOTO_A: &str = "0b6f5c2e-7a8d-4c1e-9f00-123456789abc";
const PHOTO_B: &str = "5d0c8a3e-2f41-4b7a-8e6d-0a1b2c3d4e5f";
const REPLAYED: &str = "9a7e6b5c-4d3e-4f2a-9b1c-8d7e6f5a4b3c";
const BUCKET: &str = "wisaw-test-123456789012-eu-west-1";

fn event(name: &str) -> SqsEvent {
    event_fixture(env!("CARGO_MANIFEST_DIR"), name)
}

fn ports(h: &Harness) -> DispatchPorts {
    DispatchPorts {
        metadata: h.metadata.clone(),
        orchestrator: h.orchestrator.clone(),
        blobs: h.blobs.clone(),
    }
}

fn id(text: &str) -> PhotoId {
    text.parse().unwrap()
}

/// A photo whose ticket was issued: the row an upload notification finds.
async fn awaiting_upload(h: &Harness, photo: &str) {
    let new = NewPhoto {
        id: id(photo),
        lat: 37.7749,
        lon: -122.4194,
        ..wisaw_testkit::photos::new_photo("image/jpeg", 2_483_112)
    };
    assert!(matches!(
        h.metadata.create_photo(&new).await.unwrap(),
        CreatePhoto::Created(_)
    ));
}

fn failures(response: &SqsBatchResponse) -> Vec<&str> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect()
}

#[tokio::test]
async fn an_upload_notification_starts_its_execution_and_a_key_that_is_no_photo_is_ignored() {
    let h = Harness::new().await;
    awaiting_upload(&h, PHOTO_A).await;

    let outcomes = dispatch_records(&ports(&h), event("sqs_s3_object_created.json")).await;

    assert_eq!(outcomes.len(), 2);
    let upload = outcomes[0].result.as_ref().expect("the upload dispatches");
    assert_eq!(upload.started, vec![PHOTO_A.to_string()]);
    let started = h.orchestrator.started.lock().unwrap().clone();
    let (name, input) = &started[0];
    assert_eq!(name, PHOTO_A);
    assert_eq!((input.photo_id, input.attempt), (id(PHOTO_A), 0));
    let photo = h.metadata.get_photo(id(PHOTO_A)).await.unwrap().unwrap();
    assert_eq!(photo.status, PhotoStatus::Processing);

    // `holiday+snap+%2B1.jpg` on the wire is the key `holiday snap +1.jpg`: decoded, it
    // is no photo id, so the record is done with (not retried) and starts nothing.
    let other = outcomes[1]
        .result
        .as_ref()
        .expect("an ignored key is not a failure");
    assert!(other.started.is_empty());
    assert_eq!(other.ignored.len(), 1, "{other:?}");
    assert!(
        other.ignored[0].contains("uploads/holiday snap +1.jpg"),
        "the key is read as S3 encoded it: {}",
        other.ignored[0]
    );
    assert_eq!(h.orchestrator.names(), vec![PHOTO_A.to_string()]);
}

#[tokio::test]
async fn the_same_notification_delivered_twice_starts_one_execution() {
    let h = Harness::new().await;
    awaiting_upload(&h, PHOTO_A).await;
    for _ in 0..2 {
        let response = dispatch_batch(&ports(&h), event("sqs_s3_object_created.json")).await;
        assert!(response.batch_item_failures.is_empty(), "{response:?}");
    }
    assert_eq!(h.orchestrator.names(), vec![PHOTO_A.to_string()]);
}

#[tokio::test]
async fn a_replay_starts_the_next_attempt_of_a_failed_photo() {
    let h = Harness::new().await;
    awaiting_upload(&h, REPLAYED).await;
    let photo = id(REPLAYED);
    h.metadata
        .mark_processing(photo, &photo.execution_name(0))
        .await
        .unwrap();
    let failed = Outcome::Failed {
        error: "Wisaw.Transient".into(),
        cause: "the store was down".into(),
    };
    h.metadata.record_outcome(photo, &failed, 0).await.unwrap();

    let response = dispatch_batch(&ports(&h), event("sqs_replay.json")).await;

    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert_eq!(h.orchestrator.names(), vec![format!("{REPLAYED}-replay-1")]);
    let (_, input) = h.orchestrator.started.lock().unwrap()[0].clone();
    assert_eq!(input.attempt, 1);
    let stored = h.metadata.get_photo(photo).await.unwrap().unwrap();
    assert_eq!(stored.status, PhotoStatus::Processing);
}

#[tokio::test]
async fn only_the_garbage_record_of_a_batch_is_reported_for_a_retry() {
    let h = Harness::new().await;
    awaiting_upload(&h, PHOTO_A).await;
    awaiting_upload(&h, PHOTO_B).await;

    let response = dispatch_batch(&ports(&h), event("sqs_batch_with_garbage.json")).await;

    assert_eq!(
        failures(&response),
        vec!["a1b2c3d4-0002-4000-8000-000000000002"]
    );
    let mut names = h.orchestrator.names();
    names.sort();
    assert_eq!(names, vec![PHOTO_A.to_string(), PHOTO_B.to_string()]);
    // What the Lambda runtime sends back, as the event source mapping reads it.
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        json!({ "batchItemFailures": [
            { "itemIdentifier": "a1b2c3d4-0002-4000-8000-000000000002" }
        ] })
    );
}

#[tokio::test]
async fn records_are_retried_while_the_orchestrator_is_down() {
    let h = Harness::new().await;
    awaiting_upload(&h, PHOTO_A).await;
    awaiting_upload(&h, PHOTO_B).await;
    h.orchestrator.unavailable.store(true, Ordering::SeqCst);

    let response = dispatch_batch(&ports(&h), event("sqs_batch_with_garbage.json")).await;

    // The two uploads and the garbage; the S3 test event never needed the orchestrator.
    assert_eq!(
        failures(&response),
        vec![
            "a1b2c3d4-0001-4000-8000-000000000001",
            "a1b2c3d4-0002-4000-8000-000000000002",
            "a1b2c3d4-0003-4000-8000-000000000003",
        ]
    );

    // Once it is back, the redelivered records start their executions.
    h.orchestrator.unavailable.store(false, Ordering::SeqCst);
    let retry = dispatch_batch(&ports(&h), event("sqs_batch_with_garbage.json")).await;
    assert_eq!(
        failures(&retry),
        vec!["a1b2c3d4-0002-4000-8000-000000000002"]
    );
    assert_eq!(h.orchestrator.names().len(), 2);
}

#[tokio::test]
async fn an_upload_notification_for_a_photo_that_is_gone_deletes_the_upload() {
    let h = Harness::new().await;
    // The store of the fixtures' bucket, with the original PHOTO_A's ticket put there.
    let dir = tempfile::tempdir().unwrap();
    let blobs = Arc::new(
        LocalBlobStore::new(dir.path(), "http://127.0.0.1:9/blobs", b"test secret")
            .unwrap()
            .with_bucket(BUCKET),
    );
    let key = format!("uploads/{PHOTO_A}");
    blobs
        .put(&key, "image/jpeg", Bytes::from_static(b"original"))
        .await
        .unwrap();
    let ports = DispatchPorts {
        blobs: blobs.clone(),
        ..ports(&h)
    };

    // PHOTO_A has no row: its ticket was never issued, or the photo was deleted since.
    let outcomes = dispatch_records(&ports, event("sqs_s3_object_created.json")).await;
    let upload = outcomes[0]
        .result
        .as_ref()
        .expect("the record is done with");
    assert_eq!(upload.deleted_uploads, vec![key.clone()]);
    assert!(matches!(blobs.get(&key).await, Err(PortError::NotFound(_))));
    assert!(h.orchestrator.names().is_empty());
    let response = batch_response(&outcomes);
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
}
