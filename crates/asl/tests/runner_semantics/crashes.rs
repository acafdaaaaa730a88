//! A crash at any point: an execution resumes from its checkpoint, a Parallel branch runs
//! again with its variables, a Wait waits only what is left.

use crate::support::*;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use wisaw_asl::{ExecutionRecord, ExecutionStatus, StateMachine};

/// Starts `name` in a runtime that is torn down, as a killed process would be, once
/// its held task is called; `invoker` gets the behaviour that holds. Returns what the
/// file held at the crash, and the invoker.
fn crash_while_held(
    database: &Path,
    machine: StateMachine,
    invoker: impl FnOnce(Behaviour) -> TestInvoker,
    name: &str,
    input: Value,
) -> (ExecutionRecord, Arc<TestInvoker>) {
    let (entered_tx, entered_rx) = mpsc::channel();
    let invoker = Arc::new(invoker(Behaviour::Hold(Mutex::new(entered_tx))));
    let crashed = runtime_to_crash();
    let runner = crashed.block_on(async {
        let runner = open_runner(database, machine, invoker.clone())
            .await
            .unwrap();
        runner.start(name, input).await.unwrap();
        runner
    });
    entered_rx
        .recv_timeout(WAIT)
        .expect("the held task was called");
    let record = crashed.block_on(runner.describe(name)).unwrap().unwrap();
    crashed.shutdown_background();
    drop(runner);
    (record, invoker)
}

/// Phase one runs in a runtime that is torn down while `Second` is in flight,
/// as a killed process would be; phase two opens the same file and resumes.
#[test]
fn an_execution_interrupted_by_a_crash_resumes_from_its_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("runner.sqlite");

    let (record, first_invoker) = crash_while_held(
        &database,
        fixture("two_steps.asl.json"),
        two_steps_invoker,
        "crash-1",
        json!({"id": 9}),
    );
    assert_eq!(record.status, ExecutionStatus::Running);
    assert_eq!(record.checkpoint.as_ref().unwrap().state, "Second");

    let restarted = tokio::runtime::Runtime::new().unwrap();
    restarted.block_on(async {
        let invoker = Arc::new(two_steps_invoker(Behaviour::Echo));
        let (runner, done) = resume_to_success(
            &database,
            fixture("two_steps.asl.json"),
            invoker.clone(),
            "crash-1",
        )
        .await;
        assert_eq!(
            done.output,
            Some(json!({"id": 9, "first": {"step": 1}, "second": {"step": 2}}))
        );
        assert!(
            invoker.calls_to("echo").is_empty(),
            "First had finished before the crash and does not run again"
        );
        assert_eq!(invoker.calls_to("gate").len(), 1);

        let history = runner.history("crash-1").await.unwrap();
        let scheduled = history
            .iter()
            .filter(|e| e.event_type == "TaskScheduled")
            .count();
        assert_eq!(
            scheduled, 3,
            "First once, Second before and after the crash"
        );
        assert!(history
            .iter()
            .enumerate()
            .all(|(i, e)| e.id == i as i64 + 1));
        assert_eq!(runner.resume_unfinished().await.unwrap(), 0);
    });
    assert_eq!(first_invoker.calls_to("echo").len(), 1);
}

/// A crash inside a Parallel branch: the Parallel state runs again, whole, from its
/// checkpoint, and the variables assigned before it come back from the file.
#[test]
fn a_crash_inside_a_parallel_branch_runs_the_state_again_with_its_variables() {
    let definition = json!({"StartAt": "Start", "States": {
        "Start": {"Type": "Pass", "Assign": {"photo.$": "$.id"}, "Next": "Both"},
        "Both": {"Type": "Parallel", "End": true, "Branches": [{"StartAt": "Gate", "States": {
            "Gate": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
                     "Parameters": {"FunctionName": "gate", "Payload": {"photo.$": "$photo"}},
                     "ResultSelector": {"photo.$": "$.Payload.photo"}}}}]}}});
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("runner.sqlite");

    let (record, _) = crash_while_held(
        &database,
        load_inline(definition.clone()).unwrap(),
        |hold| TestInvoker::default().with("gate", hold),
        "crash-parallel",
        json!({"id": 9}),
    );
    let checkpoint = record.checkpoint.unwrap();
    assert_eq!(checkpoint.state, "Both");
    assert_eq!(checkpoint.variables.get("photo"), Some(&json!(9)));
    assert_eq!(
        checkpoint.entered_event_id, 4,
        "ExecutionStarted, Start in and out, Both in"
    );

    let restarted = tokio::runtime::Runtime::new().unwrap();
    restarted.block_on(async {
        let invoker = Arc::new(TestInvoker::default().with("gate", Behaviour::Echo));
        let (runner, done) = resume_to_success(
            &database,
            load_inline(definition).unwrap(),
            invoker,
            "crash-parallel",
        )
        .await;
        assert_eq!(done.output, Some(json!([{"photo": 9}])));
        let history = runner.history("crash-parallel").await.unwrap();
        let started = history
            .iter()
            .filter(|e| e.event_type == "ParallelStateStarted")
            .count();
        assert_eq!(started, 2, "the Parallel state before and after the crash");
    });
}

/// A relative Wait counts from when the state was entered: after a restart it
/// waits only what is left.
#[test]
fn a_wait_resumed_after_a_crash_waits_only_what_is_left() {
    let definition = json!({"StartAt": "Pause", "States": {
        "Pause": {"Type": "Wait", "Seconds": 3, "End": true}}});
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("runner.sqlite");
    let crashed = tokio::runtime::Runtime::new().unwrap();
    let started_at = Instant::now();
    let runner = crashed.block_on(async {
        let runner = open_runner(
            &database,
            load_inline(definition.clone()).unwrap(),
            Arc::new(TestInvoker::default()),
        )
        .await
        .unwrap();
        runner.start("crash-wait", json!({})).await.unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
        runner
    });
    crashed.shutdown_background();
    drop(runner);

    let restarted = tokio::runtime::Runtime::new().unwrap();
    restarted.block_on(async {
        let runner = open_runner(
            &database,
            load_inline(definition).unwrap(),
            Arc::new(TestInvoker::default()),
        )
        .await
        .unwrap();
        let resumed_at = Instant::now();
        assert_eq!(runner.resume_unfinished().await.unwrap(), 1);
        let done = runner.wait_for("crash-wait", WAIT).await.unwrap();
        assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
        let after_resume = resumed_at.elapsed();
        assert!(
            after_resume < Duration::from_millis(2500),
            "waited {after_resume:?} after the restart: the 3 s count from the state's entry"
        );
        assert!(started_at.elapsed() >= Duration::from_secs(3));
    });
}
