//! The AWS adapters with the real SDK against an AWS emulator on this machine (moto).
//!
//! The emulator's URL is read from `WISAW_TEST_AWS_ENDPOINT` (e.g. `http://127.0.0.1:5055`,
//! with moto's state-machine interpreter on). Without it each test says it skipped,
//! unless `WISAW_REQUIRE_AWS_EMULATOR=1`, in which case it fails.
//! Every test makes its own bucket, queues and state machine.

mod blobs;
mod emulator;
mod environment;
mod executions;
mod notifications;
mod queues;
