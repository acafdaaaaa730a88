//! The whole pipeline, in process: each step's handler over real local stores, the
//! local stack end to end over HTTP, hostile clients, and the template held against the
//! state machine and the code.

#[macro_use]
extern crate wisaw_testkit;

mod support;

mod console;
mod cost;
mod duplicate;
mod events;
mod hostile;
mod pipeline;
mod stage;
mod steps;
mod template;
mod tls;
