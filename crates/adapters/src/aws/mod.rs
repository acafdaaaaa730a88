//! The adapters of the ports on AWS: S3 for blobs, SQS for queues, Step Functions for
//! the orchestrator (an EXPRESS machine's executions read from its CloudWatch Logs),
//! AppSync Events for the phones' events, and [`AwsEnvironment`], which builds them from a Lambda
//! function's environment variables. And [`sigv4`]: signing a request, or checking a
//! received one, for any service.

#[cfg(feature = "appsync-events")]
mod appsync_events;
#[cfg(feature = "aws-base")]
mod environment;
#[cfg(feature = "aws-base")]
mod errors;
#[cfg(feature = "execution-logs")]
mod express;
#[cfg(feature = "step-functions")]
mod history;
#[cfg(feature = "execution-log-format")]
mod log_event;
#[cfg(feature = "execution-logs")]
mod log_search;
#[cfg(feature = "s3")]
mod s3;
#[cfg(feature = "sigv4")]
pub mod sigv4;
#[cfg(feature = "sqs")]
mod sqs;
#[cfg(feature = "step-functions")]
mod step_functions;
#[cfg(feature = "execution-logs")]
mod workflow_type;

#[cfg(feature = "aws-base")]
pub use environment::*;

#[cfg(feature = "aws-base")]
use aws_config::{BehaviorVersion, ConfigLoader};
#[cfg(feature = "aws-base")]
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
#[cfg(feature = "aws-base")]
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// The SDK's HTTPS client: rustls with ring, the same TLS stack as sqlx's. (The SDK's
/// default client brings aws-lc, a C library built with cmake, into every function.)
#[cfg(feature = "aws-base")]
pub fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// The usual AWS configuration sources (region, credentials, `AWS_ENDPOINT_URL`), on
/// [`https_client`].
#[cfg(feature = "aws-base")]
pub fn config_loader() -> ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest()).http_client(https_client())
}
#[cfg(feature = "appsync-events")]
pub use appsync_events::{
    sign_request, AppSyncEventsPublisher, FailedEvent, PublishAttempt, PublishAuthorizer,
    PublishRequest, PublishResponse, PublishedEvent, SignableParts, SIGNING_SERVICE,
};
#[cfg(feature = "execution-logs")]
pub use express::{execution_log_group, ExpressOrchestrator};
#[cfg(feature = "execution-log-format")]
pub use log_event::{log_message, MAX_LOGGED_DATA};
#[cfg(feature = "s3")]
pub use s3::S3BlobStore;
#[cfg(feature = "sigv4")]
pub use sigv4::Signature;
#[cfg(feature = "sqs")]
pub use sqs::SqsQueue;
#[cfg(feature = "step-functions")]
pub use step_functions::{console_url, execution_arn, StepFunctionsOrchestrator};
#[cfg(feature = "execution-logs")]
pub use workflow_type::{orchestrator_of_type, OrchestratorOfType};
