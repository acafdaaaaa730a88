//! The `thumbnail` step as a Lambda function, over S3.

use wisaw_adapters::aws::AwsEnvironment;
use wisaw_step::{lambda, Step};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    lambda::init_logs();
    let blobs = AwsEnvironment::load().await?.blobs()?;
    lambda::serve(Step::Thumbnail, |input| {
        wisaw_thumbnail::handle(blobs.as_ref(), input)
    })
    .await
}
