//! The subcommands of `wisaw`.

pub mod console;
pub mod dlq;
pub mod executions;
pub mod photo;
pub mod render;
pub mod serve;
pub mod stage;
pub mod upload;
