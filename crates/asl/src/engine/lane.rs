//! Where each Parallel branch or Map iteration is, so that what a failure stops is
//! recorded in the state it was stopped in.

use super::super::history::{self, NewEvent};
use super::journal::Chain;
use std::sync::Mutex;
use tokio::time::Instant;

/// Where a Parallel branch or Map iteration is: the type of the state it is in,
/// until it ends. What is left when its Parallel or Map state stops it is the
/// state it was stopped in.
#[derive(Default)]
pub(super) struct Lane {
    at: Mutex<Position>,
    /// The lane's own line of the history.
    chain: Chain,
}

#[derive(Default)]
struct Position {
    entered: bool,
    state_type: Option<&'static str>,
    /// When the task running in this lane times out, until its attempt is recorded.
    due: Option<Instant>,
}

impl Lane {
    /// A lane whose first event follows the event `id`.
    pub(super) fn after(id: i64) -> Self {
        Self {
            at: Mutex::default(),
            chain: Chain::after(id),
        }
    }

    pub(super) fn chain(&self) -> &Chain {
        &self.chain
    }

    pub(super) fn now_in(&self, state_type: Option<&'static str>) {
        if let Ok(mut at) = self.at.lock() {
            at.entered |= state_type.is_some();
            at.state_type = state_type;
        }
    }

    /// Whether the lane has entered its first state (written its first events).
    pub(super) fn entered(&self) -> bool {
        self.at.lock().is_ok_and(|at| at.entered)
    }

    /// The task in this lane times out at `deadline` (`None`: its attempt is recorded).
    pub(super) fn task_due(&self, deadline: Option<Instant>) {
        if let Ok(mut at) = self.at.lock() {
            at.due = deadline;
        }
    }

    /// When the task in this lane times out, if a task is running with a timeout.
    pub(super) fn due(&self) -> Option<Instant> {
        self.at.lock().ok()?.due
    }

    /// `TaskStateAborted`, `WaitStateAborted`...: for a lane stopped mid-state,
    /// or one that ended failing out of a Task (which AWS records aborted too).
    pub(super) fn aborted(&self) -> Option<NewEvent> {
        let state_type = self.at.lock().ok()?.state_type?;
        Some(history::bare(&format!("{state_type}StateAborted")))
    }
}
