//! The AWS adapters with the real SDK against an AWS emulator on this machine (moto),
//! as `wisaw_testkit::aws_emulator` finds it (skipped without one, unless required).
//! Every test makes its own bucket, queues and state machine.

mod blobs;
mod environment;
mod executions;
mod express_executions;
mod notifications;
mod queues;
