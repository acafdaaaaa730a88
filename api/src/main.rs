//! The `api` Lambda function: API Gateway HTTP API (payload v2) events through the
//! app's router, over S3, Step Functions and Postgres, with the feed cursor's key and
//! the device channels' key from Secrets Manager.

use lambda_http::{service_fn, Error, Request};
use std::sync::Arc;
use wisaw_adapters::aws::AwsEnvironment;
use wisaw_api::{lambda, router, ApiConfig, ApiPorts, CursorKey};
use wisaw_domain::ports::WorkflowType;

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Logs as the function's logging configuration asks (JSON, with the span fields).
    lambda_http::tracing::init_default_subscriber();
    let env = AwsEnvironment::load().await?;
    // Connecting brings the schema up to date: once per cold start, before any request.
    // The database and the two secrets are fetched side by side: init is the sum of
    // their round trips otherwise.
    let (metadata, cursor_secret, channels) = tokio::try_join!(
        env.metadata(),
        env.feed_cursor_secret(),
        env.device_channels()
    )?;
    let ports = Arc::new(ApiPorts {
        metadata,
        blobs: env.blobs()?,
        orchestrator: env.orchestrator()?,
        cursor_key: CursorKey::derived_from(&cursor_secret),
        channels,
        events: env.events_endpoints()?,
        config: ApiConfig {
            describes_executions: env.workflow_type()? == WorkflowType::Standard,
            ..ApiConfig::default()
        },
    });
    let app = router(ports);
    lambda_http::run(service_fn(|request: Request| {
        lambda::answer(app.clone(), request)
    }))
    .await
}
