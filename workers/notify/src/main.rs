//! The `notify` step as a Lambda function, over Postgres, S3 and AppSync Events; the
//! schedule invokes it too, to sweep the outbox.

use wisaw_adapters::aws::AwsEnvironment;
use wisaw_notify::Announcer;
use wisaw_step::{lambda, Step};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    lambda::init_logs();
    let env = AwsEnvironment::load().await?;
    let metadata = env.metadata().await?;
    let blobs = env.blobs()?;
    let notifier = env.notifier()?;
    let channels = env.device_channels().await?;
    let announcer = Announcer {
        metadata: metadata.as_ref(),
        blobs: blobs.as_ref(),
        notifier: notifier.as_ref(),
        channels: &channels,
    };
    lambda::serve(Step::Notify, |payload| announcer.invoke(payload)).await
}
