//! What Step Functions does with a state machine's `Logging`: each event of its
//! executions' histories written to its CloudWatch Logs log group as it happens, in the
//! format Step Functions writes (`wisaw_adapters::aws::log_message`), at the machine's
//! level, with the execution's data or without. An Express machine's executions are read
//! nowhere else.

mod delivery;
mod levels;
mod streams;
mod watch;

pub use delivery::{ExecutionLogs, Undelivered};
pub use levels::logged_at;
