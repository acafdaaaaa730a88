//! What the local runner calls for each Task state: `lambda:invoke` goes to the
//! in-process worker named by `FunctionName`, `sqs:sendMessage` to the local queue
//! named by `QueueUrl`. Results and errors are shaped as Step Functions shapes
//! them, so the same state machine definition works here and in AWS.

use async_trait::async_trait;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Semaphore;
use wisaw_asl::{lambda_invoke_result, Admission, Resource, TaskFailure, TaskInvoker};
use wisaw_domain::error::StepError;
use wisaw_domain::events::DeviceChannels;
use wisaw_domain::ports::{BlobStore, MetadataStore, Notifier, Queue};
use wisaw_notify::Announcer;
use wisaw_step::{run_step, Step};

const LAMBDA_INVOKE: &str = Resource::LAMBDA_INVOKE_ARN;
const SQS_SEND_MESSAGE: &str = Resource::SQS_SEND_MESSAGE_ARN;

/// The ports the workers get: the same traits the Lambda binaries fill with AWS adapters.
#[derive(Clone)]
pub struct WorkerPorts {
    pub blobs: Arc<dyn BlobStore>,
    pub metadata: Arc<dyn MetadataStore>,
    pub notifier: Arc<dyn Notifier>,
    pub channels: DeviceChannels,
}

impl WorkerPorts {
    /// The notify step's ports.
    pub fn announcer(&self) -> Announcer<'_> {
        Announcer {
            metadata: self.metadata.as_ref(),
            blobs: self.blobs.as_ref(),
            notifier: self.notifier.as_ref(),
            channels: &self.channels,
        }
    }
}

/// The local stand-in for Lambda and for the SQS service integration.
pub struct WorkerTasks {
    ports: WorkerPorts,
    queues: HashMap<String, Arc<dyn Queue>>,
    /// See [`thumbnail_slots`].
    thumbnail_slots: Arc<Semaphore>,
}

/// How many thumbnails render at once. Thumbnails are the one step that holds
/// decoded pixels: at most one per core at a time keeps the memory bounded however
/// many photos arrive.
pub fn thumbnail_slots() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// The function names the local state machine is given as DefinitionSubstitutions,
/// in the shape of Lambda ARNs.
pub fn local_function_arn(function: &str) -> String {
    format!("arn:aws:lambda:local:000000000000:function:{function}")
}

/// A queue URL in the shape of SQS's, resolved to the local queue by its last segment.
pub fn local_queue_url(queue: &str) -> String {
    format!("http://sqs.local/000000000000/{queue}")
}

impl WorkerTasks {
    pub fn new(ports: WorkerPorts, queues: Vec<Arc<dyn Queue>>) -> Self {
        Self {
            ports,
            queues: queues
                .into_iter()
                .map(|q| (q.name().to_string(), q))
                .collect(),
            thumbnail_slots: Arc::new(Semaphore::new(thumbnail_slots())),
        }
    }

    /// Through the same step edge as the Lambda binaries: the same payload checks, error
    /// texts and log span.
    async fn call_worker(&self, function: &str, payload: Value) -> Result<Value, StepError> {
        let ports = &self.ports;
        let Some(step) = Step::from_function_name(function) else {
            return Err(StepError::permanent(format!(
                "no function named `{function}`"
            )));
        };
        match step {
            Step::Validate => {
                run_step(step, payload, |input| {
                    wisaw_validate::handle(ports.blobs.as_ref(), input)
                })
                .await
            }
            // Runs in the slot `admit` gave it.
            Step::Thumbnail => {
                run_step(step, payload, |input| {
                    wisaw_thumbnail::handle(ports.blobs.as_ref(), input)
                })
                .await
            }
            Step::Persist => {
                run_step(step, payload, |input| {
                    wisaw_persist::handle(ports.metadata.as_ref(), input)
                })
                .await
            }
            Step::Notify => {
                let announcer = ports.announcer();
                run_step(step, payload, |input| announcer.handle(input)).await
            }
        }
    }

    async fn send_message(&self, parameters: &Value) -> Result<Value, TaskFailure> {
        let url = parameters["QueueUrl"].as_str().unwrap_or_default();
        let name = url.rsplit('/').next().unwrap_or_default();
        let queue = self.queues.get(name).ok_or_else(|| TaskFailure {
            error: "SQS.QueueDoesNotExistException".into(),
            cause: format!("no queue at {url}"),
        })?;
        // The integration sends a string body as it is, and JSON as its text.
        let body = match &parameters["MessageBody"] {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        let message_id = queue.send(&body).await.map_err(|e| TaskFailure {
            error: "SQS.SdkClientException".into(),
            cause: e.to_string(),
        })?;
        Ok(json!({ "MessageId": message_id }))
    }
}

/// The function a `lambda:invoke` task calls, by the last segment of its ARN.
fn function_name(parameters: &Value) -> &str {
    let function_arn = parameters["FunctionName"].as_str().unwrap_or_default();
    function_arn.rsplit(':').next().unwrap_or_default()
}

#[async_trait]
impl TaskInvoker for WorkerTasks {
    /// A thumbnail waits here for a free slot, before its state's timeout starts.
    async fn admit(&self, resource: &str, parameters: &Value) -> Admission {
        if resource != LAMBDA_INVOKE
            || Step::from_function_name(function_name(parameters)) != Some(Step::Thumbnail)
        {
            return Admission::immediate();
        }
        match self.thumbnail_slots.clone().acquire_owned().await {
            Ok(slot) => Admission::in_slot(slot),
            // The semaphore is never closed; were it, the task would run unbounded.
            Err(_) => Admission::immediate(),
        }
    }

    async fn invoke(&self, resource: &str, parameters: Value) -> Result<Value, TaskFailure> {
        match resource {
            LAMBDA_INVOKE => {
                let function = function_name(&parameters).to_string();
                let payload = parameters.get("Payload").cloned().unwrap_or(Value::Null);
                match self.call_worker(&function, payload).await {
                    Ok(output) => Ok(lambda_invoke_result(output)),
                    // Lambda reports a function error by its type, with the message in the cause.
                    Err(error) => Err(TaskFailure {
                        error: error.error_name().to_string(),
                        cause: json!({ "errorType": error.error_name(), "errorMessage": error.message })
                            .to_string(),
                    }),
                }
            }
            SQS_SEND_MESSAGE => self.send_message(&parameters).await,
            other => Err(TaskFailure {
                error: "States.Runtime".into(),
                cause: format!("the local runner has no integration for {other}"),
            }),
        }
    }
}
