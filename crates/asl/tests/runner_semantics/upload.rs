//! The real upload definition: ready, rejected and failed photos.

use crate::support::*;
use serde_json::json;
use wisaw_asl::{ExecutionStatus, StartOutcome, StateMachine, TaskFailure};
use wisaw_domain::contracts::{
    DeadLetter, ExecutionInput, ImageFormat, ImageInfo, NotifyInput, PersistInput, PersistOutput,
    ValidateOutput,
};
use wisaw_domain::ids::PhotoId;

/// Persist's answer as the real one gives it: the announcement it recorded (the photo
/// and the attempt, which the states after it read), the status, and whether it changed.
fn persisted(payload: &serde_json::Value) -> serde_json::Value {
    let input: PersistInput = serde_json::from_value(payload.clone()).unwrap();
    serde_json::to_value(PersistOutput {
        announcement: NotifyInput {
            photo_id: input.photo_id,
            attempt: input.attempt,
        },
        status: input.outcome.status(),
        changed: true,
    })
    .unwrap()
}

/// An execution's input for a new photo.
fn a_photo() -> ExecutionInput {
    ExecutionInput {
        photo_id: PhotoId::new_random(),
        attempt: 0,
    }
}

/// Workers that answer as the real ones would: `text` is not an image, `broken`
/// cannot be read, any other photo is a good JPEG.
fn upload_invoker(text: PhotoId, broken: PhotoId) -> TestInvoker {
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
            Behaviour::Reply(Box::new(move |payload| match payload["photoId"] {
                ref id if *id == json!(broken) => Err(TaskFailure::new(
                    "Wisaw.Permanent",
                    "the upload is unreadable",
                )),
                ref id if *id == json!(text) => Ok(serde_json::to_value(ValidateOutput::rejected(
                    "not_an_image",
                    "This is text.",
                ))
                .unwrap()),
                _ => Ok(serde_json::to_value(ValidateOutput::accepted(image.clone())).unwrap()),
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
            Behaviour::Reply(Box::new(|payload| Ok(persisted(payload)))),
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
    let (ready, rejected, failed) = (a_photo(), a_photo(), a_photo());
    let harness = Harness::new(machine, upload_invoker(rejected.photo_id, failed.photo_id)).await;
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
    assert_eq!(letter.attempt, failed.attempt);
    assert_eq!(
        letter.execution_name.as_deref(),
        Some(failed.execution_name().as_str())
    );
    assert_eq!(letter.error.unwrap()["Error"], "Wisaw.Permanent");
}

/// Workers as another execution of the same photo leaves them: the original is gone for
/// validate (the photos `gone_early`) or, for any other photo, for thumbnail; notify
/// confirms every photo's announcement but `unannounced`'s, which is still processing.
fn original_gone_invoker(gone_early: [PhotoId; 2], unannounced: PhotoId) -> TestInvoker {
    let gone = || TaskFailure::new("Wisaw.OriginalGone", "the original is gone");
    let image = ImageInfo {
        format: ImageFormat::Png,
        width: 4,
        height: 4,
        orientation: 1,
        upright_width: 4,
        upright_height: 4,
    };
    TestInvoker::default()
        .with(
            "validate",
            Behaviour::Reply(Box::new(move |payload| {
                if gone_early.iter().any(|id| payload["photoId"] == json!(id)) {
                    return Err(gone());
                }
                Ok(serde_json::to_value(ValidateOutput::accepted(image.clone())).unwrap())
            })),
        )
        .with(
            "thumbnail",
            Behaviour::Reply(Box::new(move |_| Err(gone()))),
        )
        .with(
            "persist",
            Behaviour::Reply(Box::new(|payload| Ok(persisted(payload)))),
        )
        .with(
            "notify",
            Behaviour::Reply(Box::new(move |payload| {
                if payload["photoId"] == json!(unannounced) {
                    return Err(TaskFailure::new(
                        "Wisaw.Permanent",
                        "the photo is processing; only ready and rejected photos are announced",
                    ));
                }
                Ok(json!({"eventType": "photo.ready", "published": false}))
            })),
        )
}

/// An original is deleted only once its photo is announced, so an execution that finds it
/// gone (at validate or at thumbnail) has nothing left to do once notify confirms the
/// announcement: it succeeds, with no dead letter. If notify finds the photo unannounced,
/// that is a real failure, recorded and dead-lettered with the original's error.
#[tokio::test]
async fn an_original_already_gone_ends_quietly_once_notify_confirms_the_announcement() {
    let machine =
        StateMachine::load_file("upload", upload_definition(), &upload_substitutions()).unwrap();
    let (at_validate, at_thumbnail, unannounced) = (a_photo(), a_photo(), a_photo());
    let harness = Harness::new(
        machine,
        original_gone_invoker(
            [at_validate.photo_id, unannounced.photo_id],
            unannounced.photo_id,
        ),
    )
    .await;
    for input in [&at_validate, &at_thumbnail, &unannounced] {
        let name = input.execution_name();
        let done = harness
            .run(&name, serde_json::to_value(input).unwrap())
            .await;
        let expected = if input == &unannounced {
            ExecutionStatus::Failed
        } else {
            ExecutionStatus::Succeeded
        };
        assert_eq!(done.status, expected, "{done:?}");
        let history = harness.runner.history(&name).await.unwrap();
        let entered: Vec<&str> = history
            .iter()
            .filter(|event| event.event_type.ends_with("StateEntered"))
            .map(|event| event.details["name"].as_str().unwrap())
            .collect();
        assert!(entered.contains(&"ConfirmAnnounced"), "{entered:?}");
        assert!(!entered.contains(&"Persist"), "{entered:?}");
    }

    let letters = harness.invoker.calls_to("sqs");
    assert_eq!(
        letters.len(),
        1,
        "only the unannounced photo is dead-lettered"
    );
    let letter: DeadLetter = serde_json::from_value(letters[0].payload.clone()).unwrap();
    assert_eq!(letter.photo_id, unannounced.photo_id);
    assert_eq!(letter.error.unwrap()["Error"], "Wisaw.OriginalGone");
    let marked: Vec<PersistInput> = harness
        .invoker
        .calls_to("persist")
        .into_iter()
        .map(|call| serde_json::from_value(call.payload).unwrap())
        .collect();
    assert_eq!(marked.len(), 1, "nothing recorded for the announced photos");
    assert_eq!(marked[0].photo_id, unannounced.photo_id);
    assert_eq!(
        serde_json::to_value(&marked[0].outcome).unwrap()["error"],
        "Wisaw.OriginalGone"
    );
}
