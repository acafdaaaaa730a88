//! The `persist` step as a Lambda function, over Postgres.

use wisaw_adapters::aws::AwsEnvironment;
use wisaw_step::{lambda, Step};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    lambda::init_logs();
    let metadata = AwsEnvironment::load().await?.metadata().await?;
    lambda::serve(Step::Persist, |input| {
        wisaw_persist::handle(metadata.as_ref(), input)
    })
    .await
}
