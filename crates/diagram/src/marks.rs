//! Reads an execution's history into the path it took and a mark per state.

use super::{ExecutionPath, HistoryItem, StateMark, StateOutcome};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// The states entered, and how each fared, from an execution's history
/// (events in the order they happened).
pub fn execution_path<'a>(history: impl IntoIterator<Item = HistoryItem<'a>>) -> ExecutionPath {
    let mut tracker = Tracker::default();
    for item in history {
        tracker.observe(&item);
    }
    tracker.path
}

/// What one history event means for the path.
#[derive(Debug, PartialEq)]
enum Event<'e> {
    StateEntered {
        state_type: &'e str,
    },
    StateExited,
    AttemptScheduled,
    AttemptSucceeded,
    AttemptFailed,
    /// Scheduling failed: an attempt, and a failed one.
    AttemptScheduleFailed,
    /// A Parallel or Map state's branches or iterations are over.
    ContainerDone {
        failed: bool,
    },
    ExecutionSucceeded,
    /// Failed, timed out or aborted; the fallback error names the event when
    /// its details carry none.
    ExecutionEnded {
        fallback_error: &'static str,
    },
    Other,
}

/// Task, Lambda and Activity events have the same lifecycle under different names.
const ATTEMPT_PREFIXES: [&str; 3] = ["Task", "LambdaFunction", "Activity"];

fn classify(event_type: &str) -> Event<'_> {
    if let Some(state_type) = event_type.strip_suffix("StateEntered") {
        return Event::StateEntered { state_type };
    }
    if event_type.ends_with("StateExited") {
        return Event::StateExited;
    }
    match event_type {
        "ParallelStateSucceeded" | "MapStateSucceeded" => {
            return Event::ContainerDone { failed: false }
        }
        "ParallelStateFailed" | "MapStateFailed" | "ParallelStateAborted" | "MapStateAborted" => {
            return Event::ContainerDone { failed: true }
        }
        "ExecutionSucceeded" => return Event::ExecutionSucceeded,
        "ExecutionFailed" => {
            return Event::ExecutionEnded {
                fallback_error: "ExecutionFailed",
            }
        }
        "ExecutionTimedOut" => {
            return Event::ExecutionEnded {
                fallback_error: "ExecutionTimedOut",
            }
        }
        "ExecutionAborted" => {
            return Event::ExecutionEnded {
                fallback_error: "ExecutionAborted",
            }
        }
        _ => {}
    }
    let Some(phase) = ATTEMPT_PREFIXES
        .iter()
        .find_map(|prefix| event_type.strip_prefix(prefix))
    else {
        return Event::Other;
    };
    match phase {
        "Scheduled" => Event::AttemptScheduled,
        "ScheduleFailed" => Event::AttemptScheduleFailed,
        "Succeeded" => Event::AttemptSucceeded,
        "Failed" | "TimedOut" | "StartFailed" | "SubmitFailed" => Event::AttemptFailed,
        _ => Event::Other,
    }
}

/// The state the execution is in, from its entry until it ends.
struct Visit {
    name: String,
    /// Its position in `entered`.
    index: usize,
    entered_at: DateTime<Utc>,
    last_attempt_failed: bool,
    is_fail_state: bool,
    /// Parallel and Map states open at this moment, this one and those nested
    /// in it: while any is, the states entered are nested ones, not the next
    /// top-level state.
    open_containers: usize,
}

#[derive(Default)]
struct Tracker {
    path: ExecutionPath,
    current: Option<Visit>,
}

impl Tracker {
    fn observe(&mut self, item: &HistoryItem<'_>) {
        let event = classify(item.event_type);
        let nested = self
            .current
            .as_ref()
            .is_some_and(|visit| visit.open_containers > 0);
        match event {
            Event::StateEntered { state_type } if nested => {
                if let (Some(visit), true) = (&mut self.current, is_container(state_type)) {
                    visit.open_containers += 1;
                }
            }
            // Only the container's own exit ends it (names are unique across
            // a whole state machine, nested ones included).
            Event::StateExited if nested => {
                if self.is_current(state_name(item)) {
                    self.close(item.timestamp);
                }
            }
            Event::StateEntered { state_type } => {
                if let Some(name) = state_name(item) {
                    self.close(item.timestamp);
                    self.enter(name, state_type, item.timestamp);
                }
            }
            Event::StateExited => {
                // A Fail state ends with the execution's failure, not its exit.
                let fail_state = self.current.as_ref().is_some_and(|v| v.is_fail_state);
                if self.is_current(state_name(item)) && !fail_state {
                    self.close(item.timestamp);
                }
            }
            Event::AttemptScheduled
            | Event::AttemptSucceeded
            | Event::AttemptFailed
            | Event::AttemptScheduleFailed
                if nested => {}
            Event::AttemptScheduled => self.attempt(),
            Event::AttemptSucceeded => self.attempt_succeeded(),
            Event::AttemptFailed => self.attempt_failed(item.details),
            Event::AttemptScheduleFailed => {
                self.attempt();
                self.attempt_failed(item.details);
            }
            Event::ContainerDone { failed } => self.container_done(failed, item.details),
            Event::ExecutionSucceeded => {
                self.close(item.timestamp);
                self.path.reached_end = true;
            }
            Event::ExecutionEnded { fallback_error } => {
                self.fail(item.timestamp, item.details, fallback_error)
            }
            Event::Other => {}
        }
    }

    fn is_current(&self, name: Option<&str>) -> bool {
        matches!((&self.current, name), (Some(visit), Some(name)) if visit.name == name)
    }

    fn enter(&mut self, name: &str, state_type: &str, at: DateTime<Utc>) {
        let index = self.path.entered.len();
        self.path.entered.push(name.to_string());
        self.path.visit_outcomes.push(StateOutcome::Running);
        self.path.reached_end = false;
        let mark = self
            .path
            .marks
            .entry(name.to_string())
            .or_insert_with(|| StateMark {
                outcome: StateOutcome::Running,
                attempts: 0,
                duration: None,
                error: None,
                cause: None,
            });
        mark.outcome = StateOutcome::Running;
        mark.duration = None;
        self.current = Some(Visit {
            name: name.to_string(),
            index,
            entered_at: at,
            last_attempt_failed: false,
            is_fail_state: state_type == "Fail",
            open_containers: usize::from(is_container(state_type)),
        });
    }

    /// Ends the current state normally: it exited, or the next state was
    /// entered (a caught state may have no exit of its own).
    fn close(&mut self, at: DateTime<Utc>) {
        let Some(visit) = self.current.take() else {
            return;
        };
        // A state that moves on after its last attempt failed did so by a Catch.
        let outcome = if visit.last_attempt_failed {
            StateOutcome::Caught
        } else {
            StateOutcome::Succeeded
        };
        self.finish(&visit, outcome, at);
    }

    /// Ends the current state with the execution.
    fn fail(&mut self, at: DateTime<Utc>, details: &Value, fallback_error: &str) {
        let Some(visit) = self.current.take() else {
            return;
        };
        self.path.reached_end = visit.is_fail_state;
        let (error, cause) = error_and_cause(details);
        let mark = self.finish(&visit, StateOutcome::Failed, at);
        if error.is_some() || cause.is_some() {
            mark.error = error;
            mark.cause = cause;
        } else if mark.error.is_none() {
            mark.error = Some(fallback_error.to_string());
        }
    }

    fn finish(
        &mut self,
        visit: &Visit,
        outcome: StateOutcome,
        at: DateTime<Utc>,
    ) -> &mut StateMark {
        self.path.visit_outcomes[visit.index] = outcome;
        let mark = self
            .path
            .marks
            .get_mut(&visit.name)
            .expect("an entered state has a mark");
        mark.outcome = outcome;
        // Clocks of different sources may disagree by a little; never negative.
        mark.duration = Some((at - visit.entered_at).max(chrono::Duration::zero()));
        mark
    }

    fn current_mark(&mut self) -> Option<(&mut Visit, &mut StateMark)> {
        let visit = self.current.as_mut()?;
        let mark = self.path.marks.get_mut(&visit.name)?;
        Some((visit, mark))
    }

    fn attempt(&mut self) {
        if let Some((visit, mark)) = self.current_mark() {
            mark.attempts += 1;
            visit.last_attempt_failed = false;
        }
    }

    fn attempt_succeeded(&mut self) {
        if let Some((visit, _)) = self.current_mark() {
            visit.last_attempt_failed = false;
        }
    }

    fn attempt_failed(&mut self, details: &Value) {
        if let Some((visit, mark)) = self.current_mark() {
            visit.last_attempt_failed = true;
            (mark.error, mark.cause) = error_and_cause(details);
        }
    }

    fn container_done(&mut self, failed: bool, details: &Value) {
        if let Some((visit, mark)) = self.current_mark() {
            visit.open_containers = visit.open_containers.saturating_sub(1);
            if visit.open_containers > 0 {
                return;
            }
            visit.last_attempt_failed = failed;
            if failed {
                let (error, cause) = error_and_cause(details);
                if error.is_some() || cause.is_some() {
                    (mark.error, mark.cause) = (error, cause);
                }
            }
        }
    }
}

fn is_container(state_type: &str) -> bool {
    matches!(state_type, "Parallel" | "Map")
}

fn state_name<'a>(item: &HistoryItem<'a>) -> Option<&'a str> {
    item.details.get("name").and_then(Value::as_str)
}

/// The event's error and cause; empty strings (a `Fail` state without them) are none.
fn error_and_cause(details: &Value) -> (Option<String>, Option<String>) {
    let field = |key: &str| {
        details
            .get(key)
            .and_then(Value::as_str)
            .filter(|text| !text.is_empty())
            .map(str::to_string)
    };
    (field("error"), field("cause"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn classifies_lambda_events_as_task_attempts() {
        assert_eq!(classify("LambdaFunctionScheduled"), Event::AttemptScheduled);
        assert_eq!(classify("LambdaFunctionTimedOut"), Event::AttemptFailed);
        assert_eq!(classify("TaskTimedOut"), Event::AttemptFailed);
        assert_eq!(classify("TaskStarted"), Event::Other);
        assert_eq!(
            classify("TaskStateEntered"),
            Event::StateEntered { state_type: "Task" }
        );
        assert_eq!(classify("MapStateExited"), Event::StateExited);
    }

    fn at(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(1_700_000_000_000 + ms).unwrap()
    }

    /// The path of a history whose events are 10 ms apart.
    fn path_of(events: &[(&str, Value)]) -> ExecutionPath {
        execution_path(
            events
                .iter()
                .enumerate()
                .map(|(i, (kind, details))| HistoryItem {
                    event_type: kind,
                    timestamp: at(i as i64 * 10),
                    details,
                }),
        )
    }

    #[test]
    fn states_inside_a_parallel_state_are_not_top_level_states() {
        let events = [
            ("ParallelStateEntered", json!({"name": "Fan"})),
            ("ParallelStateStarted", json!({})),
            ("MapStateEntered", json!({"name": "Inner"})),
            ("TaskStateEntered", json!({"name": "PerItem"})),
            ("MapStateSucceeded", json!({})),
            ("MapStateExited", json!({"name": "Inner"})),
            ("TaskStateEntered", json!({"name": "BranchA"})),
            ("TaskScheduled", json!({})),
            ("TaskFailed", json!({"error": "Boom", "cause": "inner"})),
            (
                "ParallelStateFailed",
                json!({"error": "Boom", "cause": "branch failed"}),
            ),
            ("PassStateEntered", json!({"name": "Recover"})),
            ("PassStateExited", json!({"name": "Recover"})),
            ("ExecutionSucceeded", json!({})),
        ];
        let path = path_of(&events);
        assert_eq!(path.entered, ["Fan", "Recover"]);
        let fan = &path.marks["Fan"];
        assert_eq!(fan.outcome, StateOutcome::Caught);
        assert_eq!(fan.attempts, 0);
        assert_eq!(fan.cause.as_deref(), Some("branch failed"));
        assert_eq!(path.marks.len(), 2);
        assert!(path.reached_end);
    }

    #[test]
    fn an_aborted_execution_ends_its_current_state() {
        let events = [
            ("TaskStateEntered", json!({"name": "Slow"})),
            ("TaskScheduled", json!({})),
            ("ExecutionAborted", json!({})),
        ];
        let path = path_of(&events);
        let slow = &path.marks["Slow"];
        assert_eq!(slow.outcome, StateOutcome::Failed);
        assert_eq!(slow.error.as_deref(), Some("ExecutionAborted"));
        assert!(!path.reached_end);
    }

    #[test]
    fn a_fail_state_fails_even_if_its_exit_is_recorded() {
        let events = [
            ("FailStateEntered", json!({"name": "Stop"})),
            ("FailStateExited", json!({"name": "Stop"})),
            ("ExecutionFailed", json!({"error": "", "cause": ""})),
        ];
        let path = path_of(&events);
        let stop = &path.marks["Stop"];
        assert_eq!(stop.outcome, StateOutcome::Failed);
        assert_eq!(stop.error.as_deref(), Some("ExecutionFailed"));
        assert!(path.reached_end);
    }
}
