//! The local runner against Step Functions semantics: small definitions in
//! `tests/fixtures/asl/`, the real upload definition, and invokers that really
//! run (echo, fail, sleep, hold) instead of mocks.

use async_trait::async_trait;
use serde_json::{json, Value};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use wisaw_asl::{
    lambda_invoke_result, Admission, ExecutionRecord, ExecutionStatus, HistoryEvent, LoadError,
    LocalRunner, Resource, RunnerError, StartOutcome, StateMachine, TaskFailure, TaskInvoker,
};
use wisaw_domain::contracts::{
    DeadLetter, ExecutionInput, ImageFormat, ImageInfo, PersistInput, ValidateOutput,
};
use wisaw_domain::ids::PhotoId;

const WAIT: Duration = Duration::from_secs(20);

/// A function's answer computed from its payload.
type Reply = Box<dyn Fn(&Value) -> Result<Value, TaskFailure> + Send + Sync>;

/// What a test function does when the runner calls it.
enum Behaviour {
    /// Returns its payload.
    Echo,
    /// Fails the first `n` calls with this error, then echoes.
    FailFirst(u32, &'static str),
    /// Always fails with this error.
    Fail(&'static str),
    /// Takes this long, then echoes.
    Sleep(Duration),
    /// Signals that it was called, then never returns (a task in flight at a crash).
    Hold(Mutex<mpsc::Sender<()>>),
    Reply(Reply),
}

#[derive(Clone, Debug)]
struct Call {
    function: String,
    payload: Value,
    at: Instant,
}

/// Lambda functions by name, plus `sqs:sendMessage` recorded under the name `sqs`.
#[derive(Default)]
struct TestInvoker {
    functions: HashMap<String, Behaviour>,
    calls: Mutex<Vec<Call>>,
}

impl TestInvoker {
    fn with(mut self, function: &str, behaviour: Behaviour) -> Self {
        self.functions.insert(function.to_string(), behaviour);
        self
    }
    fn calls_to(&self, function: &str) -> Vec<Call> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|call| call.function == function)
            .cloned()
            .collect()
    }
}

#[async_trait]
impl TaskInvoker for TestInvoker {
    async fn invoke(&self, resource: &str, parameters: Value) -> Result<Value, TaskFailure> {
        let (function, payload) = match resource {
            Resource::LAMBDA_INVOKE_ARN => (
                parameters["FunctionName"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                parameters["Payload"].clone(),
            ),
            Resource::SQS_SEND_MESSAGE_ARN => {
                ("sqs".to_string(), parameters["MessageBody"].clone())
            }
            other => panic!("the runner passed an unexpected resource {other}"),
        };
        let previous_calls = {
            let mut calls = self.calls.lock().unwrap();
            let previous = calls
                .iter()
                .filter(|call| call.function == function)
                .count() as u32;
            calls.push(Call {
                function: function.clone(),
                payload: payload.clone(),
                at: Instant::now(),
            });
            previous
        };
        let output = match self.functions.get(&function) {
            None if function == "sqs" => Ok(payload),
            None => Err(TaskFailure::new(
                "Lambda.ResourceNotFoundException",
                format!("no function {function}"),
            )),
            Some(Behaviour::Echo) => Ok(payload),
            Some(Behaviour::FailFirst(n, error)) if previous_calls < *n => Err(TaskFailure::new(
                *error,
                format!("call {} fails", previous_calls + 1),
            )),
            Some(Behaviour::FailFirst(..)) => Ok(payload),
            Some(Behaviour::Fail(error)) => {
                Err(TaskFailure::new(*error, "this function always fails"))
            }
            Some(Behaviour::Sleep(duration)) => {
                tokio::time::sleep(*duration).await;
                Ok(payload)
            }
            Some(Behaviour::Hold(entered)) => {
                let _ = entered.lock().unwrap().send(());
                std::future::pending::<()>().await;
                unreachable!("a held task never returns")
            }
            Some(Behaviour::Reply(reply)) => reply(&payload),
        }?;
        Ok(if function == "sqs" {
            json!({"MessageId": format!("local-{previous_calls}"), "MD5OfMessageBody": "0"})
        } else {
            lambda_invoke_result(output)
        })
    }
}

fn fixture(file: &str) -> StateMachine {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/asl")
        .join(file);
    let name = file.trim_end_matches(".asl.json");
    StateMachine::load_file(name, path, &HashMap::new()).unwrap()
}

/// The runner over a SQLite file of its own, in WAL mode as `wisaw serve` opens it.
async fn open_runner(
    path: impl AsRef<Path>,
    machine: StateMachine,
    invoker: Arc<dyn TaskInvoker>,
) -> Result<LocalRunner, RunnerError> {
    let options = SqliteConnectOptions::new()
        .filename(path.as_ref())
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal);
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await?;
    LocalRunner::with_pool(pool, machine, invoker).await
}

fn load_inline(definition: Value) -> Result<StateMachine, LoadError> {
    StateMachine::from_value("inline", definition, &HashMap::new())
}

struct Harness {
    runner: LocalRunner,
    invoker: Arc<TestInvoker>,
    dir: tempfile::TempDir,
}

impl Harness {
    async fn new(machine: StateMachine, invoker: TestInvoker) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let invoker = Arc::new(invoker);
        let runner = open_runner(dir.path().join("runner.sqlite"), machine, invoker.clone())
            .await
            .unwrap();
        Self {
            runner,
            invoker,
            dir,
        }
    }

    fn database(&self) -> PathBuf {
        self.dir.path().join("runner.sqlite")
    }

    async fn run(&self, name: &str, input: Value) -> ExecutionRecord {
        assert_eq!(
            self.runner.start(name, input).await.unwrap(),
            StartOutcome::Started
        );
        self.runner.wait_for(name, WAIT).await.unwrap()
    }
}

/// A runtime whose executions a test stops mid-flight with `shutdown_background`, as
/// a crash would. Its worker thread runs them between the test's `block_on` calls.
fn runtime_to_crash() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

fn event_types(history: &[HistoryEvent]) -> Vec<&str> {
    history
        .iter()
        .map(|event| event.event_type.as_str())
        .collect()
}

fn seconds_between(a: &Call, b: &Call) -> f64 {
    b.at.duration_since(a.at).as_secs_f64()
}

#[tokio::test]
async fn retries_wait_interval_times_backoff_and_count_in_the_context() {
    let harness = Harness::new(
        fixture("retry_backoff.asl.json"),
        TestInvoker::default().with("flaky", Behaviour::FailFirst(2, "Wisaw.Transient")),
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
    let harness = Harness::new(
        fixture("retry_cap.asl.json"),
        TestInvoker::default().with("broken", Behaviour::Fail("Wisaw.Transient")),
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
    let harness = Harness::new(
        fixture("catch.asl.json"),
        TestInvoker::default().with("permanent", Behaviour::Fail("Wisaw.Permanent")),
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
async fn choice_rules_pick_the_first_matching_branch_or_the_default() {
    let harness = Harness::new(fixture("choice.asl.json"), TestInvoker::default()).await;
    let cases = [
        (
            json!({"size": 500, "kind": "photo", "public": true, "owner": "a"}),
            "Big",
        ),
        (
            json!({"size": 5, "kind": "photo", "public": true, "owner": "a"}),
            "PublicPhoto",
        ),
        (
            json!({"size": 5, "kind": "photo", "public": false}),
            "Orphan",
        ),
        (json!({"size": 5, "kind": "video", "owner": null}), "Orphan"),
        (
            json!({"size": 5, "kind": "video", "owner": "a", "expectedKind": "video"}),
            "AsExpected",
        ),
        (
            json!({"size": 5, "kind": "doc", "owner": "a", "expectedKind": "video"}),
            "Other",
        ),
    ];
    for (index, (input, _)) in cases.iter().enumerate() {
        harness
            .runner
            .start(&format!("choice-{index}"), input.clone())
            .await
            .unwrap();
    }
    for (index, (input, branch)) in cases.iter().enumerate() {
        let done = harness
            .runner
            .wait_for(&format!("choice-{index}"), WAIT)
            .await
            .unwrap();
        assert_eq!(done.status, ExecutionStatus::Succeeded, "{input}");
        assert_eq!(done.output.unwrap()["branch"], *branch, "{input}");
    }

    // A comparison on a path that is not there is a runtime error, not a mismatch.
    let done = harness
        .run("choice-missing", json!({"kind": "photo"}))
        .await;
    assert_eq!(done.status, ExecutionStatus::Failed);
    assert_eq!(done.error.as_deref(), Some("States.Runtime"));
    assert!(done.cause.unwrap().contains("$.size"));
}

#[tokio::test]
async fn no_matching_choice_without_a_default_fails_with_no_choice_matched() {
    let harness = Harness::new(
        fixture("choice_no_default.asl.json"),
        TestInvoker::default(),
    )
    .await;
    let done = harness.run("big", json!({"size": 50})).await;
    assert_eq!(done.status, ExecutionStatus::Failed);
    assert_eq!(done.error.as_deref(), Some("States.NoChoiceMatched"));

    let done = harness.run("small", json!({"size": 3})).await;
    assert_eq!(done.status, ExecutionStatus::Succeeded);
    assert_eq!(done.output, Some(json!({"size": 3})));
}

#[tokio::test]
async fn paths_shape_input_parameters_result_and_output_in_order() {
    let harness = Harness::new(
        fixture("paths.asl.json"),
        TestInvoker::default().with("echo", Behaviour::Echo),
    )
    .await;
    let input = json!({"job": {"item": "x", "tags": ["a", "b"], "odd key": 7}, "other": true});
    let done = harness.run("paths-1", input).await;

    let job_with_result = json!({
        "item": "x", "tags": ["a", "b"], "odd key": 7,
        "result": {
            "echoed": {"item": "x", "first": "a", "quoted": 7, "execution": "paths-1", "state": "Work", "fixed": 1},
            "code": 200
        }
    });
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    // `Discard` ran (ResultPath null), and its result left the input unchanged.
    assert_eq!(done.output, Some(job_with_result));
    let echoes = harness.invoker.calls_to("echo");
    assert_eq!(echoes.len(), 2);
    assert_eq!(echoes[1].payload, json!({"ignored": true}));
}

#[tokio::test]
async fn a_path_that_matches_nothing_fails_the_execution_even_under_a_catch_all() {
    let harness = Harness::new(
        fixture("paths.asl.json"),
        TestInvoker::default().with("echo", Behaviour::Echo),
    )
    .await;
    let done = harness
        .run(
            "paths-missing",
            json!({"job": {"tags": ["a"], "odd key": 1}}),
        )
        .await;

    assert_eq!(
        done.status,
        ExecutionStatus::Failed,
        "States.Runtime is not caught by States.ALL"
    );
    assert_eq!(done.error.as_deref(), Some("States.Runtime"));
    assert!(
        done.cause.as_deref().unwrap().contains("$.item"),
        "{:?}",
        done.cause
    );
    assert!(harness.invoker.calls_to("echo").is_empty());
}

#[tokio::test]
async fn timeout_seconds_raises_states_timeout_which_task_failed_does_not_match() {
    let harness = Harness::new(
        fixture("timeout.asl.json"),
        TestInvoker::default().with("slow", Behaviour::Sleep(Duration::from_secs(30))),
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

#[test]
fn unsupported_features_are_refused_at_load_by_name() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/asl/unsupported_distributed_map.asl.json");
    let error = StateMachine::load_file("m", path, &HashMap::new()).unwrap_err();
    assert!(matches!(error, LoadError::Unsupported { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("ExecutionType") && message.contains("EachPhoto"),
        "{message}"
    );

    let task = |extra: Value| {
        let mut state =
            json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true});
        state
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        json!({"StartAt": "S", "States": {"S": state}})
    };
    let cases = [
        (
            json!({"StartAt": "S", "States": {"S": {"Type": "Map", "End": true,
                "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "A",
                                  "States": {"A": {"Type": "Succeed"}}}}}}),
            "Map mode DISTRIBUTED",
        ),
        (
            json!({"StartAt": "S", "States": {"S": {"Type": "Map", "End": true, "ItemReader": {},
                "ItemProcessor": {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}}}}),
            "ItemReader",
        ),
        (
            json!({"StartAt": "S", "States": {"S": {"Type": "Fail", "ErrorPath": "$.e"}}}),
            "ErrorPath",
        ),
        (task(json!({"HeartbeatSeconds": 10})), "HeartbeatSeconds"),
        (
            task(json!({"Credentials": {"RoleArn": "r"}})),
            "Credentials",
        ),
        (task(json!({"ItemsPath": "$.items"})), "ItemsPath"),
        (task(json!({"QueryLanguage": "JSONata"})), "JSONata"),
        (
            task(json!({"Parameters": {"text.$": "States.Translate('{}', $.a)"}})),
            "States.Translate",
        ),
        (
            task(json!({"Resource": "arn:aws:states:::dynamodb:putItem"})),
            "dynamodb:putItem",
        ),
        (
            task(json!({"Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken"})),
            "waitForTaskToken",
        ),
    ];
    for (definition, feature) in cases {
        let error = load_inline(definition).unwrap_err();
        assert!(
            matches!(error, LoadError::Unsupported { .. }),
            "{feature}: {error:?}"
        );
        let message = error.to_string();
        assert!(
            message.contains(feature) && message.contains("\"S\""),
            "{feature}: {message}"
        );
    }

    let jsonata = load_inline(
        json!({"QueryLanguage": "JSONata", "StartAt": "S", "States": {"S": {"Type": "Succeed"}}}),
    );
    assert!(jsonata.unwrap_err().to_string().contains("JSONata"));
}

#[test]
fn transitions_to_missing_states_are_refused_at_load() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/asl/missing_next.asl.json");
    let error = StateMachine::load_file("m", path, &HashMap::new()).unwrap_err();
    assert!(matches!(error, LoadError::MissingState { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("Nowhere") && message.contains("Start"),
        "{message}"
    );

    let cases = [
        (
            json!({"StartAt": "Nope", "States": {"S": {"Type": "Succeed"}}}),
            "Nope",
        ),
        (
            json!({"StartAt": "S", "States": {
                "S": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsPresent": true, "Next": "T"}], "Default": "Gone"},
                "T": {"Type": "Succeed"}}}),
            "Gone",
        ),
        (
            json!({"StartAt": "S", "States": {"S": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true,
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Lost"}]}}}),
            "Lost",
        ),
    ];
    for (definition, target) in cases {
        let error = load_inline(definition).unwrap_err();
        assert!(
            matches!(&error, LoadError::MissingState { target: t, .. } if t == target),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn a_second_start_with_the_same_name_already_exists() {
    let invoker = TestInvoker::default()
        .with("echo", Behaviour::Echo)
        .with("gate", Behaviour::Echo);
    let harness = Harness::new(fixture("two_steps.asl.json"), invoker).await;
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
    let invoker = TestInvoker::default()
        .with("echo", Behaviour::Echo)
        .with("gate", Behaviour::Echo);
    let harness = Harness::new(fixture("two_steps.asl.json"), invoker).await;
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
    let names = |list: Vec<ExecutionRecord>| list.into_iter().map(|s| s.name).collect::<Vec<_>>();
    assert_eq!(
        names(reader.list(None, 10).await.unwrap()),
        ["failed", "newer", "older"]
    );
    assert_eq!(names(reader.list(None, 1).await.unwrap()), ["failed"]);
    assert_eq!(
        names(
            reader
                .list(Some(ExecutionStatus::Succeeded), 10)
                .await
                .unwrap()
        ),
        ["newer", "older"]
    );
    assert_eq!(
        names(
            reader
                .list(Some(ExecutionStatus::Failed), 10)
                .await
                .unwrap()
        ),
        ["failed"]
    );
    let failed = reader.describe("failed").await.unwrap().unwrap();
    assert!(failed.stop_date.unwrap() >= failed.start_date);
    assert!(reader.history("never-started").await.is_err());
}

/// Phase one runs in a runtime that is torn down while `Second` is in flight,
/// as a killed process would be; phase two opens the same file and resumes.
#[test]
fn an_execution_interrupted_by_a_crash_resumes_from_its_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("runner.sqlite");

    let (entered_tx, entered_rx) = mpsc::channel();
    let crashed = runtime_to_crash();
    let first_invoker = Arc::new(
        TestInvoker::default()
            .with("echo", Behaviour::Echo)
            .with("gate", Behaviour::Hold(Mutex::new(entered_tx))),
    );
    let runner = crashed.block_on(async {
        let runner = open_runner(
            &database,
            fixture("two_steps.asl.json"),
            first_invoker.clone(),
        )
        .await
        .unwrap();
        runner.start("crash-1", json!({"id": 9})).await.unwrap();
        runner
    });
    entered_rx
        .recv_timeout(WAIT)
        .expect("the held task was called");
    let record = crashed
        .block_on(runner.describe("crash-1"))
        .unwrap()
        .unwrap();
    assert_eq!(record.status, ExecutionStatus::Running);
    assert_eq!(record.checkpoint.as_ref().unwrap().state, "Second");
    crashed.shutdown_background();
    drop(runner);

    let restarted = tokio::runtime::Runtime::new().unwrap();
    restarted.block_on(async {
        let invoker = Arc::new(
            TestInvoker::default()
                .with("echo", Behaviour::Echo)
                .with("gate", Behaviour::Echo),
        );
        let runner = open_runner(&database, fixture("two_steps.asl.json"), invoker.clone())
            .await
            .unwrap();
        assert_eq!(runner.resume_unfinished().await.unwrap(), 1);
        let done = runner.wait_for("crash-1", WAIT).await.unwrap();
        assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
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

#[tokio::test]
async fn shutdown_stops_new_work_and_leaves_in_flight_executions_to_resume() {
    let (entered_tx, entered_rx) = mpsc::channel();
    let invoker = TestInvoker::default()
        .with("echo", Behaviour::Echo)
        .with("gate", Behaviour::Hold(Mutex::new(entered_tx)));
    let harness = Harness::new(fixture("two_steps.asl.json"), invoker).await;
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

    let invoker = Arc::new(
        TestInvoker::default()
            .with("echo", Behaviour::Echo)
            .with("gate", Behaviour::Echo),
    );
    let next = open_runner(harness.database(), fixture("two_steps.asl.json"), invoker)
        .await
        .unwrap();
    assert_eq!(next.resume_unfinished().await.unwrap(), 1);
    assert_eq!(
        next.wait_for("held", WAIT).await.unwrap().status,
        ExecutionStatus::Succeeded
    );
    assert!(next.describe("late").await.unwrap().is_none());
}

fn upload_definition() -> &'static str {
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../statemachines/upload.asl.json"
    )
}

fn upload_substitutions() -> HashMap<String, String> {
    [
        ("ValidateFunctionArn", "validate"),
        ("ThumbnailFunctionArn", "thumbnail"),
        ("PersistFunctionArn", "persist"),
        ("NotifyFunctionArn", "notify"),
        ("DeadLetterQueueUrl", "local://queues/dead-letter"),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_string(), value.to_string()))
    .collect()
}

#[test]
fn the_upload_definition_loads_with_its_substitutions_and_names_what_is_missing() {
    let machine =
        StateMachine::load_file("upload", upload_definition(), &upload_substitutions()).unwrap();
    assert_eq!(machine.start_at(), "Validate");
    assert!(machine.state("SendToDeadLetterQueue").is_some());
    assert!(machine.unresolved_placeholders().is_empty());

    // As SAM does, a placeholder without a substitution stays as written; the
    // caller sees which ones did (the local stack refuses to start then).
    let mut partial = upload_substitutions();
    partial.remove("DeadLetterQueueUrl");
    let machine = StateMachine::load_file("upload", upload_definition(), &partial).unwrap();
    assert_eq!(
        machine.unresolved_placeholders(),
        ["DeadLetterQueueUrl".to_string()]
    );
}

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

    let (entered_tx, entered_rx) = mpsc::channel();
    let crashed = runtime_to_crash();
    let held =
        Arc::new(TestInvoker::default().with("gate", Behaviour::Hold(Mutex::new(entered_tx))));
    let runner = crashed.block_on(async {
        let runner = open_runner(&database, load_inline(definition.clone()).unwrap(), held)
            .await
            .unwrap();
        runner
            .start("crash-parallel", json!({"id": 9}))
            .await
            .unwrap();
        runner
    });
    entered_rx
        .recv_timeout(WAIT)
        .expect("the branch's task was called");
    let record = crashed
        .block_on(runner.describe("crash-parallel"))
        .unwrap()
        .unwrap();
    let checkpoint = record.checkpoint.unwrap();
    assert_eq!(checkpoint.state, "Both");
    assert_eq!(checkpoint.variables.get("photo"), Some(&json!(9)));
    assert_eq!(
        checkpoint.entered_event_id, 4,
        "ExecutionStarted, Start in and out, Both in"
    );
    crashed.shutdown_background();
    drop(runner);

    let restarted = tokio::runtime::Runtime::new().unwrap();
    restarted.block_on(async {
        let invoker = Arc::new(TestInvoker::default().with("gate", Behaviour::Echo));
        let runner = open_runner(&database, load_inline(definition).unwrap(), invoker.clone())
            .await
            .unwrap();
        assert_eq!(runner.resume_unfinished().await.unwrap(), 1);
        let done = runner.wait_for("crash-parallel", WAIT).await.unwrap();
        assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
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
