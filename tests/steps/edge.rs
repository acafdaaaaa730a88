//! The step edge with the real handlers: JSON in, the contract's JSON or a typed error out.

use bytes::Bytes;
use serde_json::json;
use serde_json::Value;
use wisaw_adapters::blobs_fs::LocalBlobStore;
use wisaw_adapters::sqlite::SqliteMetadataStore;
use wisaw_domain::error::{ORIGINAL_GONE_ERROR, PERMANENT_ERROR, TRANSIENT_ERROR};
use wisaw_domain::model::NewPhoto;
use wisaw_domain::ports::{BlobStore, MetadataStore};
use wisaw_domain::PhotoId;
use wisaw_domain::StepError;
use wisaw_step::{run_step, Step};

/// Each step through the edge, as the Lambda binaries and `wisaw serve` call it.
async fn validate(blobs: &dyn BlobStore, payload: Value) -> Result<Value, StepError> {
    run_step(Step::Validate, payload, |input| {
        wisaw_validate::handle(blobs, input)
    })
    .await
}

async fn thumbnail(blobs: &dyn BlobStore, payload: Value) -> Result<Value, StepError> {
    run_step(Step::Thumbnail, payload, |input| {
        wisaw_thumbnail::handle(blobs, input)
    })
    .await
}

async fn persist(metadata: &dyn MetadataStore, payload: Value) -> Result<Value, StepError> {
    run_step(Step::Persist, payload, |input| {
        wisaw_persist::handle(metadata, input)
    })
    .await
}

struct Stores {
    _dir: tempfile::TempDir,
    metadata: SqliteMetadataStore,
    blobs: LocalBlobStore,
}

async fn stores() -> Stores {
    let dir = tempfile::tempdir().unwrap();
    let metadata = SqliteMetadataStore::open(dir.path().join("wisaw.db"))
        .await
        .unwrap();
    let blobs = LocalBlobStore::new(dir.path().join("blobs"), "http://127.0.0.1:9", b"k").unwrap();
    Stores {
        _dir: dir,
        metadata,
        blobs,
    }
}

fn png(width: u32, height: u32) -> Bytes {
    let mut out = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(width, height, image::Rgb([200, 30, 30]))
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    Bytes::from(out.into_inner())
}

#[tokio::test]
async fn a_step_answers_its_contract_as_json() {
    let s = stores().await;
    let photo = PhotoId::new_random();
    s.blobs
        .put(&photo.upload_key(), "image/png", png(40, 30))
        .await
        .unwrap();
    let output = validate(&s.blobs, json!({ "photoId": photo }))
        .await
        .unwrap();
    assert_eq!(output["accepted"], true);
    assert_eq!(output["image"]["format"], "png");
    assert_eq!(output["image"]["uprightWidth"], 40);
    assert_eq!(output["rejection"], Value::Null);
}

#[tokio::test]
async fn a_payload_off_the_contract_is_a_permanent_error() {
    let s = stores().await;
    let error = persist(&s.metadata, json!({ "photoId": "not-a-uuid" }))
        .await
        .unwrap_err();
    assert_eq!(error.error_name(), PERMANENT_ERROR);
    assert!(error.message.contains("persist"), "{error:?}");
}

/// An original no longer in the store is its own error, for validate and thumbnail alike:
/// the state machine has the photo's announcement confirmed rather than failing it.
#[tokio::test]
async fn a_missing_original_is_gone_and_a_port_outage_transient() {
    let s = stores().await;
    let photo = PhotoId::new_random();
    let missing = validate(&s.blobs, json!({ "photoId": photo }))
        .await
        .unwrap_err();
    assert_eq!(missing.error_name(), ORIGINAL_GONE_ERROR);
    assert!(
        missing.message.contains("the original is gone"),
        "{missing:?}"
    );
    let missing = thumbnail(
        &s.blobs,
        json!({
            "photoId": photo,
            "image": { "format": "png", "width": 4, "height": 4, "orientation": 1,
                       "uprightWidth": 4, "uprightHeight": 4 }
        }),
    )
    .await
    .unwrap_err();
    assert_eq!(missing.error_name(), ORIGINAL_GONE_ERROR);

    let outage = run_step(
        Step::Notify,
        json!({ "photoId": photo }),
        |_: Value| async {
            Err::<Value, _>(StepError::from(wisaw_domain::PortError::Unavailable(
                "connection refused".into(),
            )))
        },
    )
    .await
    .unwrap_err();
    assert_eq!(outage.error_name(), TRANSIENT_ERROR);
    assert!(outage.message.contains("connection refused"));
}

#[tokio::test]
async fn persist_records_the_outcome_the_state_machine_sends() {
    let s = stores().await;
    let photo = PhotoId::new_random();
    s.metadata
        .create_photo(&NewPhoto {
            id: photo,
            ..wisaw_testkit::photos::new_photo("image/png", 10)
        })
        .await
        .unwrap();
    s.metadata
        .mark_processing(photo, &photo.execution_name(0))
        .await
        .unwrap();
    // The MarkRejected state's payload.
    let payload = json!({
        "photoId": photo,
        "outcome": { "status": "rejected", "reasonCode": "not_an_image",
                     "reason": "The file is not an image." }
    });
    let first = persist(&s.metadata, payload.clone()).await.unwrap();
    // Its output is notify's input too: the state machine passes it on as it is.
    assert_eq!(
        first,
        json!({ "photoId": photo, "attempt": 0, "status": "rejected", "changed": true })
    );
    let rerun = persist(&s.metadata, payload).await.unwrap();
    assert_eq!(rerun["changed"], false);
}
