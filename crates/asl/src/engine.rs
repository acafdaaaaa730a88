//! Runs one execution from its checkpoint to the end, one state at a time.
//!
//! The machine's own states are checkpointed after every step. The states inside
//! a Parallel branch or a Map iteration are part of their Parallel or Map state:
//! their events are written as they happen, and after a crash the whole Parallel
//! or Map state runs again from its checkpoint, as any state in progress does.

use super::context::{with_map_item, ExecutionContext};
use super::definition::{
    Branch, ChoiceState, FailState, Handling, MapState, ParallelState, PassState, State, StateKind,
    TaskState, Transition, WaitFor, WaitState,
};
use super::error::{
    RuntimeError, STATES_DATA_LIMIT_EXCEEDED, STATES_EXCEED_TOLERATED_FAILURE_THRESHOLD,
    STATES_NO_CHOICE_MATCHED, STATES_RUNTIME, STATES_TIMEOUT,
};
use super::history::{self, NewEvent};
use super::invoker::TaskInvoker;
use super::path::Scope;
use super::payload::too_large;
use super::processing::no_results;
use super::retry::matches;
use super::store::{AppendError, Checkpoint, ExecutionRecord, Store, Update};
use super::template::Template;
use crate::definition::parse_timestamp;
use crate::execution::ExecutionStatus;
use chrono::{DateTime, SubsecRound, Utc};
use futures::future::BoxFuture;
use futures::StreamExt;
use serde_json::{json, Map, Value};

/// Workflow variables, by name.
type Variables = Map<String, Value>;

/// How a state ended.
enum Step {
    Next {
        output: Value,
        next: String,
        assigned: Variables,
    },
    End {
        output: Value,
        assigned: Variables,
    },
    Fail {
        error: Option<String>,
        cause: Option<String>,
    },
}

impl Step {
    fn after(transition: &Transition, output: Value, assigned: Variables) -> Self {
        match transition {
            Transition::Next(next) => Self::Next {
                output,
                next: next.clone(),
                assigned,
            },
            Transition::End => Self::End { output, assigned },
        }
    }

    /// `States.Runtime`, with the prefix Step Functions gives its cause.
    fn runtime(state: &str, entered_event_id: i64, error: RuntimeError) -> Self {
        Self::Fail {
            error: Some(STATES_RUNTIME.to_string()),
            cause: Some(format!(
                "An error occurred while executing the state '{state}' (entered at the event id #{entered_event_id}). {}",
                error.0
            )),
        }
    }

    /// A state may pass on at most 256 KiB; more fails the execution.
    fn within_limit(self, state: &str) -> Self {
        match &self {
            Self::Next { output, .. } | Self::End { output, .. } if too_large(output) => {
                Self::Fail {
                    error: Some(STATES_DATA_LIMIT_EXCEEDED.to_string()),
                    cause: Some(data_limit_cause(state)),
                }
            }
            _ => self,
        }
    }
}

fn data_limit_cause(state: &str) -> String {
    format!("The state/task '{state}' returned a result with a size exceeding the maximum number of bytes service limit.")
}

/// A failure that Retry and Catch see. A Fail state may leave out either part;
/// a timeout has no cause.
#[derive(Clone, Debug)]
struct Failure {
    error: Option<String>,
    cause: Option<String>,
}

impl Failure {
    fn new(error: &str, cause: Option<String>) -> Self {
        Self {
            error: Some(error.to_string()),
            cause,
        }
    }
    fn name(&self) -> &str {
        self.error.as_deref().unwrap_or_default()
    }
    /// What a Catch passes on, and what a tolerated Map item leaves in its place.
    fn output(&self) -> Value {
        json!({
            "Error": self.name(),
            "Cause": self.cause.as_deref().unwrap_or_default(),
        })
    }
}

/// How a branch (the machine, a Parallel branch, a Map iteration) ended.
enum BranchEnd {
    Succeeded(Value),
    Failed(Failure),
}

/// One try of a Task, Parallel or Map state's work.
enum Attempt {
    /// The raw result, and the event that records it.
    Succeeded { result: Value, event: NewEvent },
    /// `on_retry` is written when a Retrier takes the failure (a Task's failure
    /// event; what a Parallel or Map state stopped), `on_final` when it does not
    /// (with `ParallelStateFailed` or `MapStateFailed` after them).
    Failed {
        failure: Failure,
        on_retry: Vec<NewEvent>,
        on_final: Vec<NewEvent>,
    },
}

impl Attempt {
    /// A Parallel or Map state that failed: what it stopped is written on a retry
    /// too; `failed_event` only when no Retrier takes the failure.
    fn stopped(failure: Failure, aborted: Vec<NewEvent>, failed_event: &str) -> Self {
        let mut on_final = aborted.clone();
        on_final.push(history::bare(failed_event));
        Self::Failed {
            failure,
            on_retry: aborted,
            on_final,
        }
    }
}

/// Why a state stopped before producing a [`Step`].
enum Interrupt {
    Runtime(RuntimeError),
    /// `States.DataLimitExceeded` outside a task's result: the execution fails.
    DataLimit(String),
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
    pub machine: &'a crate::StateMachine,
    pub invoker: &'a dyn TaskInvoker,
    pub store: &'a Store,
}

/// The execution's history as it is written: one transaction per append. Parallel
/// branches and Map iterations share it, so their events interleave as they happen.
struct Journal<'a> {
    store: &'a Store,
    execution_id: String,
    pending: tokio::sync::Mutex<Pending>,
}

struct Pending {
    last_event_id: i64,
    /// Events that go out with the next append, ahead of its own (see [`Journal::defer`]).
    deferred: Vec<NewEvent>,
}

impl Journal<'_> {
    /// Writes `events` (after any deferred ones) with `update`; returns the id of
    /// the last event written.
    async fn append(&self, events: Vec<NewEvent>, update: Update) -> Result<i64, AppendError> {
        self.write(events, |_| update).await
    }

    /// Writes `events`, whose last is the `...StateEntered` of `cursor`'s state, and
    /// returns the cursor with that event's id. A durable cursor is the checkpoint.
    async fn enter(
        &self,
        events: Vec<NewEvent>,
        mut cursor: Checkpoint,
        durable: bool,
    ) -> Result<Checkpoint, AppendError> {
        self.write(events, |entered_event_id| {
            cursor.entered_event_id = entered_event_id;
            if durable {
                Update::Checkpoint(cursor.clone())
            } else {
                Update::Events
            }
        })
        .await?;
        Ok(cursor)
    }

    /// The one write: deferred events, then `events`, with the update `update_for`
    /// makes from the id the last of them will have; returns that id.
    async fn write(
        &self,
        events: Vec<NewEvent>,
        update_for: impl FnOnce(i64) -> Update,
    ) -> Result<i64, AppendError> {
        let mut pending = self.pending.lock().await;
        let mut all = std::mem::take(&mut pending.deferred);
        all.extend(events);
        let update = update_for(pending.last_event_id + all.len() as i64);
        pending.last_event_id = self
            .store
            .append(&self.execution_id, pending.last_event_id, &all, &update)
            .await?;
        Ok(pending.last_event_id)
    }

    /// Keeps an event for the next append, which follows before anything else
    /// happens, so both are one write. A crash in between is a crash before the
    /// event: the state runs again from the same checkpoint either way.
    async fn defer(&self, event: NewEvent) {
        self.pending.lock().await.deferred.push(event);
    }
}

/// Where a state stands as it is entered, now (the journal gives the entered event's id).
fn entering(state: String, input: Value, variables: Variables) -> Checkpoint {
    Checkpoint {
        state,
        input,
        entered_at: now(),
        retry_attempts: Vec::new(),
        entered_event_id: 0,
        variables,
    }
}

/// Evaluates an `Assign` over `dollar` (what `$` means for the state).
fn assign(
    template: Option<&Template>,
    dollar: &Value,
    scope: &Scope<'_>,
) -> Result<Variables, RuntimeError> {
    match template.map(|t| t.render(dollar, scope)).transpose()? {
        None => Ok(Variables::new()),
        Some(Value::Object(assigned)) => Ok(assigned),
        Some(_) => Err(RuntimeError("Assign must be an object".to_string())),
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
        let journal = Journal {
            store: self.store,
            execution_id: record.execution_id.clone(),
            pending: tokio::sync::Mutex::new(Pending {
                last_event_id: record.last_event_id,
                deferred: Vec::new(),
            }),
        };
        let Some(checkpoint) = record.checkpoint else {
            return Err(AppendError::Superseded(record.execution_id));
        };
        let end = self
            .run_branch(self.machine.root(), checkpoint, None, &context, &journal)
            .await?;
        Ok(match end {
            BranchEnd::Succeeded(_) => ExecutionStatus::Succeeded,
            BranchEnd::Failed(_) => ExecutionStatus::Failed,
        })
    }

    /// Runs a branch from `cursor` to its end. Without a `lane` the branch is the
    /// machine itself, whose every step is its checkpoint and whose end ends the
    /// execution; a Parallel branch or Map iteration tells its lane where it is.
    fn run_branch<'s>(
        &'s self,
        branch: &'s Branch,
        mut cursor: Checkpoint,
        lane: Option<&'s Lane>,
        context: &'s ExecutionContext,
        journal: &'s Journal<'s>,
    ) -> BoxFuture<'s, Result<BranchEnd, AppendError>> {
        let durable = lane.is_none();
        Box::pin(async move {
            loop {
                let name = cursor.state.clone();
                if let Some(lane) = lane {
                    lane.now_in(Some(branch.type_of(&name)));
                }
                let step = match branch.state(&name) {
                    Some(state) => match self
                        .run_state(state, &mut cursor, context, journal, durable)
                        .await
                    {
                        Ok(step) => step,
                        Err(Interrupt::Runtime(error)) => {
                            Step::runtime(&name, cursor.entered_event_id, error)
                        }
                        Err(Interrupt::DataLimit(cause)) => Step::Fail {
                            error: Some(STATES_DATA_LIMIT_EXCEEDED.to_string()),
                            cause: Some(cause),
                        },
                        Err(Interrupt::Store(error)) => return Err(error),
                    },
                    // The definition changed under a resumed execution.
                    None => Step::runtime(
                        &name,
                        cursor.entered_event_id,
                        RuntimeError(format!("state {name:?} is not in the definition")),
                    ),
                };
                let type_name = branch.type_of(&name);
                let step = step.within_limit(&name);
                if let (Some(lane), Step::End { .. } | Step::Fail { .. }) = (lane, &step) {
                    lane.now_in(None);
                }
                match step {
                    Step::Next {
                        output,
                        next,
                        assigned,
                    } => {
                        let events = vec![
                            history::state_exited(type_name, &name, &output, &assigned),
                            history::state_entered(branch.type_of(&next), &next, &output),
                        ];
                        let mut variables = std::mem::take(&mut cursor.variables);
                        variables.extend(assigned);
                        cursor = journal
                            .enter(events, entering(next, output, variables), durable)
                            .await?;
                    }
                    Step::End { output, assigned } => {
                        let exited = history::state_exited(type_name, &name, &output, &assigned);
                        if durable {
                            let events = vec![exited, history::execution_succeeded(&output)];
                            let update = Update::Finish {
                                status: ExecutionStatus::Succeeded,
                                output: Some(output.clone()),
                                error: None,
                                cause: None,
                            };
                            journal.append(events, update).await?;
                        } else {
                            journal.append(vec![exited], Update::Events).await?;
                        }
                        return Ok(BranchEnd::Succeeded(output));
                    }
                    // A failing branch writes nothing: its Parallel or Map state records it.
                    Step::Fail { error, cause } => {
                        if durable {
                            let events = vec![history::execution_failed(
                                error.as_deref(),
                                cause.as_deref(),
                            )];
                            let update = Update::Finish {
                                status: ExecutionStatus::Failed,
                                output: None,
                                error: error.clone(),
                                cause: cause.clone(),
                            };
                            journal.append(events, update).await?;
                        }
                        return Ok(BranchEnd::Failed(Failure { error, cause }));
                    }
                }
            }
        })
    }

    /// Writes a branch's first `...StateEntered` (after `lead`) and returns where it stands.
    async fn enter_branch(
        &self,
        branch: &Branch,
        input: Value,
        variables: Variables,
        lead: Vec<NewEvent>,
        journal: &Journal<'_>,
    ) -> Result<Checkpoint, AppendError> {
        let start = branch.start_at();
        let mut events = lead;
        events.push(history::state_entered(branch.type_of(start), start, &input));
        journal
            .enter(events, entering(start.to_string(), input, variables), false)
            .await
    }

    async fn run_state(
        &self,
        state: &State,
        cursor: &mut Checkpoint,
        context: &ExecutionContext,
        journal: &Journal<'_>,
        durable: bool,
    ) -> Result<Step, Interrupt> {
        let ctx = context.for_state(
            &cursor.state,
            cursor.entered_at,
            state
                .can_retry()
                .then(|| cursor.retry_attempts.iter().sum()),
        );
        let scope = Scope {
            context: &ctx,
            variables: &cursor.variables,
        };
        let effective = state.input_path.apply(&cursor.input, &scope)?;
        match &state.kind {
            StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_) => {
                self.run_work(state, effective, ctx, cursor, context, journal, durable)
                    .await
            }
            StateKind::Pass(pass) => run_pass(state, pass, effective, &cursor.input, &scope),
            StateKind::Wait(wait) => {
                let assigned = assign(state.assign.as_ref(), &effective, &scope)?;
                let until = wait_until(wait, &effective, &scope, cursor.entered_at)?;
                if let Ok(delay) = (until - Utc::now()).to_std() {
                    tokio::time::sleep(delay).await;
                }
                Ok(Step::after(
                    &wait.transition,
                    state.output_path.apply(&effective, &scope)?,
                    assigned,
                ))
            }
            StateKind::Choice(choice) => run_choice(state, choice, effective, &scope),
            StateKind::Succeed => Ok(Step::End {
                output: state.output_path.apply(&effective, &scope)?,
                assigned: Variables::new(),
            }),
            StateKind::Fail(FailState { error, cause }) => Ok(Step::Fail {
                error: error.clone(),
                cause: cause.clone(),
            }),
        }
    }

    /// A Task, Parallel or Map state: tries its work, retries and catches as its
    /// Retry and Catch say, and shapes the result. `ctx` is the state's context
    /// object as it entered (its `RetryCount` counts the retries done so far).
    #[allow(clippy::too_many_arguments)]
    async fn run_work(
        &self,
        state: &State,
        effective: Value,
        mut ctx: Value,
        cursor: &mut Checkpoint,
        context: &ExecutionContext,
        journal: &Journal<'_>,
        durable: bool,
    ) -> Result<Step, Interrupt> {
        let (handling, transition): (&Handling, &Transition) = match &state.kind {
            StateKind::Task(task) => (&task.handling, &task.transition),
            StateKind::Parallel(parallel) => (&parallel.handling, &parallel.transition),
            StateKind::Map(map) => (&map.handling, &map.transition),
            _ => unreachable!("run_work runs only Task, Parallel and Map states"),
        };
        // A resumed execution keeps its counters; a changed definition gets fresh ones.
        cursor.retry_attempts.resize(handling.retry.len(), 0);
        loop {
            let scope = Scope {
                context: &ctx,
                variables: &cursor.variables,
            };
            let attempt = match &state.kind {
                StateKind::Task(task) => {
                    self.attempt_task(&cursor.state, task, &effective, &scope, journal)
                        .await?
                }
                StateKind::Parallel(parallel) => {
                    self.attempt_parallel(parallel, &effective, &scope, context, journal)
                        .await?
                }
                StateKind::Map(map) => {
                    self.attempt_map(&cursor.state, map, &effective, &scope, context, journal)
                        .await?
                }
                _ => unreachable!("run_work runs only Task, Parallel and Map states"),
            };
            let (failure, on_retry, on_final) = match attempt {
                Attempt::Succeeded { result, event } => {
                    // Written with the transition to the next state, in one write.
                    journal.defer(event).await;
                    let selected = match &handling.result_selector {
                        Some(selector) => selector.render(&result, &scope)?,
                        None => result,
                    };
                    let assigned = assign(state.assign.as_ref(), &selected, &scope)?;
                    let merged = handling.result_path.apply(&cursor.input, selected)?;
                    let output = state.output_path.apply(&merged, &scope)?;
                    return Ok(Step::after(transition, output, assigned));
                }
                Attempt::Failed {
                    failure,
                    on_retry,
                    on_final,
                } => (failure, on_retry, on_final),
            };

            // The first Retrier that names the error decides; once its attempts
            // are used up the error goes to Catch.
            if let Some(index) = handling
                .retry
                .iter()
                .position(|retrier| matches(&retrier.errors, failure.name()))
            {
                let retrier = &handling.retry[index];
                let done = cursor.retry_attempts[index];
                if done < retrier.max_attempts {
                    cursor.retry_attempts[index] += 1;
                    let events = on_retry;
                    let update = if durable {
                        Update::Checkpoint(cursor.clone())
                    } else {
                        Update::Events
                    };
                    journal.append(events, update).await?;
                    tokio::time::sleep(retrier.delay(done)).await;
                    let retry_count = cursor.retry_attempts.iter().sum();
                    ctx = context.for_state(&cursor.state, cursor.entered_at, Some(retry_count));
                    continue;
                }
            }
            journal.append(on_final, Update::Events).await?;
            if let Some(catcher) = handling
                .catch
                .iter()
                .find(|catcher| matches(&catcher.errors, failure.name()))
            {
                let error_output = failure.output();
                let assigned = assign(catcher.assign.as_ref(), &error_output, &scope)?;
                let output = catcher.result_path.apply(&cursor.input, error_output)?;
                return Ok(Step::Next {
                    output,
                    next: catcher.next.clone(),
                    assigned,
                });
            }
            return Ok(Step::Fail {
                error: failure.error,
                cause: failure.cause,
            });
        }
    }

    async fn attempt_task(
        &self,
        state_name: &str,
        task: &TaskState,
        effective: &Value,
        scope: &Scope<'_>,
        journal: &Journal<'_>,
    ) -> Result<Attempt, Interrupt> {
        let parameters = match &task.parameters {
            Some(template) => template.render(effective, scope)?,
            None => effective.clone(),
        };
        if too_large(&parameters) {
            return Err(Interrupt::DataLimit(format!(
                "The state/task '{state_name}' has an input with a size exceeding the maximum number of bytes service limit."
            )));
        }
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
                    journal.defer(scheduled).await;
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
                    Some(data_limit_cause(state_name)),
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

    /// Every branch on the same input, side by side; the first to fail stops the others.
    async fn attempt_parallel(
        &self,
        parallel: &ParallelState,
        effective: &Value,
        scope: &Scope<'_>,
        context: &ExecutionContext,
        journal: &Journal<'_>,
    ) -> Result<Attempt, Interrupt> {
        let input = match &parallel.parameters {
            Some(template) => template.render(effective, scope)?,
            None => effective.clone(),
        };
        journal
            .append(vec![history::bare("ParallelStateStarted")], Update::Events)
            .await?;
        let lanes: Vec<Lane> = parallel.branches.iter().map(|_| Lane::default()).collect();
        let runs = parallel.branches.iter().zip(&lanes).map(|(branch, lane)| {
            let input = input.clone();
            async move {
                let cursor = self
                    .enter_branch(branch, input, scope.variables.clone(), Vec::new(), journal)
                    .await
                    .map_err(Stop::Store)?;
                match self
                    .run_branch(branch, cursor, Some(lane), context, journal)
                    .await
                    .map_err(Stop::Store)?
                {
                    BranchEnd::Succeeded(output) => Ok(output),
                    BranchEnd::Failed(failure) => Err(Stop::Failed(failure)),
                }
            }
        });
        Ok(match futures::future::try_join_all(runs).await {
            Ok(outputs) => Attempt::Succeeded {
                result: Value::Array(outputs),
                event: history::bare("ParallelStateSucceeded"),
            },
            // The other branches stopped in the states they were in.
            Err(Stop::Failed(failure)) => Attempt::stopped(
                failure,
                lanes.iter().filter_map(Lane::aborted).collect(),
                "ParallelStateFailed",
            ),
            Err(Stop::Store(error)) => return Err(Interrupt::Store(error)),
        })
    }

    /// The processor once per item, `MaxConcurrency` at a time; the outputs in item order.
    async fn attempt_map(
        &self,
        state_name: &str,
        map: &MapState,
        effective: &Value,
        scope: &Scope<'_>,
        context: &ExecutionContext,
        journal: &Journal<'_>,
    ) -> Result<Attempt, Interrupt> {
        let items = match map.items_path.select(effective, scope) {
            Some(Value::Array(items)) => items.clone(),
            Some(_) => {
                return Err(RuntimeError(format!(
                    "Reference path \"{}\" must point to array.",
                    map.items_path
                ))
                .into())
            }
            None => return Err(no_results(&map.items_path).into()),
        };
        let count = items.len();
        journal
            .append(vec![history::map_state_started(count)], Update::Events)
            .await?;
        let at_once = match map.max_concurrency {
            0 => count.max(1),
            limit => limit,
        };
        let lanes: Vec<Lane> = items.iter().map(|_| Lane::default()).collect();
        let lanes = &lanes;
        let mut iterations = futures::stream::iter(items.into_iter().enumerate())
            .map(|(index, item)| async move {
                let lane = &lanes[index];
                let end = self
                    .run_iteration(
                        state_name, map, index, item, effective, scope, context, journal, lane,
                    )
                    .await;
                (index, end)
            })
            .buffer_unordered(at_once);
        let mut outputs = vec![Value::Null; count];
        let mut failures = 0;
        while let Some((index, end)) = iterations.next().await {
            match end? {
                BranchEnd::Succeeded(output) => outputs[index] = output,
                BranchEnd::Failed(failure) => {
                    failures += 1;
                    let failed = |failure| {
                        // The iterations still running stop where they are.
                        let aborted: Vec<NewEvent> = lanes
                            .iter()
                            .enumerate()
                            .filter_map(|(index, lane)| {
                                let state = lane.aborted()?;
                                Some([
                                    state,
                                    history::map_iteration(
                                        "MapIterationAborted",
                                        index,
                                        state_name,
                                    ),
                                ])
                            })
                            .flatten()
                            .collect();
                        Attempt::stopped(failure, aborted, "MapStateFailed")
                    };
                    match tolerates(map, failures, count) {
                        // No threshold: the first failure is the Map's.
                        None => return Ok(failed(failure)),
                        Some(false) => {
                            return Ok(failed(Failure::new(
                                STATES_EXCEED_TOLERATED_FAILURE_THRESHOLD,
                                Some(
                                    "The specified tolerated failure threshold was exceeded".into(),
                                ),
                            )))
                        }
                        // A tolerated failure leaves its error output in the item's place.
                        Some(true) => outputs[index] = failure.output(),
                    }
                }
            }
        }
        Ok(Attempt::Succeeded {
            result: Value::Array(outputs),
            event: history::bare("MapStateSucceeded"),
        })
    }

    /// One item through the Map's processor, between `MapIterationStarted` and
    /// `MapIterationSucceeded` or `MapIterationFailed`.
    #[allow(clippy::too_many_arguments)]
    async fn run_iteration(
        &self,
        state_name: &str,
        map: &MapState,
        index: usize,
        item: Value,
        effective: &Value,
        scope: &Scope<'_>,
        context: &ExecutionContext,
        journal: &Journal<'_>,
        lane: &Lane,
    ) -> Result<BranchEnd, Interrupt> {
        let item_context = with_map_item(scope.context.clone(), index, &item);
        let item_scope = Scope {
            context: &item_context,
            variables: scope.variables,
        };
        let input = match &map.item_selector {
            Some(selector) => selector.render(effective, &item_scope)?,
            None => item,
        };
        let started = history::map_iteration("MapIterationStarted", index, state_name);
        let cursor = self
            .enter_branch(
                &map.processor,
                input,
                scope.variables.clone(),
                vec![started],
                journal,
            )
            .await?;
        let end = self
            .run_branch(&map.processor, cursor, Some(lane), context, journal)
            .await?;
        let event_type = match end {
            BranchEnd::Succeeded(_) => "MapIterationSucceeded",
            BranchEnd::Failed(_) => "MapIterationFailed",
        };
        journal
            .append(
                vec![history::map_iteration(event_type, index, state_name)],
                Update::Events,
            )
            .await?;
        Ok(end)
    }
}

/// Where a Parallel branch or Map iteration is: the type of the state it is in,
/// until it ends. What is left when its Parallel or Map state stops it is the
/// state it was stopped in.
#[derive(Default)]
struct Lane {
    state_type: std::sync::Mutex<Option<&'static str>>,
}

impl Lane {
    fn now_in(&self, state_type: Option<&'static str>) {
        if let Ok(mut current) = self.state_type.lock() {
            *current = state_type;
        }
    }

    /// `TaskStateAborted`, `WaitStateAborted`...: for a lane stopped mid-state.
    fn aborted(&self) -> Option<NewEvent> {
        let state_type = (*self.state_type.lock().ok()?)?;
        Some(history::bare(&format!("{state_type}StateAborted")))
    }
}

/// Why a Parallel branch stopped the others.
enum Stop {
    Failed(Failure),
    Store(AppendError),
}

/// None when the Map has no threshold; otherwise whether `failures` of `count` items
/// are still within it (either threshold, when both are given, may be exceeded).
fn tolerates(map: &MapState, failures: u64, count: usize) -> Option<bool> {
    if map.tolerated_failure_count.is_none() && map.tolerated_failure_percentage.is_none() {
        return None;
    }
    let within_count = map
        .tolerated_failure_count
        .is_none_or(|limit| failures <= limit);
    let within_share = map
        .tolerated_failure_percentage
        .is_none_or(|limit| failures as f64 * 100.0 <= limit * count as f64);
    Some(within_count && within_share)
}

/// A Pass state's `Assign` reads its result (`Result`, `Parameters` or the effective
/// input), as on AWS.
fn run_pass(
    state: &State,
    pass: &PassState,
    effective: Value,
    raw_input: &Value,
    scope: &Scope<'_>,
) -> Result<Step, Interrupt> {
    let result = match (&pass.result, &pass.parameters) {
        (Some(result), _) => result.clone(),
        (None, Some(parameters)) => parameters.render(&effective, scope)?,
        (None, None) => effective,
    };
    let assigned = assign(state.assign.as_ref(), &result, scope)?;
    let merged = pass.result_path.apply(raw_input, result)?;
    Ok(Step::after(
        &pass.transition,
        state.output_path.apply(&merged, scope)?,
        assigned,
    ))
}

/// The matching rule's Assign, or the state's own when the Default is taken.
fn run_choice(
    state: &State,
    choice: &ChoiceState,
    effective: Value,
    scope: &Scope<'_>,
) -> Result<Step, Interrupt> {
    let mut taken = None;
    for rule in &choice.rules {
        if rule.condition.evaluate(&effective, scope)? {
            taken = Some((rule.next.clone(), rule.assign.as_ref()));
            break;
        }
    }
    let taken = taken.or_else(|| {
        choice
            .default
            .clone()
            .map(|default| (default, state.assign.as_ref()))
    });
    let Some((next, assign_template)) = taken else {
        return Ok(Step::Fail {
            error: Some(STATES_NO_CHOICE_MATCHED.to_string()),
            cause: Some("No Matches!".to_string()),
        });
    };
    let assigned = assign(assign_template, &effective, scope)?;
    Ok(Step::Next {
        output: state.output_path.apply(&effective, scope)?,
        next,
        assigned,
    })
}

/// When a Wait state ends. A relative wait counts from when the state was entered,
/// so a resumed execution waits only what is left.
fn wait_until(
    wait: &WaitState,
    effective: &Value,
    scope: &Scope<'_>,
    entered_at: DateTime<Utc>,
) -> Result<DateTime<Utc>, RuntimeError> {
    let after = |seconds: i64| {
        // Step Functions' own ceiling on a wait, about 68 years.
        if seconds > i64::from(i32::MAX) {
            return Err(RuntimeError("Wait state delay is too long.".to_string()));
        }
        Ok(entered_at + chrono::Duration::seconds(seconds))
    };
    match &wait.until {
        WaitFor::Seconds(seconds) => after(i64::try_from(*seconds).unwrap_or(i64::MAX)),
        WaitFor::Timestamp(at) => Ok(*at),
        WaitFor::SecondsPath(path) => {
            let value = path.select(effective, scope).ok_or_else(|| {
                RuntimeError(format!(
                    "The SecondsPath parameter does not reference an input value: {path}"
                ))
            })?;
            let seconds = value.as_i64().ok_or_else(|| {
                RuntimeError(format!(
                    "The SecondsPath parameter cannot be parsed as a long value: {path} == {value}"
                ))
            })?;
            if seconds < 0 {
                return Err(RuntimeError(format!(
                    "The SecondsPath parameter references a negative value: {path} == {value}"
                )));
            }
            after(seconds)
        }
        WaitFor::TimestampPath(path) => {
            let value = path.select(effective, scope).ok_or_else(|| {
                RuntimeError(format!(
                    "The TimestampPath parameter does not reference an input value: {path}"
                ))
            })?;
            value.as_str().and_then(parse_timestamp).ok_or_else(|| {
                let shown = value.as_str().map_or_else(|| value.to_string(), str::to_string);
                RuntimeError(format!(
                    "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {path} == {shown}"
                ))
            })
        }
    }
}
