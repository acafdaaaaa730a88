//! The `persist` step (and MarkRejected, MarkFailed) as a Lambda function, over Postgres.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use wisaw_core::adapters::aws::AwsEnvironment;
use wisaw_workers::lambda;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda::init_json_logs();
    let metadata = AwsEnvironment::load().await?.metadata().await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        lambda::persist(metadata.as_ref(), event.payload)
    }))
    .await
}
