//! What a Task state calls. The runner knows the Amazon States Language; the
//! invoker knows how to reach a Lambda function or a queue.

use async_trait::async_trait;
use serde_json::{json, Value};
use tokio::sync::OwnedSemaphorePermit;

/// A task's failure as Step Functions reports it: an error name that `Retry`
/// and `Catch` match on, and a cause for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskFailure {
    pub error: String,
    pub cause: String,
}

impl TaskFailure {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            cause: cause.into(),
        }
    }
}

/// What a task holds while it runs: the worker slot it was given, if it needed one.
#[derive(Debug, Default)]
pub struct Admission {
    _slot: Option<OwnedSemaphorePermit>,
}

impl Admission {
    /// The task needs no slot.
    pub fn immediate() -> Self {
        Self::default()
    }

    /// The task runs in this slot, given back when the task ends.
    pub fn in_slot(slot: OwnedSemaphorePermit) -> Self {
        Self { _slot: Some(slot) }
    }
}

#[async_trait]
pub trait TaskInvoker: Send + Sync {
    /// Waits until a worker can run the task (a free slot, as a function's
    /// concurrency allows) and returns what the task holds while it runs. The
    /// state's `TimeoutSeconds` starts only after this: on AWS a throttled invoke
    /// fails fast, and a task's timeout runs only while its function runs, never
    /// while it waits for one. By default every task runs at once.
    async fn admit(&self, _resource: &str, _parameters: &Value) -> Admission {
        Admission::immediate()
    }

    /// Runs one task. `resource` is the state's `Resource` ARN
    /// (`arn:aws:states:::lambda:invoke` or `arn:aws:states:::sqs:sendMessage`),
    /// `parameters` the state's effective Parameters. Returns the raw result as
    /// the AWS integration would (see [`lambda_invoke_result`]).
    async fn invoke(&self, resource: &str, parameters: Value) -> Result<Value, TaskFailure>;
}

/// The result `arn:aws:states:::lambda:invoke` gives for a function's output.
pub fn lambda_invoke_result(payload: Value) -> Value {
    json!({
        "ExecutedVersion": "$LATEST",
        "Payload": payload,
        "SdkHttpMetadata": {"HttpStatusCode": 200},
        "StatusCode": 200
    })
}
