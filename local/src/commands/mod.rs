//! The subcommands of `wisaw`.

pub mod dlq;
pub mod executions;
pub mod operator;
pub mod render;
pub mod serve;
pub mod upload;
