//! The local Step Functions runner: loads a real Amazon States Language
//! definition (`statemachines/*.asl.json`) and runs it with Step Functions
//! semantics, history and all: Task, Parallel, inline Map, Pass, Wait, Choice,
//! Succeed and Fail states; the JSONPath fields, workflow variables and the
//! intrinsic functions; Retry, Catch, TimeoutSeconds and the 256 KiB limit. What
//! it does not run is refused when the definition loads, by name, rather than run
//! differently from AWS (`docs/architecture.md` has the table).
//!
//! Tasks are delegated to a [`TaskInvoker`]; executions and their history are
//! kept in SQLite so a restart continues them where they stopped. A machine runs as a
//! Standard or an Express workflow ([`WorkflowType`]), with each one's semantics.
//!
//! The engine knows nothing of photos: it depends on no wisaw crate, and `wisaw serve`
//! plugs its workers in as the [`TaskInvoker`] and adapts [`LocalRunner`] to its
//! orchestrator port.

mod choice;
mod context;
mod definition;
#[cfg(test)]
mod diagram_compatibility;
mod engine;
mod error;
mod history;
mod intrinsic;
mod invoker;
mod local_runner;
mod path;
mod payload;
mod processing;
mod retry;
mod store;
mod substitution;
mod template;
mod time_limit;
mod timestamp;

pub use definition::{Resource, StateMachine};
pub use error::{LoadError, RunnerError};
pub use invoker::{lambda_invoke_result, Admission, TaskFailure, TaskInvoker};
pub use local_runner::{LocalRunner, StopError};
pub use sfn_vocabulary::{ExecutionStatus, HistoryEvent, StartOutcome};
pub use sfn_vocabulary::{UnknownWorkflowType, WorkflowType, EXPRESS_MAX_DURATION};
pub use store::{Checkpoint, ExecutionRecord, ListPosition};
