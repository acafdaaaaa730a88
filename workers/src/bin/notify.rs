//! The `notify` step as a Lambda function: Postgres, S3 links, the notifications queue.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use wisaw_core::adapters::aws::AwsEnvironment;
use wisaw_workers::lambda;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda::init_json_logs();
    let env = AwsEnvironment::load().await?;
    let metadata = env.metadata().await?;
    let blobs = env.blobs()?;
    let notifier = env.notifier()?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        lambda::notify(
            metadata.as_ref(),
            blobs.as_ref(),
            notifier.as_ref(),
            event.payload,
        )
    }))
    .await
}
