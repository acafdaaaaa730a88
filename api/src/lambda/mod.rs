//! The Lambda side of the API crate: API Gateway HTTP API (payload v2) events to the
//! axum [`router`](crate::router), SQS batches to [`dispatch_message`](crate::dispatch_message),
//! and the JSON logs both functions write. The binaries in `src/bin` only wire AWS
//! adapters into these functions, so everything here runs in tests over local adapters.

pub mod http;
pub mod logs;
pub mod sqs;

pub use http::answer;
pub use logs::init_json_logs;
pub use sqs::{dispatch_batch, dispatch_records, RecordOutcome};
