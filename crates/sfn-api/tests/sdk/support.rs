//! What the tests share: two state machines on runners that really run (one in a
//! deployed stage's region and account, one in the local defaults), served on a free
//! port, and the real SDK client pointed at it.

use async_trait::async_trait;
use aws_sdk_sfn::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_sfn::error::SdkError;
use aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput;
use aws_sdk_sfn::operation::get_execution_history::builders::GetExecutionHistoryFluentBuilder;
use aws_sdk_sfn::operation::list_executions::builders::ListExecutionsFluentBuilder;
use aws_sdk_sfn::operation::stop_execution::builders::StopExecutionFluentBuilder;
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEvent};
use aws_sdk_sfn::Client;
use serde_json::{json, Value};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use std::collections::HashMap;
use std::fmt::Debug;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use wisaw_asl::{lambda_invoke_result, LocalRunner, StateMachine, TaskFailure, TaskInvoker};
use wisaw_sfn_api::StepFunctionsApi;

/// The machine as a deployed stage names it.
pub const UPLOAD_ARN: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:wisaw-test-upload";
/// The second machine, in the engine's default region and account.
pub const OTHER_ARN: &str = "arn:aws:states:local:000000000000:stateMachine:other";

/// A Pass, a Wait for `$.wait` seconds, and a Task calling the function `$.function`;
/// the function's ARN is a substitution, as a template gives it.
pub const DEFINITION: &str = r#"{
  "Comment": "Greets, waits, calls",
  "StartAt": "Greet",
  "States": {
    "Greet": {
      "Type": "Pass",
      "Parameters": {"greeting.$": "States.Format('hello {}', $.who)"},
      "ResultPath": "$.pass",
      "Next": "Pause"
    },
    "Pause": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "Call"},
    "Call": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName.$": "$.function", "Payload.$": "$", "Qualifier": "${Alias}"},
      "ResultSelector": {"echoed.$": "$.Payload.who"},
      "ResultPath": "$.task",
      "End": true
    }
  }
}
"#;

/// The substitution of [`DEFINITION`].
pub fn substitutions() -> HashMap<String, String> {
    HashMap::from([("Alias".to_string(), "live".to_string())])
}

/// The input that runs [`DEFINITION`] through to success at once.
pub fn quick(who: &str) -> Value {
    json!({"who": who, "wait": 0, "function": "echo"})
}

/// An input that stays in the Wait for an hour.
pub fn waiting(who: &str) -> Value {
    json!({"who": who, "wait": 3600, "function": "echo"})
}

/// Functions that really run: `echo` answers its payload, `fail` fails, `hold` never answers.
struct Functions;

#[async_trait]
impl TaskInvoker for Functions {
    async fn invoke(&self, _resource: &str, parameters: Value) -> Result<Value, TaskFailure> {
        match parameters["FunctionName"].as_str() {
            Some("echo") => Ok(lambda_invoke_result(parameters["Payload"].clone())),
            Some("hold") => std::future::pending().await,
            _ => Err(TaskFailure::new("Test.Failure", "it always fails")),
        }
    }
}

pub struct Served {
    pub client: Client,
    pub addr: SocketAddr,
    pub upload: LocalRunner,
    pub other: LocalRunner,
    _dir: tempfile::TempDir,
}

impl Served {
    /// Both machines on one SQLite file, served only to this machine's clients.
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join("executions.db"))
            .create_if_missing(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .unwrap();
        let upload = StateMachine::load("wisaw-test-upload", DEFINITION, &substitutions())
            .unwrap()
            .with_region_and_account("us-east-1", "123456789012")
            .unwrap();
        let other = StateMachine::from_value(
            "other",
            json!({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": true}}}),
            &HashMap::new(),
        )
        .unwrap();
        let upload = LocalRunner::with_pool(pool.clone(), upload, Arc::new(Functions))
            .await
            .unwrap();
        let other = LocalRunner::with_pool(pool, other, Arc::new(Functions))
            .await
            .unwrap();
        let api = StepFunctionsApi::new()
            .serving(upload.clone())
            .serving(other.clone())
            .only_loopback_clients();
        let addr = serve(api.router()).await;
        Self {
            client: client(addr),
            addr,
            upload,
            other,
            _dir: dir,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Waits until the execution has ended; returns its status.
    pub async fn settled(&self, execution_arn: &str) -> ExecutionStatus {
        for _ in 0..400 {
            let execution = self.describe(execution_arn).await;
            if *execution.status() != ExecutionStatus::Running {
                return execution.status().clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{execution_arn} did not end");
    }

    /// Starts `name` on the upload machine; its ARN.
    pub async fn start_upload(&self, name: &str, input: &Value) -> String {
        self.client
            .start_execution()
            .state_machine_arn(UPLOAD_ARN)
            .name(name)
            .input(input.to_string())
            .send()
            .await
            .unwrap()
            .execution_arn()
            .to_string()
    }

    /// Starts `name` on the upload machine and waits until it has ended: its ARN and how
    /// it ended.
    pub async fn run_upload(&self, name: &str, input: &Value) -> (String, ExecutionStatus) {
        let arn = self.start_upload(name, input).await;
        let status = self.settled(&arn).await;
        (arn, status)
    }

    /// Starts `name` on the other machine, without input; its ARN.
    pub async fn start_other(&self, name: &str) -> String {
        let start = self.client.start_execution().state_machine_arn(OTHER_ARN);
        let started = start.name(name).send().await.unwrap();
        started.execution_arn().to_string()
    }

    /// An execution that exists, described.
    pub async fn describe(&self, execution_arn: &str) -> DescribeExecutionOutput {
        let describe = self.client.describe_execution();
        describe.execution_arn(execution_arn).send().await.unwrap()
    }

    /// The whole history of an execution that exists, oldest first.
    pub async fn history(&self, execution_arn: &str) -> Vec<HistoryEvent> {
        let history = self.get_history(execution_arn).send().await.unwrap();
        history.events().to_vec()
    }

    /// A `GetExecutionHistory` of `execution_arn`, to send.
    pub fn get_history(&self, execution_arn: &str) -> GetExecutionHistoryFluentBuilder {
        self.client
            .get_execution_history()
            .execution_arn(execution_arn)
    }

    /// A `ListExecutions` of `machine`'s executions, to send.
    pub fn list(&self, machine: &str) -> ListExecutionsFluentBuilder {
        self.client.list_executions().state_machine_arn(machine)
    }

    /// A `StopExecution` of `execution_arn`, to send.
    pub fn stop(&self, execution_arn: &str) -> StopExecutionFluentBuilder {
        self.client.stop_execution().execution_arn(execution_arn)
    }
}

/// The typed error of a call the service refuses (any other failure fails the test).
pub async fn refused<O, E, R>(call: impl Future<Output = Result<O, SdkError<E, R>>>) -> E
where
    O: Debug,
    E: Debug,
    R: Debug,
{
    match call.await {
        Err(SdkError::ServiceError(refusal)) => refusal.into_err(),
        other => panic!("not refused by the service: {other:?}"),
    }
}

/// Everything a listing gives, read a page at a time: the items and the number of pages.
/// `page(token)` reads the page a token names (none: the first), its items and its next
/// token; each page holds `size` items at most.
pub async fn all_pages<T, F, Fut>(size: usize, mut page: F) -> (Vec<T>, usize)
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = (Vec<T>, Option<String>)>,
{
    let (mut items, mut token, mut pages) = (Vec::new(), None, 0);
    loop {
        let (read, next_token) = page(token).await;
        pages += 1;
        assert!(read.len() <= size, "{} in a page of {size}", read.len());
        items.extend(read);
        token = next_token;
        if token.is_none() {
            return (items, pages);
        }
    }
}

/// Serves `app` on a free loopback port, with each client's address.
pub async fn serve(app: axum::Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// The SDK's client for `addr`, as an application configures one for an emulator.
pub fn client(addr: SocketAddr) -> Client {
    let config = aws_sdk_sfn::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDLOCAL", "local", None, None, "tests"))
        .endpoint_url(format!("http://{addr}"))
        .http_client(wisaw_adapters::aws::https_client())
        .build();
    Client::from_conf(config)
}

/// The execution ARN of `name` on the upload machine, as AWS spells it.
pub fn upload_execution(name: &str) -> String {
    format!("arn:aws:states:us-east-1:123456789012:execution:wisaw-test-upload:{name}")
}

/// A JSON text read as JSON.
pub fn json_of(text: Option<&str>) -> Value {
    serde_json::from_str(text.expect("a JSON text")).unwrap()
}

/// Milliseconds since the epoch of an SDK date. The SDK reads a date's fraction of a
/// second through a float, which may land a hair under the millisecond sent: rounded.
pub fn millis(date: &aws_sdk_sfn::primitives::DateTime) -> i64 {
    date.secs() * 1000 + (f64::from(date.subsec_nanos()) / 1e6).round() as i64
}
