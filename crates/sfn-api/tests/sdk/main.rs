//! The Step Functions API over the local engine, driven by the real `aws-sdk-sfn` client
//! on a real port: every operation, its pages, its typed errors, stopping, the protocol
//! on the wire, and the pipeline's own Step Functions adapter over it.

mod support;

mod executions;
mod express;
mod history;
mod listing;
mod orchestrator;
mod protocol;
mod state_machine;
mod stop;
