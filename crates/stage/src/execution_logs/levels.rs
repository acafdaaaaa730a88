//! Which events of an execution each log level logs, as the Step Functions developer
//! guide lists them ("Log levels for Step Functions execution events"): ALL every event,
//! ERROR the failures, FATAL only how a failed execution ended, OFF none.

use wisaw_sfn_api::LogLevel;

/// What ERROR logs.
const ERRORS: [&str; 22] = [
    "ExecutionAborted",
    "ExecutionFailed",
    "ExecutionTimedOut",
    "FailStateEntered",
    "LambdaFunctionFailed",
    "LambdaFunctionScheduleFailed",
    "LambdaFunctionStartFailed",
    "LambdaFunctionTimedOut",
    "MapStateAborted",
    "MapStateFailed",
    "MapIterationAborted",
    "MapIterationFailed",
    "MapRunAborted",
    "MapRunFailed",
    "ParallelStateAborted",
    "ParallelStateFailed",
    "TaskFailed",
    "TaskStartFailed",
    "TaskStateAborted",
    "TaskSubmitFailed",
    "TaskTimedOut",
    "WaitStateAborted",
];

/// What FATAL logs.
const FATAL: [&str; 3] = ["ExecutionAborted", "ExecutionFailed", "ExecutionTimedOut"];

/// Whether an event of `event_type` is logged at `level`.
pub fn logged_at(level: LogLevel, event_type: &str) -> bool {
    match level {
        LogLevel::All => true,
        LogLevel::Error => ERRORS.contains(&event_type),
        LogLevel::Fatal => FATAL.contains(&event_type),
        LogLevel::Off => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_level_logs_its_events_and_those_of_the_levels_below_it() {
        let succeeded = ["ExecutionStarted", "TaskStateEntered", "ExecutionSucceeded"];
        for event in succeeded {
            assert!(logged_at(LogLevel::All, event), "{event}");
            assert!(!logged_at(LogLevel::Error, event), "{event}");
            assert!(!logged_at(LogLevel::Fatal, event), "{event}");
        }
        for event in ["TaskFailed", "TaskTimedOut", "FailStateEntered"] {
            assert!(logged_at(LogLevel::Error, event), "{event}");
            assert!(!logged_at(LogLevel::Fatal, event), "{event}");
        }
        for event in FATAL {
            assert!(logged_at(LogLevel::Error, event) && logged_at(LogLevel::Fatal, event));
        }
        assert!(!logged_at(LogLevel::Off, "ExecutionFailed"));
    }
}
