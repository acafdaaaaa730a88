//! The stage's tests, one binary: the template read, and functions run as Lambda runs them.

mod http_api;
mod iam;
mod lambda;
mod sqs_mapping;
mod support;
mod template;
