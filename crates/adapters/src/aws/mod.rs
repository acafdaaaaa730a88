//! The adapters of the ports on AWS: S3 for blobs, SQS for queues, Step Functions for
//! the orchestrator, and [`AwsEnvironment`], which builds them from a Lambda
//! function's environment variables.

mod environment;
mod errors;
#[cfg(feature = "step-functions")]
mod history;
#[cfg(feature = "s3")]
mod s3;
#[cfg(feature = "sqs")]
mod sqs;
#[cfg(feature = "step-functions")]
mod step_functions;

pub use environment::*;
#[cfg(feature = "s3")]
pub use s3::S3BlobStore;
#[cfg(feature = "sqs")]
pub use sqs::SqsQueue;
#[cfg(feature = "step-functions")]
pub use step_functions::{console_url, execution_arn, StepFunctionsOrchestrator};
