//! What the runner's semantics tests share: test functions that really run (echo,
//! fail, sleep, hold) instead of mocks, a runner over its own SQLite file, the fixtures
//! and the real upload definition.

use async_trait::async_trait;
use serde_json::{json, Value};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use wisaw_asl::{
    lambda_invoke_result, ExecutionRecord, ExecutionStatus, HistoryEvent, LoadError, LocalRunner,
    Resource, RunnerError, StartOutcome, StateMachine, TaskFailure, TaskInvoker,
};

pub const WAIT: Duration = Duration::from_secs(20);

/// A function's answer computed from its payload.
pub type Reply = Box<dyn Fn(&Value) -> Result<Value, TaskFailure> + Send + Sync>;

/// What a test function does when the runner calls it.
pub enum Behaviour {
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
pub struct Call {
    pub function: String,
    pub payload: Value,
    pub at: Instant,
}

/// Lambda functions by name, plus `sqs:sendMessage` recorded under the name `sqs`.
#[derive(Default)]
pub struct TestInvoker {
    pub functions: HashMap<String, Behaviour>,
    pub calls: Mutex<Vec<Call>>,
}

impl TestInvoker {
    pub fn with(mut self, function: &str, behaviour: Behaviour) -> Self {
        self.functions.insert(function.to_string(), behaviour);
        self
    }
    pub fn calls_to(&self, function: &str) -> Vec<Call> {
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
            // A function by its name, or its ARN (a Task on the function's ARN): its name.
            Resource::LAMBDA_INVOKE_ARN => {
                let name = parameters["FunctionName"].as_str().unwrap_or_default();
                let name = name.split_once(":function:").map_or(name, |(_, rest)| rest);
                (name.to_string(), parameters["Payload"].clone())
            }
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

pub fn fixture_path(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/asl")
        .join(file)
}

pub fn fixture(file: &str) -> StateMachine {
    let name = file.trim_end_matches(".asl.json");
    StateMachine::load_file(name, fixture_path(file), &HashMap::new()).unwrap()
}

/// The functions of `two_steps.asl.json`: `First` calls echo, `Second` calls gate.
pub fn two_steps_invoker(gate: Behaviour) -> TestInvoker {
    TestInvoker::default()
        .with("echo", Behaviour::Echo)
        .with("gate", gate)
}

/// The runner over a SQLite file of its own, in WAL mode as `wisaw serve` opens it.
pub async fn open_runner(
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

/// A runner on the file of one that stopped, as a restarted process opens it: it
/// resumes the one unfinished execution, `name`, which then succeeds.
pub async fn resume_to_success(
    path: impl AsRef<Path>,
    machine: StateMachine,
    invoker: Arc<dyn TaskInvoker>,
    name: &str,
) -> (LocalRunner, ExecutionRecord) {
    let runner = open_runner(path, machine, invoker).await.unwrap();
    assert_eq!(runner.resume_unfinished().await.unwrap(), 1);
    let done = runner.wait_for(name, WAIT).await.unwrap();
    assert_eq!(done.status, ExecutionStatus::Succeeded, "{done:?}");
    (runner, done)
}

pub fn load_inline(definition: Value) -> Result<StateMachine, LoadError> {
    StateMachine::from_value("inline", definition, &HashMap::new())
}

pub struct Harness {
    pub runner: LocalRunner,
    pub invoker: Arc<TestInvoker>,
    pub dir: tempfile::TempDir,
}

impl Harness {
    pub async fn new(machine: StateMachine, invoker: TestInvoker) -> Self {
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

    /// The runner over `two_steps.asl.json`, its gate function behaving as `gate`.
    pub async fn two_steps(gate: Behaviour) -> Self {
        Self::new(fixture("two_steps.asl.json"), two_steps_invoker(gate)).await
    }

    /// The runner over a fixture that calls one function.
    pub async fn with_function(file: &str, function: &str, behaviour: Behaviour) -> Self {
        Self::new(
            fixture(file),
            TestInvoker::default().with(function, behaviour),
        )
        .await
    }

    pub fn database(&self) -> PathBuf {
        self.dir.path().join("runner.sqlite")
    }

    pub async fn run(&self, name: &str, input: Value) -> ExecutionRecord {
        assert_eq!(
            self.runner.start(name, input).await.unwrap(),
            StartOutcome::Started
        );
        self.runner.wait_for(name, WAIT).await.unwrap()
    }
}

/// A runtime whose executions a test stops mid-flight with `shutdown_background`, as
/// a crash would. Its worker thread runs them between the test's `block_on` calls.
pub fn runtime_to_crash() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

pub fn event_types(history: &[HistoryEvent]) -> Vec<&str> {
    history
        .iter()
        .map(|event| event.event_type.as_str())
        .collect()
}

pub fn seconds_between(a: &Call, b: &Call) -> f64 {
    b.at.duration_since(a.at).as_secs_f64()
}

pub fn upload_definition() -> &'static str {
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../statemachines/upload.asl.json"
    )
}

pub fn upload_substitutions() -> HashMap<String, String> {
    [
        ("ValidateFunctionArn", "validate"),
        ("ThumbnailFunctionArn", "thumbnail"),
        ("PersistFunctionArn", "persist"),
        ("NotifyFunctionArn", "notify"),
    ]
    .into_iter()
    .map(|(name, function)| {
        let arn = format!("arn:aws:lambda:us-east-1:123456789012:function:{function}");
        (name.to_string(), arn)
    })
    .chain([(
        "DeadLetterQueueUrl".to_string(),
        "local://queues/dead-letter".to_string(),
    )])
    .collect()
}
