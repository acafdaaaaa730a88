//! The stage as deployed (`wisaw stage`), end to end: the six Lambda bootstraps wired by
//! `template.yaml`, the AWS emulator, Postgres, a phone and an operator driving it.

mod express;
mod failures;
mod faults;
mod harness;
mod photos;
