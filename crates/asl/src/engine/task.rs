//! A Task state's attempt: admitted by the invoker (waiting for a worker is not
//! running), invoked within its TimeoutSeconds, its result held to the 256 KiB limit.

use super::super::definition::TaskState;
use super::super::error::{STATES_DATA_LIMIT_EXCEEDED, STATES_TIMEOUT};
use super::super::history;
use super::super::payload::too_large;
use super::super::store::Update;
use super::work::{Attempt, Work};
use super::{data_limit_cause, Failure, Interrupt};

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
            history::task_scheduled(region, task.resource, &parameters, timeout_seconds);
        // Waiting for a worker is not running: the timeout starts once it has one.
        let admission = {
            let admit = self.engine.invoker.admit(task.resource.arn(), &parameters);
            tokio::pin!(admit);
            let free_at_once = tokio::select! {
                biased;
                admission = &mut admit => Some(admission),
                () = std::future::ready(()) => None,
            };
            match free_at_once {
                // Scheduled and started in one write.
                Some(admission) => {
                    self.journal.defer(scheduled).await;
                    admission
                }
                // The history shows the task scheduled while it waits.
                None => {
                    self.journal.append(vec![scheduled], Update::Events).await?;
                    admit.await
                }
            }
        };
        self.journal
            .append(vec![history::task_started(task.resource)], Update::Events)
            .await?;
        let call = self.engine.invoker.invoke(task.resource.arn(), parameters);
        let outcome = match task.timeout {
            Some(limit) => tokio::time::timeout(limit, call).await.ok(),
            None => Some(call.await),
        };
        // The worker is free again, before any retry's wait.
        drop(admission);

        let failed = |failure: Failure, timed_out: bool| {
            let event = history::task_failed(
                task.resource,
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
        Ok(match outcome {
            None => failed(Failure::new(STATES_TIMEOUT, None), true),
            Some(Ok(result)) if too_large(&result) => failed(
                Failure::new(
                    STATES_DATA_LIMIT_EXCEEDED,
                    Some(data_limit_cause(self.state_name)),
                ),
                false,
            ),
            Some(Ok(result)) => Attempt::Succeeded {
                event: history::task_succeeded(task.resource, &result),
                result,
            },
            Some(Err(failure)) => failed(Failure::new(&failure.error, Some(failure.cause)), false),
        })
    }
}
