//! `wisaw stage`: a SAM template run as deployed, on one machine. What is here so far
//! reads the template as CloudFormation would ([`template`]): parameters, conditions,
//! SAM's `Globals` merged into each function, and the intrinsics resolved against the
//! resources that stand in for AWS's; and runs each function as Lambda runs it ([`lambda`]).

pub mod compose;
pub mod deploy;
pub mod deployed;
pub mod event_sources;
pub mod execution_logs;
pub mod functions;
pub mod iam;
pub mod lambda;
pub mod schedule;
pub mod sqs_mapping;
pub mod state_machine_tasks;
pub mod template;
