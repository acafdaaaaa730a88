//! What a Task state calls. The runner knows the Amazon States Language; the
//! invoker knows how to reach a Lambda function or a queue.

use async_trait::async_trait;
use serde_json::{json, Map, Value};
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
    /// `parameters` the state's effective Parameters. A Task whose `Resource` is a
    /// Lambda function's ARN comes as `lambda:invoke` with that ARN as `FunctionName`
    /// and the state's input as `Payload`. Returns the raw result as
    /// the AWS integration would (see [`lambda_invoke_result`]).
    async fn invoke(&self, resource: &str, parameters: Value) -> Result<Value, TaskFailure>;
}

/// The result `arn:aws:states:::lambda:invoke` gives for a function's output: the
/// payload with the HTTP metadata of the Invoke call, shaped and ordered as AWS
/// gives them (a fresh request id, the date, the payload's length).
pub fn lambda_invoke_result(payload: Value) -> Value {
    let request_id = uuid::Uuid::new_v4().to_string();
    let trace_id = format!(
        "Root=1-{:08x}-{}",
        chrono::Utc::now().timestamp(),
        &uuid::Uuid::new_v4().simple().to_string()[..24]
    );
    let date = chrono::Utc::now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let length = crate::payload::json_len(&payload).to_string();
    // In the order AWS gives `AllHttpHeaders`; `HttpHeaders` is sorted without case.
    let headers = [
        ("X-Amz-Executed-Version", "$LATEST"),
        ("x-amzn-Remapped-Content-Length", "0"),
        ("Connection", "keep-alive"),
        ("x-amzn-RequestId", request_id.as_str()),
        ("Content-Length", length.as_str()),
        ("Date", date.as_str()),
        ("X-Amzn-Trace-Id", trace_id.as_str()),
        ("Content-Type", "application/json"),
    ];
    let all: Map<String, Value> = headers
        .iter()
        .map(|(name, value)| (name.to_string(), json!([value])))
        .collect();
    let mut sorted = headers;
    sorted.sort_by_key(|(name, _)| name.to_ascii_lowercase());
    let single: Map<String, Value> = sorted
        .iter()
        .map(|(name, value)| (name.to_string(), json!(value)))
        .collect();
    json!({
        "ExecutedVersion": "$LATEST",
        "Payload": payload,
        "SdkHttpMetadata": {
            "AllHttpHeaders": all,
            "HttpHeaders": single,
            "HttpStatusCode": 200
        },
        "SdkResponseMetadata": {"RequestId": request_id},
        "StatusCode": 200
    })
}
