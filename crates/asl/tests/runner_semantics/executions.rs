//! Executions by name: a second start, histories and listings read back from the file, a
//! shutdown that leaves work to resume.

use crate::support::*;
use serde_json::{json, Value};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;
use wisaw_asl::{ExecutionStatus, RunnerError, StartOutcome};
use wisaw_domain::contracts::ExecutionInput;
use wisaw_domain::ids::PhotoId;

#[tokio::test]
async fn a_second_start_with_the_same_name_already_exists() {
    let harness = Harness::two_steps(Behaviour::Echo).await;
    let runner = &harness.runner;

    assert_eq!(
        runner.start("same", json!({"id": 1})).await.unwrap(),
        StartOutcome::Started
    );
    // While it runs (same or other input), and after it finished: the name is taken.
    assert_eq!(
        runner.start("same", json!({"id": 1})).await.unwrap(),
        StartOutcome::AlreadyExists
    );
    assert_eq!(
        runner.start("same", json!({"id": 2})).await.unwrap(),
        StartOutcome::AlreadyExists
    );
    runner.wait_for("same", WAIT).await.unwrap();
    assert_eq!(
        runner.start("same", json!({"id": 1})).await.unwrap(),
        StartOutcome::AlreadyExists
    );
    assert_eq!(
        harness.invoker.calls_to("echo").len(),
        1,
        "the duplicates ran nothing"
    );

    // With the pipeline's input type and execution name.
    let photo = PhotoId::new_random();
    let input = ExecutionInput {
        photo_id: photo,
        bucket: "b".into(),
        source_key: photo.upload_key(),
        attempt: 0,
    };
    let name = input.execution_name();
    let as_json = serde_json::to_value(&input).unwrap();
    assert_eq!(
        runner.start(&name, as_json.clone()).await.unwrap(),
        StartOutcome::Started
    );
    assert_eq!(
        runner.start(&name, as_json).await.unwrap(),
        StartOutcome::AlreadyExists
    );
    let record = runner.describe(&name).await.unwrap().unwrap();
    assert_eq!(
        record.execution_id,
        format!("arn:aws:states:local:000000000000:execution:two_steps:{name}")
    );
    assert!(runner.describe("never-started").await.unwrap().is_none());
    assert!(
        runner.start("bad name", json!({})).await.is_err(),
        "whitespace is not allowed in a name"
    );
}

#[tokio::test]
async fn history_and_listings_are_read_back_from_the_file() {
    let harness = Harness::two_steps(Behaviour::Echo).await;
    harness.run("older", json!({"id": "a"})).await;
    harness.run("newer", json!({"id": "b"})).await;
    let failing = TestInvoker::default().with("echo", Behaviour::Fail("Wisaw.Permanent"));

    // A fresh runner on the same file sees everything the first one wrote.
    let reader = open_runner(
        harness.database(),
        fixture("two_steps.asl.json"),
        Arc::new(failing),
    )
    .await
    .unwrap();
    let history = reader.history("older").await.unwrap();
    assert_eq!(
        event_types(&history),
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "SucceedStateEntered",
            "SucceedStateExited",
            "ExecutionSucceeded",
        ]
    );
    for (index, event) in history.iter().enumerate() {
        assert_eq!(event.id, index as i64 + 1);
        assert_eq!(event.previous_event_id, index as i64);
    }
    assert_eq!(history[0].details["input"], json!({"id": "a"}).to_string());
    assert_eq!(history[1].details["name"], "First");
    let scheduled: Value =
        serde_json::from_str(history[2].details["parameters"].as_str().unwrap()).unwrap();
    assert_eq!(
        scheduled,
        json!({"FunctionName": "echo", "Payload": {"step": 1, "id": "a"}})
    );
    assert_eq!(history[2].details["resourceType"], "lambda");
    assert_eq!(history[2].details["resource"], "invoke");
    let output: Value =
        serde_json::from_str(history[13].details["output"].as_str().unwrap()).unwrap();
    assert_eq!(
        output,
        json!({"id": "a", "first": {"step": 1}, "second": {"step": 2}})
    );

    reader.start("failed", json!({"id": "c"})).await.unwrap();
    reader.wait_for("failed", WAIT).await.unwrap();
    for (status, limit, expected) in [
        (None, 10, &["failed", "newer", "older"][..]),
        (None, 1, &["failed"]),
        (Some(ExecutionStatus::Succeeded), 10, &["newer", "older"]),
        (Some(ExecutionStatus::Failed), 10, &["failed"]),
    ] {
        let listed: Vec<String> = reader
            .list(status, limit)
            .await
            .unwrap()
            .into_iter()
            .map(|record| record.name)
            .collect();
        assert_eq!(listed, expected, "{status:?}, limit {limit}");
    }
    let failed = reader.describe("failed").await.unwrap().unwrap();
    assert!(failed.stop_date.unwrap() >= failed.start_date);
    assert!(reader.history("never-started").await.is_err());
}

#[tokio::test]
async fn shutdown_stops_new_work_and_leaves_in_flight_executions_to_resume() {
    let (entered_tx, entered_rx) = mpsc::channel();
    let harness = Harness::two_steps(Behaviour::Hold(Mutex::new(entered_tx))).await;
    harness
        .runner
        .start("held", json!({"id": 1}))
        .await
        .unwrap();
    tokio::task::spawn_blocking(move || entered_rx.recv_timeout(WAIT))
        .await
        .unwrap()
        .unwrap();

    harness.runner.shutdown(Duration::from_millis(50)).await;
    assert_eq!(harness.runner.in_flight(), 0);
    assert!(matches!(
        harness.runner.start("late", json!({"id": 2})).await,
        Err(RunnerError::ShuttingDown)
    ));
    assert_eq!(
        harness
            .runner
            .describe("held")
            .await
            .unwrap()
            .unwrap()
            .status,
        ExecutionStatus::Running
    );

    let (next, _) = resume_to_success(
        harness.database(),
        fixture("two_steps.asl.json"),
        Arc::new(two_steps_invoker(Behaviour::Echo)),
        "held",
    )
    .await;
    assert!(next.describe("late").await.unwrap().is_none());
}
