//! The `wisaw` command: `serve` (the local stack of `wisaw-local`), the operator's commands
//! (over `wisaw-operator`, on the local stack or `--aws`), `console`, and `upload`, the
//! phone client.

pub mod commands;
pub mod events;
pub mod telemetry;
