//! The `notify` step as a Lambda function, over Postgres, S3 and the notifications queue.

use wisaw_adapters::aws::AwsEnvironment;
use wisaw_step::{lambda, Step};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    lambda::init_logs();
    let env = AwsEnvironment::load().await?;
    let metadata = env.metadata().await?;
    let blobs = env.blobs()?;
    let notifier = env.notifier()?;
    lambda::serve(Step::Notify, |input| {
        wisaw_notify::handle(metadata.as_ref(), blobs.as_ref(), notifier.as_ref(), input)
    })
    .await
}
