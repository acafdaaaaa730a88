//! Retry, Catch and TimeoutSeconds: backoff, caps, exhausted retries, the error at its
//! result path, and a timeout that waiting for a worker never counts against.

use crate::support::*;
use async_trait::async_trait;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wisaw_asl::{
    lambda_invoke_result, Admission, ExecutionStatus, StartOutcome, TaskFailure, TaskInvoker,
};

#[tokio::test]
async fn retries_wait_interval_times_backoff_and_count_in_the_context() {
    let harness = Harness::with_function(
        "retry_backoff.asl.json",
        "flaky",
        Behaviour::FailFirst(2, "Wisaw.Transient"),
    )
    .await;
    let done = harness.run("flaky-1", json!({"photo": "p"})).await;

    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    assert_eq!(
        done.output,
        Some(json!({"answer": {"photo": "p"}, "retries": 2}))
    );
    let calls = harness.invoker.calls_to("flaky");
    assert_eq!(calls.len(), 3, "one call and two retries");
    let (first_wait, second_wait) = (
        seconds_between(&calls[0], &calls[1]),
        seconds_between(&calls[1], &calls[2]),
    );
    assert!(
        (1.0..1.9).contains(&first_wait),
        "IntervalSeconds 1: waited {first_wait:.2} s"
    );
    assert!(
        (2.0..3.5).contains(&second_wait),
        "BackoffRate 2: waited {second_wait:.2} s"
    );

    let history = harness.runner.history("flaky-1").await.unwrap();
    let types = event_types(&history);
    assert_eq!(types.iter().filter(|t| **t == "TaskFailed").count(), 2);
    assert_eq!(types.iter().filter(|t| **t == "TaskScheduled").count(), 3);
}

#[tokio::test]
async fn max_delay_caps_the_backoff_and_exhausted_retries_fail_the_execution() {
    let harness = Harness::with_function(
        "retry_cap.asl.json",
        "broken",
        Behaviour::Fail("Wisaw.Transient"),
    )
    .await;
    let done = harness.run("broken-1", json!({})).await;

    assert_eq!(done.status, ExecutionStatus::Failed);
    assert_eq!(
        done.error.as_deref(),
        Some("Wisaw.Transient"),
        "States.TaskFailed matched the task's error"
    );
    assert_eq!(done.cause.as_deref(), Some("this function always fails"));
    let calls = harness.invoker.calls_to("broken");
    assert_eq!(calls.len(), 3, "MaxAttempts 2 means three calls in all");
    let second_wait = seconds_between(&calls[1], &calls[2]);
    assert!(
        (1.0..3.0).contains(&second_wait),
        "capped at MaxDelaySeconds 1 (5 s uncapped): waited {second_wait:.2} s"
    );
    let history = harness.runner.history("broken-1").await.unwrap();
    let last = history.last().unwrap();
    assert_eq!(last.event_type, "ExecutionFailed");
    assert_eq!(last.details["error"], "Wisaw.Transient");
}

#[tokio::test]
async fn max_attempts_zero_never_retries_and_catch_puts_the_error_at_its_result_path() {
    let harness = Harness::with_function(
        "catch.asl.json",
        "permanent",
        Behaviour::Fail("Wisaw.Permanent"),
    )
    .await;
    let done = harness.run("catch-1", json!({"original": "kept"})).await;

    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    assert_eq!(
        done.output,
        Some(
            json!({"recovered": "Wisaw.Permanent", "cause": "this function always fails", "original": "kept"})
        )
    );
    assert_eq!(harness.invoker.calls_to("permanent").len(), 1);
    let history = harness.runner.history("catch-1").await.unwrap();
    let entered_recover = history
        .iter()
        .find(|e| e.event_type == "PassStateEntered")
        .unwrap();
    let recover_input: Value =
        serde_json::from_str(entered_recover.details["input"].as_str().unwrap()).unwrap();
    assert_eq!(
        recover_input,
        json!({"original": "kept", "error": {"Error": "Wisaw.Permanent", "Cause": "this function always fails"}})
    );
}

#[tokio::test]
async fn timeout_seconds_raises_states_timeout_which_task_failed_does_not_match() {
    let harness = Harness::with_function(
        "timeout.asl.json",
        "slow",
        Behaviour::Sleep(Duration::from_secs(30)),
    )
    .await;
    let started = Instant::now();
    let done = harness.run("slow-1", json!({"n": 1})).await;

    assert!(
        started.elapsed() < Duration::from_secs(5),
        "TimeoutSeconds 1 took {:?}",
        started.elapsed()
    );
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    let output = done.output.unwrap();
    assert_eq!(output["n"], 1);
    assert_eq!(output["timeout"]["Error"], "States.Timeout");
    let history = harness.runner.history("slow-1").await.unwrap();
    assert!(event_types(&history).contains(&"TaskTimedOut"));
}

/// A function with fewer workers than callers: each call needs one of `slots`.
struct SlottedInvoker {
    slots: Arc<tokio::sync::Semaphore>,
    work: Duration,
}

#[async_trait]
impl TaskInvoker for SlottedInvoker {
    async fn admit(&self, _resource: &str, _parameters: &Value) -> Admission {
        Admission::in_slot(self.slots.clone().acquire_owned().await.unwrap())
    }
    async fn invoke(&self, _resource: &str, parameters: Value) -> Result<Value, TaskFailure> {
        tokio::time::sleep(self.work).await;
        Ok(lambda_invoke_result(parameters["Payload"].clone()))
    }
}

#[tokio::test]
async fn waiting_for_a_free_worker_never_counts_against_timeout_seconds() {
    let machine = load_inline(json!({
        "StartAt": "Render",
        "States": {"Render": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "render", "Payload": {"n.$": "$.n"}},
            "TimeoutSeconds": 1,
            "End": true
        }}
    }))
    .unwrap();
    // One worker; each task takes most of its 1 s timeout; four executions at once.
    let invoker = Arc::new(SlottedInvoker {
        slots: Arc::new(tokio::sync::Semaphore::new(1)),
        work: Duration::from_millis(700),
    });
    let dir = tempfile::tempdir().unwrap();
    let runner = open_runner(dir.path().join("runner.sqlite"), machine, invoker)
        .await
        .unwrap();
    let names: Vec<String> = (0..4).map(|n| format!("render-{n}")).collect();
    for (n, name) in names.iter().enumerate() {
        assert_eq!(
            runner.start(name, json!({ "n": n })).await.unwrap(),
            StartOutcome::Started
        );
    }
    for (n, name) in names.iter().enumerate() {
        let done = runner.wait_for(name, WAIT).await.unwrap();
        assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
        assert_eq!(done.output.as_ref().unwrap()["Payload"]["n"], n, "{done:?}");
        let history = runner.history(name).await.unwrap();
        let types = event_types(&history);
        assert!(!types.contains(&"TaskTimedOut"), "{name}: {types:?}");
        // The task starts when it has its worker, not when it was scheduled.
        let at = |kind: &str| {
            history
                .iter()
                .find(|event| event.event_type == kind)
                .map(|event| event.timestamp)
                .unwrap_or_else(|| panic!("{name}: no {kind} in {types:?}"))
        };
        assert!(at("TaskScheduled") <= at("TaskStarted"));
    }
}
