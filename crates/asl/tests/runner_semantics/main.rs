//! The local runner against Step Functions semantics, by what each part holds: small
//! definitions in `tests/fixtures/asl/`, the real upload definition, and invokers that
//! really run (echo, fail, sleep, hold) instead of mocks.

mod support;

mod choice;
mod crashes;
mod executions;
mod express;
mod loading;
mod paths;
mod retry;
mod stop;
mod upload;
