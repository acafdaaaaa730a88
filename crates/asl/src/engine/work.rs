//! The states that do work (Task, Parallel, Map): one attempt at a time, retried and
//! caught as their Retry and Catch say, the result shaped by ResultSelector, ResultPath
//! and OutputPath. Each kind's attempt is in its own module.

use super::super::context::ExecutionContext;
use super::super::definition::{Handling, State, StateKind, Transition};
use super::super::history::{self, NewEvent};
use super::super::path::Scope;
use super::super::retry::matches;
use super::super::store::{Checkpoint, Update};
use super::{assign, Chain, Engine, Failure, Interrupt, Journal, Lane, Step};
use serde_json::Value;

/// One try of a Task, Parallel or Map state's work.
pub(super) enum Attempt {
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
    pub(super) fn stopped(failure: Failure, aborted: Vec<NewEvent>, failed_event: &str) -> Self {
        let mut on_final = aborted.clone();
        on_final.push(history::bare(failed_event));
        Self::Failed {
            failure,
            on_retry: aborted,
            on_final,
        }
    }
}

/// What one attempt at a Task, Parallel or Map state's work runs with; each kind's
/// attempt is a method of it, in that kind's module.
#[derive(Clone, Copy)]
pub(super) struct Work<'a> {
    pub(super) engine: &'a Engine<'a>,
    pub(super) state_name: &'a str,
    /// The state's input after its InputPath.
    pub(super) effective: &'a Value,
    pub(super) scope: &'a Scope<'a>,
    pub(super) context: &'a ExecutionContext,
    pub(super) journal: &'a Journal<'a>,
    /// The Parallel branch or Map iteration the state runs in, if any.
    pub(super) lane: Option<&'a Lane>,
}

impl Work<'_> {
    /// The line of the history the state writes on: its branch's, or the machine's.
    pub(super) fn chain(&self) -> &Chain {
        self.journal.chain(self.lane)
    }
}

impl Engine<'_> {
    /// A Task, Parallel or Map state: tries its work, retries and catches as its
    /// Retry and Catch say, and shapes the result. `ctx` is the state's context
    /// object as it entered (its `RetryCount` counts the retries done so far).
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn run_work(
        &self,
        state: &State,
        effective: Value,
        mut ctx: Value,
        cursor: &mut Checkpoint,
        context: &ExecutionContext,
        journal: &Journal<'_>,
        lane: Option<&Lane>,
    ) -> Result<Step, Interrupt> {
        let durable = lane.is_none();
        let chain = journal.chain(lane);
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
            let work = Work {
                engine: self,
                state_name: &cursor.state,
                effective: &effective,
                scope: &scope,
                context,
                journal,
                lane,
            };
            let attempt = match &state.kind {
                StateKind::Task(task) => work.attempt_task(task).await?,
                StateKind::Parallel(parallel) => work.attempt_parallel(parallel).await?,
                StateKind::Map(map) => work.attempt_map(map).await?,
                _ => unreachable!("run_work runs only Task, Parallel and Map states"),
            };
            let (failure, on_retry, on_final) = match attempt {
                Attempt::Succeeded { result, event } => {
                    recorded(lane);
                    // Written with the transition to the next state, in one write.
                    journal.defer(chain, event).await;
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
                    journal.append(chain, events, update).await?;
                    recorded(lane);
                    tokio::time::sleep(retrier.delay(done)).await;
                    let retry_count = cursor.retry_attempts.iter().sum();
                    ctx = context.for_state(&cursor.state, cursor.entered_at, Some(retry_count));
                    continue;
                }
            }
            journal.append(chain, on_final, Update::Events).await?;
            recorded(lane);
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
}

/// The attempt's outcome is in the history (a success goes out with the next
/// transition): a Map waiting for failures due at the same moment need not wait
/// for this lane any longer.
fn recorded(lane: Option<&Lane>) {
    if let Some(lane) = lane {
        lane.task_due(None);
    }
}
