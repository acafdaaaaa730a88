//! The local stack behind `wisaw serve`: the runner that executes the real
//! state machine definition, the blob endpoints, the event channels, the dispatcher, and the wiring
//! of local adapters into the very handlers that run in Lambda.

pub mod commands;
pub mod console;
pub mod events;
pub mod stack;
pub mod telemetry;
pub mod tls;
