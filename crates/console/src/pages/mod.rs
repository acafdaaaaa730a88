//! One module per page.

pub mod dlq;
pub mod execution;
pub mod executions;
pub mod health;
pub mod layout;
pub mod photo;
pub mod replays;
