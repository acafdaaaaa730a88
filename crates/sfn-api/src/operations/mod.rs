//! One module per operation: its request's checks, what it asks of the runner, and its
//! answer. Each takes the served machines and its request, and answers or fails as
//! Step Functions does.

mod describe_execution;
mod describe_state_machine;
mod execution_history;
mod list_executions;
mod start_execution;
mod stop_execution;

pub use describe_execution::describe_execution;
pub use describe_state_machine::describe_state_machine;
pub use execution_history::execution_history;
pub use list_executions::list_executions;
pub use start_execution::start_execution;
pub use stop_execution::stop_execution;
