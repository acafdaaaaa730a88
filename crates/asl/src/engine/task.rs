//! A Task state's attempt: admitted by the invoker (waiting for a worker is not
//! running), invoked within its TimeoutSeconds, its result held to the 256 KiB limit.

use super::super::definition::{Resource, TaskState};
use super::super::error::{STATES_DATA_LIMIT_EXCEEDED, STATES_TIMEOUT};
use super::super::history;
use super::super::payload::too_large;
use super::super::store::Update;
use super::work::{Attempt, Work};
use super::{data_limit_cause, Failure, Interrupt};
use serde_json::{json, Value};

impl Work<'_> {
    pub(super) async fn attempt_task(self, task: &TaskState) -> Result<Attempt, Interrupt> {
        let parameters = match &task.parameters {
            Some(template) => template.render(self.effective, self.scope)?,
            None => self.effective.clone(),
        };
        if too_large(&parameters) {
            return Err(Interrupt::DataLimit(format!(
                "The state/task '{}' has an input with a size exceeding the maximum number of bytes service limit.",
                self.state_name
            )));
        }
        let timeout_seconds = task.timeout.map(|limit| limit.as_secs());
        let region = self.engine.machine.region();
        let scheduled =
            history::task_scheduled(region, &task.resource, &parameters, timeout_seconds);
        let request = invoker_parameters(&task.resource, parameters);
        // Waiting for a worker is not running: the timeout starts once it has one.
        let admission = {
            let admit = self.engine.invoker.admit(task.resource.arn(), &request);
            tokio::pin!(admit);
            let free_at_once = tokio::select! {
                biased;
                admission = &mut admit => Some(admission),
                () = std::future::ready(()) => None,
            };
            match free_at_once {
                // Scheduled and started in one write.
                Some(admission) => {
                    self.journal.defer(self.chain(), scheduled).await;
                    admission
                }
                // The history shows the task scheduled while it waits.
                None => {
                    let events = vec![scheduled];
                    self.journal
                        .append(self.chain(), events, Update::Events)
                        .await?;
                    admit.await
                }
            }
        };
        let started = vec![history::task_started(&task.resource)];
        self.journal
            .append(self.chain(), started, Update::Events)
            .await?;
        let call = self.engine.invoker.invoke(task.resource.arn(), request);
        let outcome = match task.timeout {
            Some(limit) => {
                let deadline = tokio::time::Instant::now() + limit;
                if let Some(lane) = self.lane {
                    lane.task_due(Some(deadline));
                }
                tokio::time::timeout_at(deadline, call).await.ok()
            }
            None => Some(call.await),
        };
        // The worker is free again, before any retry's wait.
        drop(admission);

        let failed = |failure: Failure, timed_out: bool| {
            let event = history::task_failed(
                &task.resource,
                timed_out,
                failure.name(),
                failure.cause.as_deref().unwrap_or_default(),
            );
            Attempt::Failed {
                failure,
                on_retry: vec![event.clone()],
                on_final: vec![event],
            }
        };
        let outcome = outcome.map(|result| result.map(|raw| task_result(&task.resource, raw)));
        Ok(match outcome {
            None => failed(Failure::new(STATES_TIMEOUT, None), true),
            Some(Ok(result)) if too_large(&result) => failed(
                Failure::new(
                    STATES_DATA_LIMIT_EXCEEDED,
                    Some(data_limit_cause(task.resource.name())),
                ),
                false,
            ),
            Some(Ok(result)) => Attempt::Succeeded {
                event: history::task_succeeded(&task.resource, &result),
                result,
            },
            Some(Err(failure)) => failed(Failure::new(&failure.error, Some(failure.cause)), false),
        })
    }
}

/// What the invoker is given: a function named by its ARN is invoked through
/// `lambda:invoke` with the state's input as its payload, as AWS invokes it.
fn invoker_parameters(resource: &Resource, parameters: Value) -> Value {
    match resource {
        Resource::LambdaFunction(arn) => json!({"FunctionName": arn, "Payload": parameters}),
        _ => parameters,
    }
}

/// A function named by its ARN gives its payload alone, without the metadata of
/// the Invoke call that `lambda:invoke` keeps.
fn task_result(resource: &Resource, raw: Value) -> Value {
    match (resource, raw) {
        (Resource::LambdaFunction(_), Value::Object(mut fields)) => {
            fields.remove("Payload").unwrap_or(Value::Null)
        }
        (_, raw) => raw,
    }
}
