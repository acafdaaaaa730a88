//! Executions by name: a second start, histories and listings read back from the file, a
//! shutdown that leaves work to resume.

use crate::support::*;
use serde_json::{json, Value};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;
use wisaw_asl::{ExecutionStatus, ListPosition, RunnerError, StartOutcome};
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

#[tokio::test]
async fn listings_page_newest_first_without_skipping_or_repeating() {
    let harness = Harness::two_steps(Behaviour::Echo).await;
    let runner = &harness.runner;
    let mut names: Vec<String> = (0..7).map(|i| format!("page-{i}")).collect();
    for name in &names {
        runner.start(name, json!({"id": name})).await.unwrap();
    }

    let first = runner.list_after(None, None, 3).await.unwrap();
    assert_eq!(first.len(), 3);
    // One started between two pages is newer than the cursor: the rest do not shift.
    runner.start("late", json!({"id": "late"})).await.unwrap();
    let mut listed = first;
    loop {
        let after = listed.last().map(ListPosition::after);
        let page = runner.list_after(None, after.as_ref(), 3).await.unwrap();
        assert!(page.len() <= 3);
        if page.is_empty() {
            break;
        }
        listed.extend(page);
    }
    let listed_names: Vec<&str> = listed.iter().map(|r| r.name.as_str()).collect();
    names.sort();
    names.reverse();
    let mut sorted = listed_names.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(
        sorted, names,
        "each of the seven once, and not the late one"
    );
    for pair in listed.windows(2) {
        let (newer, older) = (&pair[0], &pair[1]);
        assert!(
            (newer.start_date, &newer.name) > (older.start_date, &older.name),
            "{listed_names:?}"
        );
    }
    let everything: Vec<String> = runner
        .list(None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(everything[0], "late");
    assert_eq!(everything[1..], listed_names);
}

#[tokio::test]
async fn a_machine_in_a_region_and_account_names_itself_and_its_executions_there() {
    let local = fixture("two_steps.asl.json");
    assert_eq!((local.region(), local.account()), ("local", "000000000000"));
    assert_eq!(
        local.arn(),
        "arn:aws:states:local:000000000000:stateMachine:two_steps"
    );

    let ids = || {
        load_inline(json!({"StartAt": "Ids", "States": {
            "Ids": {"Type": "Pass", "Next": "Call", "Parameters": {
                "execution.$": "$$.Execution.Id",
                "machine.$": "$$.StateMachine.Id",
                "role.$": "$$.Execution.RoleArn"}},
            "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
                "Parameters": {"FunctionName": "echo", "Payload.$": "$"}, "ResultPath": null}}}))
        .unwrap()
    };
    let machine = ids()
        .with_region_and_account("us-east-1", "123456789012")
        .unwrap();
    let machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:inline";
    let role_arn = "arn:aws:iam::123456789012:role/wisaw-local-runner";
    assert_eq!(machine.arn(), machine_arn);
    assert_eq!(machine.role_arn(), role_arn);
    let harness = Harness::new(
        machine,
        TestInvoker::default().with("echo", Behaviour::Echo),
    )
    .await;
    let done = harness.run("e-1", json!({})).await;
    let execution_arn = "arn:aws:states:us-east-1:123456789012:execution:inline:e-1";
    assert_eq!(done.execution_id, execution_arn);
    assert_eq!(harness.runner.execution_id("e-1"), execution_arn);
    assert_eq!(
        done.output,
        Some(json!({"execution": execution_arn, "machine": machine_arn, "role": role_arn}))
    );
    let history = harness.runner.history("e-1").await.unwrap();
    assert_eq!(history[0].details["stateMachineArn"], machine_arn);
    let scheduled = history
        .iter()
        .find(|event| event.event_type == "TaskScheduled")
        .unwrap();
    assert_eq!(scheduled.details["region"], "us-east-1");

    for (region, account) in [
        ("", "123456789012"),
        ("us:east-1", "123456789012"),
        ("US-EAST-1", "123456789012"),
        ("us-east-1", "1234"),
        ("us-east-1", "12345678901x"),
    ] {
        let refused = ids().with_region_and_account(region, account);
        assert!(refused.is_err(), "{region} {account}");
    }
}
