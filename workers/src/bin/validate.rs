//! The `validate` step as a Lambda function, over S3.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;
use wisaw_core::adapters::aws::AwsEnvironment;
use wisaw_workers::lambda;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda::init_json_logs();
    let blobs = AwsEnvironment::load().await?.blobs()?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        lambda::validate(blobs.as_ref(), event.payload)
    }))
    .await
}
