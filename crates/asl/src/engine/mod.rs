//! Runs one execution from its checkpoint to the end, one state at a time.
//!
//! The machine's own states are checkpointed after every step. The states inside
//! a Parallel branch or a Map iteration are part of their Parallel or Map state:
//! their events are written as they happen, and after a crash the whole Parallel
//! or Map state runs again from its checkpoint, as any state in progress does.
//!
//! This module walks a branch from state to state ([`Engine::run_branch`]) and hands each
//! state to the module of its kind: `pass`, `choice`, `wait` (and Succeed and Fail, which
//! only end the branch, here); `work` runs the states that do work (`task`, `parallel`,
//! `map`) with their Retry and Catch. Every kind ends in a [`Step`]. The history is
//! written through the [`journal`].

mod choice;
mod journal;
mod lane;
mod map;
mod parallel;
mod pass;
mod task;
mod wait;
mod work;

use super::context::ExecutionContext;
use super::definition::{Branch, FailState, State, StateKind, Transition};
use super::error::{RuntimeError, STATES_DATA_LIMIT_EXCEEDED, STATES_RUNTIME};
use super::history::{self, NewEvent};
use super::invoker::TaskInvoker;
use super::path::Scope;
use super::payload::too_large;
use super::store::{AppendError, Checkpoint, ExecutionRecord, Store, Update};
use super::template::Template;
use chrono::{DateTime, SubsecRound, Utc};
use futures::future::BoxFuture;
use journal::{Chain, Journal};
use lane::Lane;
use serde_json::{json, Map, Value};
use sfn_vocabulary::ExecutionStatus;

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

/// `blamed`: the state whose output is too large, or the resource whose result is
/// (`lambda`, a function's ARN), as AWS names them.
fn data_limit_cause(blamed: &str) -> String {
    format!("The state/task '{blamed}' returned a result with a size exceeding the maximum number of bytes service limit.")
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
            role_arn: self.machine.role_arn(),
        };
        let journal = Journal::new(self.store, &record.execution_id, record.last_event_id);
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
        let chain = journal.chain(lane);
        Box::pin(async move {
            loop {
                let name = cursor.state.clone();
                if let Some(lane) = lane {
                    lane.now_in(Some(branch.type_of(&name)));
                }
                // A Task whose work failed ends its branch still "in" the Task: AWS
                // records it aborted after the branch's failure, unlike a Fail state
                // or a state whose input or output could not be worked out.
                let mut task_failed = false;
                let step = match branch.state(&name) {
                    Some(state) => match self
                        .run_state(state, &mut cursor, context, journal, lane)
                        .await
                    {
                        Ok(step) => {
                            task_failed = matches!(
                                (&state.kind, &step),
                                (StateKind::Task(_), Step::Fail { .. })
                            );
                            step
                        }
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
                    if !task_failed {
                        lane.now_in(None);
                    }
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
                            .enter(chain, events, entering(next, output, variables), durable)
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
                            journal.append(chain, events, update).await?;
                        } else {
                            journal.append(chain, vec![exited], Update::Events).await?;
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
                            journal.append(chain, events, update).await?;
                        }
                        return Ok(BranchEnd::Failed(Failure { error, cause }));
                    }
                }
            }
        })
    }

    /// Writes a branch's first `...StateEntered` (after `lead`) on its lane's
    /// chain and returns where it stands.
    async fn enter_branch(
        &self,
        branch: &Branch,
        input: Value,
        variables: Variables,
        lead: Vec<NewEvent>,
        lane: &Lane,
        journal: &Journal<'_>,
    ) -> Result<Checkpoint, AppendError> {
        let start = branch.start_at();
        let mut events = lead;
        events.push(history::state_entered(branch.type_of(start), start, &input));
        let cursor = entering(start.to_string(), input, variables);
        journal.enter(lane.chain(), events, cursor, false).await
    }

    async fn run_state(
        &self,
        state: &State,
        cursor: &mut Checkpoint,
        context: &ExecutionContext,
        journal: &Journal<'_>,
        lane: Option<&Lane>,
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
                self.run_work(state, effective, ctx, cursor, context, journal, lane)
                    .await
            }
            StateKind::Pass(pass) => pass::run(state, pass, effective, &cursor.input, &scope),
            StateKind::Wait(wait) => {
                wait::run(state, wait, effective, &scope, cursor.entered_at).await
            }
            StateKind::Choice(choice) => choice::run(state, choice, effective, &scope),
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
}
