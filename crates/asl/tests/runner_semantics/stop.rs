//! Stopping an execution: a running one ends ABORTED with its error and cause, on disk,
//! its task dropped; a second stop changes nothing; one that ended otherwise is refused.

use crate::support::*;
use serde_json::json;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;
use wisaw_asl::{ExecutionStatus, RunnerError, StopError};

/// The two-step machine with its second task held (called, never answering), and
/// execution `name` started and waiting in it.
async fn held_in_second(name: &str) -> Harness {
    let (entered_tx, entered_rx) = mpsc::channel();
    let harness = Harness::two_steps(Behaviour::Hold(Mutex::new(entered_tx))).await;
    harness.runner.start(name, json!({"id": 1})).await.unwrap();
    tokio::task::spawn_blocking(move || entered_rx.recv_timeout(WAIT))
        .await
        .unwrap()
        .expect("the held task was called");
    harness
}

#[tokio::test]
async fn a_stopped_execution_ends_aborted_with_its_error_and_cause_on_disk() {
    let harness = held_in_second("stop-me").await;
    let runner = &harness.runner;
    assert_eq!(runner.in_flight(), 1);

    let stopped = runner
        .stop("stop-me", Some("Manual"), Some("an operator stopped it"))
        .await
        .unwrap();
    assert_eq!(stopped.status, ExecutionStatus::Aborted);
    assert_eq!(stopped.error.as_deref(), Some("Manual"));
    assert_eq!(stopped.cause.as_deref(), Some("an operator stopped it"));
    assert_eq!(stopped.output, None);
    assert!(stopped.checkpoint.is_none(), "{stopped:?}");
    assert!(stopped.stop_date.unwrap() >= stopped.start_date);
    assert_eq!(runner.in_flight(), 0, "the held task was dropped");
    // A waiter sees the end at once, not after the task it waited on.
    let waited = tokio::time::timeout(Duration::from_secs(1), runner.wait_for("stop-me", WAIT))
        .await
        .expect("the end woke the waiter")
        .unwrap();
    assert_eq!(waited, stopped);

    let history = runner.history("stop-me").await.unwrap();
    let last = history.last().unwrap();
    assert_eq!(last.event_type, "ExecutionAborted");
    assert_eq!(
        last.details,
        json!({"cause": "an operator stopped it", "error": "Manual"})
    );
    assert_eq!(last.id, stopped.last_event_id);
    assert_eq!(last.previous_event_id, last.id - 1);
    assert_eq!(
        event_types(&history[..history.len() - 1]).last(),
        Some(&"TaskStarted"),
        "nothing of the dropped task was written after the stop"
    );

    // A process opening the file later reads it stopped and resumes nothing.
    let reopened = open_runner(
        harness.database(),
        fixture("two_steps.asl.json"),
        Arc::new(two_steps_invoker(Behaviour::Echo)),
    )
    .await
    .unwrap();
    assert_eq!(reopened.resume_unfinished().await.unwrap(), 0);
    assert_eq!(reopened.describe("stop-me").await.unwrap(), Some(stopped));
    assert_eq!(reopened.history("stop-me").await.unwrap(), history);
}

#[tokio::test]
async fn stopping_an_aborted_execution_again_changes_nothing() {
    let harness = held_in_second("twice").await;
    let first = harness.runner.stop("twice", None, None).await.unwrap();
    let events = harness.runner.history("twice").await.unwrap();
    assert_eq!(events.last().unwrap().details, json!({}));
    assert_eq!(
        (first.error.as_deref(), first.cause.as_deref()),
        (None, None)
    );

    let again = harness
        .runner
        .stop("twice", Some("Other"), Some("a later reason"))
        .await
        .unwrap();
    assert_eq!(again, first, "the first stop's date, error and cause stand");
    assert_eq!(harness.runner.history("twice").await.unwrap(), events);
}

#[tokio::test]
async fn stopping_an_execution_that_ended_otherwise_is_refused() {
    let harness = Harness::two_steps(Behaviour::Echo).await;
    let done = harness.run("done", json!({"id": 2})).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded);

    let refused = harness.runner.stop("done", Some("Manual"), None).await;
    assert!(
        matches!(
            refused,
            Err(StopError::NotRunning {
                status: ExecutionStatus::Succeeded,
                ..
            })
        ),
        "{refused:?}"
    );
    assert_eq!(harness.runner.describe("done").await.unwrap(), Some(done));

    let unknown = harness.runner.stop("never-started", None, None).await;
    assert!(
        matches!(unknown, Err(StopError::Runner(RunnerError::NotFound(_)))),
        "{unknown:?}"
    );
}
