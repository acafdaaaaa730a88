//! The real upload definition: ready, rejected and failed photos.

use crate::support::*;
use serde_json::json;
use wisaw_asl::{ExecutionStatus, StartOutcome, StateMachine, TaskFailure};
use wisaw_domain::contracts::{
    DeadLetter, ExecutionInput, ImageFormat, ImageInfo, PersistInput, ValidateOutput,
};
use wisaw_domain::ids::PhotoId;

/// Workers that answer as the real ones would, chosen by the source key.
fn upload_invoker() -> TestInvoker {
    let image = ImageInfo {
        format: ImageFormat::Jpeg,
        width: 4000,
        height: 3000,
        orientation: 6,
        upright_width: 3000,
        upright_height: 4000,
    };
    let rendition = |key: &str| json!({"key": key, "width": 300, "height": 400, "bytes": 1234});
    TestInvoker::default()
        .with(
            "validate",
            Behaviour::Reply(Box::new(move |payload| {
                match payload["sourceKey"].as_str().unwrap_or_default() {
                    key if key.ends_with("broken") => Err(TaskFailure::new(
                        "Wisaw.Permanent",
                        "the upload is unreadable",
                    )),
                    key if key.ends_with("text") => Ok(serde_json::to_value(
                        ValidateOutput::rejected("not_an_image", "This is text."),
                    )
                    .unwrap()),
                    _ => Ok(serde_json::to_value(ValidateOutput::accepted(image.clone())).unwrap()),
                }
            })),
        )
        .with(
            "thumbnail",
            Behaviour::Reply(Box::new(move |_| {
                Ok(json!({"thumb": rendition("t.webp"), "display": rendition("d.webp")}))
            })),
        )
        .with(
            "persist",
            Behaviour::Reply(Box::new(|_| {
                Ok(json!({"status": "ready", "changed": true}))
            })),
        )
        .with(
            "notify",
            Behaviour::Reply(Box::new(|_| {
                Ok(json!({"eventType": "photo.ready", "published": true}))
            })),
        )
}

#[tokio::test]
async fn the_upload_definition_runs_ready_rejected_and_failed_photos() {
    let machine =
        StateMachine::load_file("upload", upload_definition(), &upload_substitutions()).unwrap();
    let harness = Harness::new(machine, upload_invoker()).await;
    let start = |suffix: &str| {
        let photo = PhotoId::new_random();
        ExecutionInput {
            photo_id: photo,
            bucket: "b".into(),
            source_key: format!("uploads/{photo}-{suffix}"),
            attempt: 0,
        }
    };
    let (ready, rejected, failed) = (start("ok"), start("text"), start("broken"));
    for input in [&ready, &rejected, &failed] {
        assert_eq!(
            harness
                .runner
                .start(
                    &input.execution_name(),
                    serde_json::to_value(input).unwrap()
                )
                .await
                .unwrap(),
            StartOutcome::Started
        );
    }

    let done = harness
        .runner
        .wait_for(&ready.execution_name(), WAIT)
        .await
        .unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    let done = harness
        .runner
        .wait_for(&rejected.execution_name(), WAIT)
        .await
        .unwrap();
    assert_eq!(
        done.status,
        ExecutionStatus::Succeeded,
        "a rejection is not a failure: {done:?}"
    );
    let done = harness
        .runner
        .wait_for(&failed.execution_name(), WAIT)
        .await
        .unwrap();
    assert_eq!(done.status, ExecutionStatus::Failed);
    assert_eq!(done.error.as_deref(), Some("PhotoFailed"));

    // What persist received deserialises into the contract, with the values the paths picked.
    let persisted: Vec<PersistInput> = harness
        .invoker
        .calls_to("persist")
        .into_iter()
        .map(|call| serde_json::from_value(call.payload).unwrap())
        .collect();
    let outcome_of = |photo: PhotoId| {
        let found = persisted.iter().find(|p| p.photo_id == photo).unwrap();
        serde_json::to_value(&found.outcome).unwrap()
    };
    assert_eq!(
        outcome_of(ready.photo_id),
        json!({"status": "ready", "width": 3000, "height": 4000, "thumbKey": "t.webp", "displayKey": "d.webp"})
    );
    assert_eq!(
        outcome_of(rejected.photo_id),
        json!({"status": "rejected", "reasonCode": "not_an_image", "reason": "This is text."})
    );
    assert_eq!(
        outcome_of(failed.photo_id),
        json!({"status": "failed", "error": "Wisaw.Permanent", "cause": "the upload is unreadable"})
    );
    assert_eq!(
        harness.invoker.calls_to("notify").len(),
        2,
        "ready and rejected photos are announced"
    );

    let letters = harness.invoker.calls_to("sqs");
    assert_eq!(letters.len(), 1);
    let letter: DeadLetter = serde_json::from_value(letters[0].payload.clone()).unwrap();
    assert_eq!(letter.photo_id, failed.photo_id);
    assert_eq!(letter.source_key, failed.source_key);
    assert_eq!(
        letter.execution_name.as_deref(),
        Some(failed.execution_name().as_str())
    );
    assert_eq!(letter.error.unwrap()["Error"], "Wisaw.Permanent");
}
