//! The adapters of the ports on AWS: S3 for blobs, SQS for queues, Step Functions for
//! the orchestrator, and [`AwsEnvironment`], which builds them from a Lambda
//! function's environment variables.

mod environment;
mod errors;
mod history;
mod s3;
mod sqs;
mod step_functions;

pub use environment::*;
pub use s3::S3BlobStore;
pub use sqs::SqsQueue;
pub use step_functions::{console_url, execution_arn, StepFunctionsOrchestrator};
