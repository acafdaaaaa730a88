//! The `api` Lambda function: API Gateway HTTP API (payload v2) events through the
//! app's router, over S3, Step Functions and Postgres, with the feed cursor's key and
//! the device channels' key from Secrets Manager.

use lambda_http::{service_fn, Error, Request};
use std::sync::Arc;
use wisaw_adapters::aws::AwsEnvironment;
use wisaw_api::{lambda, router, ApiConfig, ApiPorts, CursorKey};

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Logs as the function's logging configuration asks (JSON, with the span fields).
    lambda_http::tracing::init_default_subscriber();
    let env = AwsEnvironment::load().await?;
    // Connecting runs the database migrations: once per cold start, before any request.
    let ports = Arc::new(ApiPorts {
        metadata: env.metadata().await?,
        blobs: env.blobs()?,
        orchestrator: env.orchestrator()?,
        cursor_key: CursorKey::derived_from(&env.feed_cursor_secret().await?),
        channels: env.device_channels().await?,
        events: env.events_endpoints()?,
        config: ApiConfig::default(),
    });
    let app = router(ports);
    lambda_http::run(service_fn(|request: Request| {
        lambda::answer(app.clone(), request)
    }))
    .await
}
