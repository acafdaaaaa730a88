//! The `wisaw` command as a process: Cargo gives a test the path of a binary of its own
//! package only, so the tests that run `wisaw` itself live here rather than in `tests/`.

#[macro_use]
extern crate wisaw_testkit;

mod aws_operator;
mod crash_recovery;
mod exit_codes;
mod tls_startup;
