//! What the stage's state machine calls for each Task state, as Step Functions calls it
//! under the state machine's role: `lambda:invoke` runs the function's bootstrap (through
//! the same [`LocalFunction`] every event source uses) and `sqs:sendMessage` sends to the
//! emulator's queue, each allowed only if the role's policies allow it.

use crate::lambda::{InvokeError, LocalFunction};
use async_trait::async_trait;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use wisaw_asl::{lambda_invoke_result, Resource, TaskFailure, TaskInvoker};

/// Whether the state machine's role may do `action` on `resource`: the refusal's text
/// (AWS's "... is not authorized to perform ...") when it may not.
pub type RoleCheck = Arc<dyn Fn(&str, &str) -> Result<(), String> + Send + Sync>;

pub struct StageTasks {
    /// The template's functions, by ARN.
    pub functions: BTreeMap<String, Arc<LocalFunction>>,
    pub sqs: aws_sdk_sqs::Client,
    pub role: RoleCheck,
    pub region: String,
    pub account_id: String,
}

impl StageTasks {
    /// A function by its ARN, its name, or a qualified ARN.
    fn function(&self, name: &str) -> Option<&Arc<LocalFunction>> {
        self.functions.get(name).or_else(|| {
            self.functions
                .values()
                .find(|f| f.config().name == name || name.starts_with(&(f.config().arn() + ":")))
        })
    }

    async fn lambda_invoke(&self, parameters: Value) -> Result<Value, TaskFailure> {
        let name = parameters["FunctionName"].as_str().unwrap_or_default();
        let arn = if name.starts_with("arn:") {
            name.to_string()
        } else {
            format!(
                "arn:aws:lambda:{}:{}:function:{name}",
                self.region, self.account_id
            )
        };
        (self.role)("lambda:InvokeFunction", &arn).map_err(|refusal| {
            TaskFailure::new(
                "Lambda.AWSLambdaException",
                format!("{refusal} (Service: Lambda, Status Code: 403, Error Code: AccessDeniedException)"),
            )
        })?;
        let function = self.function(name).ok_or_else(|| {
            TaskFailure::new(
                "Lambda.ResourceNotFoundException",
                format!("Function not found: {arn} (Service: Lambda, Status Code: 404)"),
            )
        })?;
        let payload = parameters.get("Payload").cloned().unwrap_or(json!({}));
        match function.invoke(payload.to_string().into_bytes()).await {
            Ok(answer) => {
                let output = serde_json::from_slice(&answer).unwrap_or_else(|_| {
                    Value::String(String::from_utf8_lossy(&answer).into_owned())
                });
                Ok(lambda_invoke_result(output))
            }
            Err(error) => Err(task_failure(error)),
        }
    }

    async fn sqs_send_message(&self, parameters: Value) -> Result<Value, TaskFailure> {
        let url = parameters["QueueUrl"].as_str().unwrap_or_default();
        let name = url.rsplit('/').next().unwrap_or_default();
        let arn = format!("arn:aws:sqs:{}:{}:{name}", self.region, self.account_id);
        (self.role)("sqs:SendMessage", &arn).map_err(|refusal| {
            TaskFailure::new(
                "SQS.SqsException",
                format!("{refusal} (Service: Sqs, Status Code: 400, Error Code: AccessDenied)"),
            )
        })?;
        // The integration sends a string body as it is, and JSON as its text.
        let body = match &parameters["MessageBody"] {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        let sent = self
            .sqs
            .send_message()
            .queue_url(url)
            .message_body(body)
            .send()
            .await
            .map_err(|error| {
                TaskFailure::new(
                    "SQS.SdkClientException",
                    crate::deploy::DeployError::service("SendMessage", error).to_string(),
                )
            })?;
        Ok(json!({
            "MD5OfMessageBody": sent.md5_of_message_body(),
            "MessageId": sent.message_id(),
        }))
    }
}

/// A failed invocation as Step Functions reports it: the error type Lambda gave, and
/// the function's error payload as the cause.
fn task_failure(error: InvokeError) -> TaskFailure {
    TaskFailure::new(error.error_type, error.payload.to_string())
}

#[async_trait]
impl TaskInvoker for StageTasks {
    async fn invoke(&self, resource: &str, parameters: Value) -> Result<Value, TaskFailure> {
        match resource {
            Resource::LAMBDA_INVOKE_ARN => self.lambda_invoke(parameters).await,
            Resource::SQS_SEND_MESSAGE_ARN => self.sqs_send_message(parameters).await,
            other => Err(TaskFailure::new(
                "States.Runtime",
                format!("the stage has no integration for {other}"),
            )),
        }
    }
}
