//! The Lambda side of the workers: a raw Step Functions payload to the step's
//! contract type, the step's `handle`, and back to JSON.
//!
//! A failure is reported with the error *type* set to [`StepError::error_name`]
//! (`Wisaw.Transient` / `Wisaw.Permanent`): Step Functions copies a Lambda's
//! `errorType` into the task's `Error`, which is what the state machine's `Retry`
//! and `Catch` match. A payload that does not fit the contract is permanent, so it
//! goes straight to the failure path instead of being retried. The payload is taken
//! as JSON rather than as the contract type so that the runtime's own deserialisation
//! error (whose type is a Rust type name) never reaches the state machine.

use lambda_runtime::Diagnostic;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::future::Future;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;
use wisaw_core::ports::{BlobStore, MetadataStore, Notifier};
use wisaw_core::StepError;

/// The Lambda error a step failure becomes.
pub fn diagnostic(error: &StepError) -> Diagnostic {
    Diagnostic {
        error_type: error.error_name().to_string(),
        error_message: error.message.clone(),
    }
}

/// Runs one step on its payload, inside a span carrying the photo id so that every
/// log line of the invocation names the photo.
pub async fn run_step<I, O, F, Fut>(
    step: &'static str,
    payload: Value,
    handler: F,
) -> Result<Value, Diagnostic>
where
    I: DeserializeOwned,
    O: Serialize,
    F: FnOnce(I) -> Fut,
    Fut: Future<Output = Result<O, StepError>>,
{
    let photo_id = payload
        .get("photoId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let span = tracing::info_span!("step", step, photo_id = %photo_id);
    async move {
        let result = async {
            let input: I = serde_json::from_value(payload)
                .map_err(|e| StepError::permanent(format!("bad {step} payload: {e}")))?;
            let output = handler(input).await?;
            serde_json::to_value(output).map_err(|e| StepError::permanent(e.to_string()))
        }
        .await;
        result.map_err(|error| {
            tracing::warn!(error_type = error.error_name(), %error, "step failed");
            diagnostic(&error)
        })
    }
    .instrument(span)
    .await
}

pub async fn validate(blobs: &dyn BlobStore, payload: Value) -> Result<Value, Diagnostic> {
    run_step("validate", payload, |input| {
        crate::validate::handle(blobs, input)
    })
    .await
}

pub async fn thumbnail(blobs: &dyn BlobStore, payload: Value) -> Result<Value, Diagnostic> {
    run_step("thumbnail", payload, |input| {
        crate::thumbnail::handle(blobs, input)
    })
    .await
}

pub async fn persist(metadata: &dyn MetadataStore, payload: Value) -> Result<Value, Diagnostic> {
    run_step("persist", payload, |input| {
        crate::persist::handle(metadata, input)
    })
    .await
}

pub async fn notify(
    metadata: &dyn MetadataStore,
    blobs: &dyn BlobStore,
    notifier: &dyn Notifier,
    payload: Value,
) -> Result<Value, Diagnostic> {
    run_step("notify", payload, |input| {
        crate::notify::handle(metadata, blobs, notifier, input)
    })
    .await
}

/// JSON logs for CloudWatch, with the span fields (photo id, request id) on every
/// line. `WISAW_LOG` (an env-filter) overrides the level.
pub fn init_json_logs() {
    let filter =
        EnvFilter::try_from_env("WISAW_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(true)
        .with_ansi(false)
        .with_target(false)
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use chrono::Utc;
    use serde_json::json;
    use wisaw_core::adapters::local_fs::LocalBlobStore;
    use wisaw_core::adapters::sqlite::SqliteMetadataStore;
    use wisaw_core::error::{PERMANENT_ERROR, TRANSIENT_ERROR};
    use wisaw_core::model::NewPhoto;
    use wisaw_core::{DeviceId, PhotoId};

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
        let blobs =
            LocalBlobStore::new(dir.path().join("blobs"), "http://127.0.0.1:9", b"k").unwrap();
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
        let output = validate(
            &s.blobs,
            json!({ "photoId": photo, "sourceKey": photo.upload_key() }),
        )
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
        assert_eq!(error.error_type, PERMANENT_ERROR);
        assert!(error.error_message.contains("persist"), "{error:?}");
    }

    #[tokio::test]
    async fn a_missing_upload_is_permanent_and_a_port_outage_transient() {
        let s = stores().await;
        let photo = PhotoId::new_random();
        let missing = thumbnail(
            &s.blobs,
            json!({
                "photoId": photo,
                "sourceKey": photo.upload_key(),
                "image": { "format": "png", "width": 4, "height": 4, "orientation": 1,
                           "uprightWidth": 4, "uprightHeight": 4 }
            }),
        )
        .await
        .unwrap_err();
        assert_eq!(missing.error_type, PERMANENT_ERROR);

        let outage = run_step("notify", json!({ "photoId": photo }), |_: Value| async {
            Err::<Value, _>(StepError::from(wisaw_core::PortError::Unavailable(
                "connection refused".into(),
            )))
        })
        .await
        .unwrap_err();
        assert_eq!(outage.error_type, TRANSIENT_ERROR);
        assert!(outage.error_message.contains("connection refused"));
    }

    #[tokio::test]
    async fn persist_records_the_outcome_the_state_machine_sends() {
        let s = stores().await;
        let photo = PhotoId::new_random();
        s.metadata
            .create_photo(&NewPhoto {
                id: photo,
                device_id: DeviceId::new_random(),
                lat: 1.0,
                lon: 2.0,
                content_type: "image/png".into(),
                content_length: 10,
                created_at: Utc::now(),
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
        assert_eq!(first, json!({ "status": "rejected", "changed": true }));
        let rerun = persist(&s.metadata, payload).await.unwrap();
        assert_eq!(rerun["changed"], false);
    }
}
