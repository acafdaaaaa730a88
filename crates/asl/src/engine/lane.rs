//! Where each Parallel branch or Map iteration is, so that what a failure stops is
//! recorded in the state it was stopped in.

use super::super::history::{self, NewEvent};

/// Where a Parallel branch or Map iteration is: the type of the state it is in,
/// until it ends. What is left when its Parallel or Map state stops it is the
/// state it was stopped in.
#[derive(Default)]
pub(super) struct Lane {
    state_type: std::sync::Mutex<Option<&'static str>>,
}

impl Lane {
    pub(super) fn now_in(&self, state_type: Option<&'static str>) {
        if let Ok(mut current) = self.state_type.lock() {
            *current = state_type;
        }
    }

    /// `TaskStateAborted`, `WaitStateAborted`...: for a lane stopped mid-state.
    pub(super) fn aborted(&self) -> Option<NewEvent> {
        let state_type = (*self.state_type.lock().ok()?)?;
        Some(history::bare(&format!("{state_type}StateAborted")))
    }
}
