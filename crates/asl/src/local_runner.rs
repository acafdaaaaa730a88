//! The durable local runner: executions recorded in SQLite before they start,
//! run on tokio tasks, and resumed from their last checkpoint after a restart. The
//! machine's workflow type decides whether a name may be used again and how long an
//! execution may run ([`crate::WorkflowType`]).
//!
//! An execution is found by its name (the newest of that name: a Standard machine has
//! one at most, Express executions may share one) or by its id.

use super::engine::{now, Engine};
use super::error::RunnerError;
use super::history;
use super::invoker::TaskInvoker;
use super::payload::{json_len, MAX_PAYLOAD_BYTES};
use super::store::{Checkpoint, ExecutionRecord, ListPosition, Store};
use super::time_limit::run_within_limit;
use super::StateMachine;
use serde_json::Value;
use sfn_vocabulary::{ExecutionStatus, HistoryEvent, StartOutcome};
use sqlx::SqlitePool;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Runs one state machine's executions on this machine, with Step Functions semantics.
#[derive(Clone)]
pub struct LocalRunner {
    shared: Arc<Shared>,
}

struct Shared {
    machine: StateMachine,
    invoker: Arc<dyn TaskInvoker>,
    store: Store,
    /// The tasks running executions here, by execution id.
    in_flight: Mutex<HashMap<String, JoinHandle<()>>>,
    accepting: AtomicBool,
    /// Woken whenever an execution task ends, so waiters re-read the store.
    finished: tokio::sync::Notify,
}

impl LocalRunner {
    /// Runs over a SQLite pool the caller opened (the runner's tables are migrated here).
    pub async fn with_pool(
        pool: SqlitePool,
        machine: StateMachine,
        invoker: Arc<dyn TaskInvoker>,
    ) -> Result<Self, RunnerError> {
        Ok(Self::with_store(
            Store::from_pool(pool).await?,
            machine,
            invoker,
        ))
    }

    fn with_store(store: Store, machine: StateMachine, invoker: Arc<dyn TaskInvoker>) -> Self {
        let shared = Shared {
            machine,
            invoker,
            store,
            in_flight: Mutex::new(HashMap::new()),
            accepting: AtomicBool::new(true),
            finished: tokio::sync::Notify::new(),
        };
        Self {
            shared: Arc::new(shared),
        }
    }

    pub fn state_machine(&self) -> &StateMachine {
        &self.shared.machine
    }

    /// The id a Standard execution named `name` has: its ARN, in the machine's region and
    /// account. An Express execution's id is made when it starts
    /// ([`LocalRunner::start_and_describe`] tells it).
    pub fn execution_id(&self, name: &str) -> String {
        self.shared.machine.execution_arn(name)
    }

    /// Starts an execution with any JSON input. The execution is on disk before
    /// this returns; it then runs on a tokio task. On a Standard machine a name already
    /// used (running or finished) is `AlreadyExists`; on an Express machine every start
    /// starts another execution.
    pub async fn start(&self, name: &str, input: Value) -> Result<StartOutcome, RunnerError> {
        Ok(self.start_and_describe(name, input).await?.0)
    }

    /// As [`LocalRunner::start`], with the execution as stored: the one this start made, or
    /// the one that already had the name.
    pub async fn start_and_describe(
        &self,
        name: &str,
        input: Value,
    ) -> Result<(StartOutcome, ExecutionRecord), RunnerError> {
        check_name(name)?;
        let input_bytes = json_len(&input);
        if input_bytes > MAX_PAYLOAD_BYTES {
            return Err(RunnerError::InputTooLarge(input_bytes));
        }
        if !self.shared.accepting.load(Ordering::SeqCst) {
            return Err(RunnerError::ShuttingDown);
        }
        let machine = &self.shared.machine;
        let started_at = now();
        let first_state = machine.start_at();
        let state_type = machine
            .state(first_state)
            .map_or("Task", |state| state.type_name());
        let checkpoint = Checkpoint {
            state: first_state.to_string(),
            input: input.clone(),
            entered_at: started_at,
            retry_attempts: Vec::new(),
            // After ExecutionStarted (1), the first state's StateEntered (2).
            entered_event_id: 2,
            variables: Default::default(),
        };
        let events = [
            history::execution_started(&input, &machine.arn()),
            history::state_entered(state_type, first_state, &input),
        ];
        let record = ExecutionRecord {
            execution_id: machine.new_execution_arn(name),
            state_machine: machine.name().to_string(),
            name: name.to_string(),
            input,
            status: ExecutionStatus::Running,
            output: None,
            error: None,
            cause: None,
            start_date: started_at,
            stop_date: None,
            checkpoint: Some(checkpoint.clone()),
            last_event_id: events.len() as i64,
        };
        let unique_name = machine.workflow_type().names_are_unique();
        let store = &self.shared.store;
        if !store
            .insert_execution(&record, &checkpoint, &events, unique_name)
            .await?
        {
            let existing = self
                .describe(name)
                .await?
                .ok_or_else(|| RunnerError::NotFound(name.to_string()))?;
            return Ok((StartOutcome::AlreadyExists, existing));
        }
        spawn(&self.shared, record.clone());
        Ok((StartOutcome::Started, record))
    }

    /// Continues every RUNNING execution of this state machine from its last
    /// checkpoint (the state in progress runs again). Call once at start-up.
    /// Returns how many were resumed.
    pub async fn resume_unfinished(&self) -> Result<usize, RunnerError> {
        if !self.shared.accepting.load(Ordering::SeqCst) {
            return Err(RunnerError::ShuttingDown);
        }
        let running = self
            .shared
            .store
            .running(self.shared.machine.name())
            .await?;
        let count = running.len();
        for record in running {
            tracing::info!(execution = %record.name, state = ?record.checkpoint.as_ref().map(|c| &c.state), "resuming execution");
            spawn(&self.shared, record);
        }
        Ok(count)
    }

    /// The newest execution named `name`.
    pub async fn describe(&self, name: &str) -> Result<Option<ExecutionRecord>, RunnerError> {
        self.find(Execution::Named(name)).await
    }

    /// The execution whose id is `execution_id`, if it is this machine's.
    pub async fn describe_by_id(
        &self,
        execution_id: &str,
    ) -> Result<Option<ExecutionRecord>, RunnerError> {
        self.find(Execution::Id(execution_id)).await
    }

    /// The events of the newest execution named `name`, oldest first.
    pub async fn history(&self, name: &str) -> Result<Vec<HistoryEvent>, RunnerError> {
        self.history_of(Execution::Named(name)).await
    }

    /// The events of the execution whose id is `execution_id`, oldest first.
    pub async fn history_by_id(
        &self,
        execution_id: &str,
    ) -> Result<Vec<HistoryEvent>, RunnerError> {
        self.history_of(Execution::Id(execution_id)).await
    }

    async fn find(&self, execution: Execution<'_>) -> Result<Option<ExecutionRecord>, RunnerError> {
        let store = &self.shared.store;
        let machine = self.shared.machine.name();
        let record = match execution {
            Execution::Named(name) => store.get(machine, name).await?,
            Execution::Id(id) => store
                .get_by_id(id)
                .await?
                .filter(|record| record.state_machine == machine),
        };
        Ok(record)
    }

    /// `execution` as stored; `NotFound` when there is none.
    async fn found(&self, execution: Execution<'_>) -> Result<ExecutionRecord, RunnerError> {
        self.find(execution)
            .await?
            .ok_or_else(|| RunnerError::NotFound(execution.to_string()))
    }

    async fn history_of(&self, execution: Execution<'_>) -> Result<Vec<HistoryEvent>, RunnerError> {
        let record = self.found(execution).await?;
        Ok(self.shared.store.history(&record.execution_id).await?)
    }

    /// Newest first.
    pub async fn list(
        &self,
        status: Option<ExecutionStatus>,
        limit: u32,
    ) -> Result<Vec<ExecutionRecord>, RunnerError> {
        self.list_after(status, None, limit).await
    }

    /// Newest first, from just after `after` (see [`ListPosition::after`]): page after
    /// page, none skipped or repeated while others start.
    pub async fn list_after(
        &self,
        status: Option<ExecutionStatus>,
        after: Option<&ListPosition>,
        limit: u32,
    ) -> Result<Vec<ExecutionRecord>, RunnerError> {
        Ok(self
            .shared
            .store
            .list(self.shared.machine.name(), status, after, limit)
            .await?)
    }

    /// Stops an execution (the newest named `name`) as Step Functions' StopExecution
    /// does: a RUNNING one ends ABORTED, with an `ExecutionAborted` event carrying `error`
    /// and `cause`, and its task (a state in progress, a task's call) is dropped. The end
    /// is on disk before the task is stopped, so a crash in between leaves it stopped,
    /// never resumed. Stopping an aborted execution again changes nothing and answers it
    /// as stored; one that ended otherwise is [`StopError::NotRunning`].
    pub async fn stop(
        &self,
        name: &str,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> Result<ExecutionRecord, StopError> {
        let record = self.found(Execution::Named(name)).await?;
        let execution = Execution::Id(&record.execution_id);
        if record.status == ExecutionStatus::Running {
            let event = history::execution_aborted(error, cause);
            let store = &self.shared.store;
            let aborted = ExecutionStatus::Aborted;
            if store
                .end(&record.execution_id, aborted, error, cause, &event)
                .await
                .map_err(RunnerError::from)?
            {
                self.end_task(&record.execution_id).await;
            }
        }
        // As stored now: aborted by this stop or an earlier one, or ended on its own.
        let record = self.found(execution).await?;
        match record.status {
            ExecutionStatus::Aborted => Ok(record),
            status => Err(StopError::NotRunning {
                name: name.to_string(),
                status,
            }),
        }
    }

    /// Drops the task running execution `execution_id` here, if any, and waits until it
    /// is gone.
    async fn end_task(&self, execution_id: &str) {
        let handle = match self.shared.in_flight.lock() {
            Ok(mut tasks) => tasks.remove(execution_id),
            Err(_) => None,
        };
        if let Some(handle) = handle {
            handle.abort();
            let _ = handle.await;
        }
        // The task did not get to say it ended: waiters re-read the store now.
        self.shared.finished.notify_waiters();
    }

    /// Waits until the newest execution named `name` is no longer RUNNING and returns it
    /// as stored.
    pub async fn wait_for(
        &self,
        name: &str,
        timeout: Duration,
    ) -> Result<ExecutionRecord, RunnerError> {
        self.wait_until_ended(Execution::Named(name), timeout).await
    }

    /// Waits until the execution whose id is `execution_id` is no longer RUNNING and
    /// returns it as stored.
    pub async fn wait_for_id(
        &self,
        execution_id: &str,
        timeout: Duration,
    ) -> Result<ExecutionRecord, RunnerError> {
        self.wait_until_ended(Execution::Id(execution_id), timeout)
            .await
    }

    async fn wait_until_ended(
        &self,
        execution: Execution<'_>,
        timeout: Duration,
    ) -> Result<ExecutionRecord, RunnerError> {
        let deadline = Instant::now() + timeout;
        loop {
            // Registered before reading, so an end between the read and the wait is not missed.
            let notified = self.shared.finished.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let record = self.found(execution).await?;
            if record.status != ExecutionStatus::Running {
                return Ok(record);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(RunnerError::WaitTimedOut(execution.to_string()));
            }
            // Polls too: another process may be running it on the same file.
            let _ = tokio::time::timeout(left.min(Duration::from_millis(250)), notified).await;
        }
    }

    /// How many executions this runner is running now.
    pub fn in_flight(&self) -> usize {
        self.shared
            .in_flight
            .lock()
            .map(|tasks| tasks.len())
            .unwrap_or(0)
    }

    /// Waits until fewer than `limit` executions run on this runner.
    pub async fn wait_for_room(&self, limit: usize) {
        loop {
            // Registered before counting, so an end between the two is not missed.
            let ended = self.shared.finished.notified();
            tokio::pin!(ended);
            ended.as_mut().enable();
            if self.in_flight() < limit {
                return;
            }
            ended.await;
        }
    }

    /// Stops taking new executions, lets in-flight ones finish for up to
    /// `grace`, then stops the rest. Those stay RUNNING on disk and continue on
    /// the next `resume_unfinished`.
    pub async fn shutdown(&self, grace: Duration) {
        self.shared.accepting.store(false, Ordering::SeqCst);
        let deadline = Instant::now() + grace;
        while self.in_flight() > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            let _ = tokio::time::timeout(
                left.min(Duration::from_millis(100)),
                self.shared.finished.notified(),
            )
            .await;
        }
        let handles: Vec<_> = match self.shared.in_flight.lock() {
            Ok(mut tasks) => tasks.drain().map(|(_, handle)| handle).collect(),
            Err(_) => Vec::new(),
        };
        for handle in handles {
            handle.abort();
            // Wait until the task is really gone, so nothing writes after shutdown.
            let _ = handle.await;
        }
    }
}

/// Why [`LocalRunner::stop`] refused.
#[derive(Debug, thiserror::Error)]
pub enum StopError {
    /// It had already succeeded, failed or timed out; nothing changed.
    #[error("execution {name:?} is not running: it has ended {}", status.as_str())]
    NotRunning {
        name: String,
        status: ExecutionStatus,
    },
    /// It does not exist (`RunnerError::NotFound`), or the store failed.
    #[error(transparent)]
    Runner(#[from] RunnerError),
}

/// How an execution is asked for: the newest of a name, or one id.
#[derive(Clone, Copy, Debug)]
enum Execution<'a> {
    Named(&'a str),
    Id(&'a str),
}

impl std::fmt::Display for Execution<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Named(name) | Self::Id(name) => f.write_str(name),
        }
    }
}

fn spawn(shared: &Arc<Shared>, record: ExecutionRecord) {
    let Ok(mut in_flight) = shared.in_flight.lock() else {
        return;
    };
    if in_flight.contains_key(&record.execution_id) {
        return;
    }
    let execution_id = record.execution_id.clone();
    let task_shared = Arc::clone(shared);
    // The lock is held until the handle is stored, so the task's own removal
    // (below) always comes after the insert.
    let handle = tokio::spawn(async move {
        let execution = record.name.clone();
        let id = record.execution_id.clone();
        let engine = Engine {
            machine: &task_shared.machine,
            invoker: task_shared.invoker.as_ref(),
            store: &task_shared.store,
        };
        match run_within_limit(&engine, record).await {
            Ok(status) => {
                tracing::info!(%execution, %id, status = status.as_str(), "execution finished")
            }
            Err(error) => {
                tracing::warn!(%execution, %id, %error, "execution stopped; it continues on the next resume")
            }
        }
        if let Ok(mut tasks) = task_shared.in_flight.lock() {
            tasks.remove(&id);
        }
        task_shared.finished.notify_waiters();
    });
    in_flight.insert(execution_id, handle);
}

/// Step Functions' naming rules: 1 to 80 characters, no whitespace, brackets,
/// wildcards, punctuation that URLs or ARNs reserve, or control characters.
fn check_name(name: &str) -> Result<(), RunnerError> {
    let forbidden =
        |c: char| c.is_whitespace() || c.is_control() || "<>{}[]?*\"#%\\^|~`$&,;:/".contains(c);
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(forbidden) {
        return Err(RunnerError::InvalidName(name.to_string()));
    }
    Ok(())
}
