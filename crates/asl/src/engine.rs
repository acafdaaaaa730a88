//! Runs one execution from its checkpoint to the end, one state at a time,
//! committing history and checkpoint after every step.

use super::context::ExecutionContext;
use super::definition::{
    ChoiceState, FailState, PassState, State, StateKind, StateMachine, TaskState, Transition,
};
use super::error::{RuntimeError, STATES_NO_CHOICE_MATCHED, STATES_RUNTIME, STATES_TIMEOUT};
use super::history::{self, NewEvent};
use super::invoker::{TaskFailure, TaskInvoker};
use super::retry::matches;
use super::store::{AppendError, Checkpoint, ExecutionRecord, Store, Update};
use crate::execution::ExecutionStatus;
use chrono::{DateTime, SubsecRound, Utc};
use serde_json::{json, Value};

/// How a state ended.
enum Step {
    Next {
        output: Value,
        next: String,
    },
    End {
        output: Value,
    },
    Fail {
        error: Option<String>,
        cause: Option<String>,
    },
}

impl Step {
    fn after(transition: &Transition, output: Value) -> Self {
        match transition {
            Transition::Next(next) => Self::Next {
                output,
                next: next.clone(),
            },
            Transition::End => Self::End { output },
        }
    }
    fn runtime(error: RuntimeError) -> Self {
        Self::Fail {
            error: Some(STATES_RUNTIME.to_string()),
            cause: Some(error.0),
        }
    }
}

/// Why a state stopped before producing a [`Step`].
enum Interrupt {
    Runtime(RuntimeError),
    Store(AppendError),
}

impl From<RuntimeError> for Interrupt {
    fn from(error: RuntimeError) -> Self {
        Self::Runtime(error)
    }
}

impl From<AppendError> for Interrupt {
    fn from(error: AppendError) -> Self {
        Self::Store(error)
    }
}

/// Timestamps as stored (milliseconds), so the context object reads the same
/// before and after a resume.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

pub struct Engine<'a> {
    pub machine: &'a StateMachine,
    pub invoker: &'a dyn TaskInvoker,
    pub store: &'a Store,
}

/// The execution's history as it is written: one transaction per [`Journal::append`].
struct Journal<'a> {
    store: &'a Store,
    execution_id: String,
    last_event_id: i64,
    /// Events that go out with the next append, ahead of its own (see [`Journal::defer`]).
    deferred: Vec<NewEvent>,
}

impl Journal<'_> {
    async fn append(&mut self, events: Vec<NewEvent>, update: Update) -> Result<(), AppendError> {
        let mut all = std::mem::take(&mut self.deferred);
        all.extend(events);
        self.last_event_id = self
            .store
            .append(&self.execution_id, self.last_event_id, &all, &update)
            .await?;
        Ok(())
    }

    /// Keeps events for the next append, which follows before anything else happens,
    /// so both are one write. A crash in between is a crash before these events: the
    /// state runs again from the same checkpoint either way.
    fn defer(&mut self, event: NewEvent) {
        self.deferred.push(event);
    }
}

impl Engine<'_> {
    /// Continues `record` (a RUNNING execution) until it ends; returns its final status.
    pub async fn run(&self, record: ExecutionRecord) -> Result<ExecutionStatus, AppendError> {
        let context = ExecutionContext {
            id: record.execution_id.clone(),
            name: record.name.clone(),
            input: record.input.clone(),
            start_time: record.start_date,
            state_machine_id: self.machine.arn(),
            state_machine_name: self.machine.name().to_string(),
        };
        let mut journal = Journal {
            store: self.store,
            execution_id: record.execution_id.clone(),
            last_event_id: record.last_event_id,
            deferred: Vec::new(),
        };
        let Some(mut checkpoint) = record.checkpoint else {
            return Err(AppendError::Superseded(record.execution_id));
        };
        loop {
            let step = match self.machine.state(&checkpoint.state) {
                Some(state) => match self
                    .run_state(state, &mut checkpoint, &context, &mut journal)
                    .await
                {
                    Ok(step) => step,
                    Err(Interrupt::Runtime(error)) => Step::runtime(error),
                    Err(Interrupt::Store(error)) => return Err(error),
                },
                // The definition changed under a resumed execution.
                None => Step::runtime(RuntimeError(format!(
                    "state {:?} is not in the definition",
                    checkpoint.state
                ))),
            };
            let type_name = self
                .machine
                .state(&checkpoint.state)
                .map_or("Task", State::type_name);
            match step {
                Step::Next { output, next } => {
                    let next_type = self.machine.state(&next).map_or("Task", State::type_name);
                    let events = vec![
                        history::state_exited(type_name, &checkpoint.state, &output),
                        history::state_entered(next_type, &next, &output),
                    ];
                    let next_checkpoint = Checkpoint {
                        state: next,
                        input: output,
                        entered_at: now(),
                        retry_attempts: Vec::new(),
                    };
                    journal
                        .append(events, Update::Checkpoint(next_checkpoint.clone()))
                        .await?;
                    checkpoint = next_checkpoint;
                }
                Step::End { output } => {
                    let events = vec![
                        history::state_exited(type_name, &checkpoint.state, &output),
                        history::execution_succeeded(&output),
                    ];
                    let update = Update::Finish {
                        status: ExecutionStatus::Succeeded,
                        output: Some(output),
                        error: None,
                        cause: None,
                    };
                    journal.append(events, update).await?;
                    return Ok(ExecutionStatus::Succeeded);
                }
                Step::Fail { error, cause } => {
                    let events = vec![history::execution_failed(
                        error.as_deref().unwrap_or_default(),
                        cause.as_deref().unwrap_or_default(),
                    )];
                    let update = Update::Finish {
                        status: ExecutionStatus::Failed,
                        output: None,
                        error,
                        cause,
                    };
                    journal.append(events, update).await?;
                    return Ok(ExecutionStatus::Failed);
                }
            }
        }
    }

    async fn run_state(
        &self,
        state: &State,
        checkpoint: &mut Checkpoint,
        context: &ExecutionContext,
        journal: &mut Journal<'_>,
    ) -> Result<Step, Interrupt> {
        let effective = state.input_path.apply("InputPath", &checkpoint.input)?;
        match &state.kind {
            StateKind::Task(task) => {
                self.run_task(state, task, effective, checkpoint, context, journal)
                    .await
            }
            StateKind::Pass(pass) => {
                let ctx = context.for_state(&checkpoint.state, checkpoint.entered_at, 0);
                run_pass(state, pass, effective, &checkpoint.input, &ctx)
            }
            StateKind::Choice(choice) => {
                let ctx = context.for_state(&checkpoint.state, checkpoint.entered_at, 0);
                run_choice(state, choice, effective, &ctx)
            }
            StateKind::Succeed => Ok(Step::End {
                output: state.output_path.apply("OutputPath", &effective)?,
            }),
            StateKind::Fail(FailState { error, cause }) => Ok(Step::Fail {
                error: error.clone(),
                cause: cause.clone(),
            }),
        }
    }

    async fn run_task(
        &self,
        state: &State,
        task: &TaskState,
        effective: Value,
        checkpoint: &mut Checkpoint,
        context: &ExecutionContext,
        journal: &mut Journal<'_>,
    ) -> Result<Step, Interrupt> {
        // A resumed execution keeps its counters; a changed definition gets fresh ones.
        checkpoint.retry_attempts.resize(task.retry.len(), 0);
        loop {
            let retry_count = checkpoint.retry_attempts.iter().sum();
            let ctx = context.for_state(&checkpoint.state, checkpoint.entered_at, retry_count);
            let parameters = match &task.parameters {
                Some(template) => template.render(&effective, &ctx)?,
                None => effective.clone(),
            };
            let timeout_seconds = task.timeout.map(|limit| limit.as_secs());
            let scheduled = history::task_scheduled(task.resource, &parameters, timeout_seconds);
            // Waiting for a worker is not running: the timeout starts once it has one.
            let admission = {
                let admit = self.invoker.admit(task.resource.arn(), &parameters);
                tokio::pin!(admit);
                let free_at_once = tokio::select! {
                    biased;
                    admission = &mut admit => Some(admission),
                    () = std::future::ready(()) => None,
                };
                match free_at_once {
                    // Scheduled and started in one write.
                    Some(admission) => {
                        journal.defer(scheduled);
                        admission
                    }
                    // The history shows the task scheduled while it waits.
                    None => {
                        journal.append(vec![scheduled], Update::Events).await?;
                        admit.await
                    }
                }
            };
            journal
                .append(vec![history::task_started(task.resource)], Update::Events)
                .await?;
            let call = self.invoker.invoke(task.resource.arn(), parameters);
            let outcome = match task.timeout {
                Some(limit) => tokio::time::timeout(limit, call).await.unwrap_or_else(|_| {
                    Err(TaskFailure::new(
                        STATES_TIMEOUT,
                        format!("The task did not finish within {} s", limit.as_secs()),
                    ))
                }),
                None => call.await,
            };
            // The worker is free again, before any retry's wait.
            drop(admission);

            let failure = match outcome {
                Ok(raw) => {
                    // Written with the transition to the next state, in one write.
                    journal.defer(history::task_succeeded(task.resource, &raw));
                    let selected = match &task.result_selector {
                        Some(selector) => selector.render(&raw, &ctx)?,
                        None => raw,
                    };
                    let merged = task.result_path.apply(&checkpoint.input, selected)?;
                    let output = state.output_path.apply("OutputPath", &merged)?;
                    return Ok(Step::after(&task.transition, output));
                }
                Err(failure) => failure,
            };
            let failed_event = history::task_failed(
                task.resource,
                failure.error == STATES_TIMEOUT,
                &failure.error,
                &failure.cause,
            );

            // The first Retrier that names the error decides; once its attempts
            // are used up the error goes to Catch.
            if let Some(index) = task
                .retry
                .iter()
                .position(|retrier| matches(&retrier.errors, &failure.error))
            {
                let retrier = &task.retry[index];
                let done = checkpoint.retry_attempts[index];
                if done < retrier.max_attempts {
                    checkpoint.retry_attempts[index] += 1;
                    journal
                        .append(vec![failed_event], Update::Checkpoint(checkpoint.clone()))
                        .await?;
                    tokio::time::sleep(retrier.delay(done)).await;
                    continue;
                }
            }
            journal.append(vec![failed_event], Update::Events).await?;
            if let Some(catcher) = task
                .catch
                .iter()
                .find(|catcher| matches(&catcher.errors, &failure.error))
            {
                let error_output = json!({"Error": failure.error, "Cause": failure.cause});
                let output = catcher.result_path.apply(&checkpoint.input, error_output)?;
                return Ok(Step::Next {
                    output,
                    next: catcher.next.clone(),
                });
            }
            return Ok(Step::Fail {
                error: Some(failure.error),
                cause: Some(failure.cause),
            });
        }
    }
}

fn run_pass(
    state: &State,
    pass: &PassState,
    effective: Value,
    raw_input: &Value,
    ctx: &Value,
) -> Result<Step, Interrupt> {
    let result = match (&pass.result, &pass.parameters) {
        (Some(result), _) => result.clone(),
        (None, Some(parameters)) => parameters.render(&effective, ctx)?,
        (None, None) => effective,
    };
    let merged = pass.result_path.apply(raw_input, result)?;
    Ok(Step::after(
        &pass.transition,
        state.output_path.apply("OutputPath", &merged)?,
    ))
}

fn run_choice(
    state: &State,
    choice: &ChoiceState,
    effective: Value,
    ctx: &Value,
) -> Result<Step, Interrupt> {
    let mut next = None;
    for rule in &choice.rules {
        if rule.condition.evaluate(&effective, ctx)? {
            next = Some(rule.next.clone());
            break;
        }
    }
    let Some(next) = next.or_else(|| choice.default.clone()) else {
        return Ok(Step::Fail {
            error: Some(STATES_NO_CHOICE_MATCHED.to_string()),
            cause: Some("No Matches!".to_string()),
        });
    };
    Ok(Step::Next {
        output: state.output_path.apply("OutputPath", &effective)?,
        next,
    })
}
