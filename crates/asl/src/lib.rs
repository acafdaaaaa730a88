//! The local Step Functions runner: loads a real Amazon States Language
//! definition (`statemachines/*.asl.json`) and runs it with Step Functions
//! semantics for the features the definition uses: Task, Choice, Pass, Succeed
//! and Fail states; InputPath, Parameters, ResultSelector, ResultPath and
//! OutputPath; Retry, Catch and TimeoutSeconds. Anything else is refused when
//! the definition loads, by name, rather than run differently from AWS.
//!
//! Tasks are delegated to a [`TaskInvoker`]; executions and their history are
//! kept in SQLite so a restart continues them where they stopped.
//!
//! The engine knows nothing of photos: it depends on no wisaw crate, and `wisaw serve`
//! plugs its workers in as the [`TaskInvoker`] and adapts [`LocalRunner`] to its
//! orchestrator port.

mod choice;
mod context;
mod definition;
pub mod diagram;
mod engine;
mod error;
mod execution;
mod history;
mod intrinsic;
mod invoker;
mod local_runner;
mod path;
mod processing;
mod retry;
mod store;
mod substitution;
mod template;

pub use definition::{Resource, StateMachine};
pub use error::{LoadError, RunnerError};
pub use execution::{ExecutionStatus, HistoryEvent, StartOutcome};
pub use invoker::{lambda_invoke_result, Admission, TaskFailure, TaskInvoker};
pub use local_runner::LocalRunner;
pub use store::{Checkpoint, ExecutionRecord};
