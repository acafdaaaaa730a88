//! The `notify` step as a Lambda function, over Postgres, S3 and AppSync Events; the
//! schedule invokes it too, to sweep the outbox.

use wisaw_adapters::aws::AwsEnvironment;
use wisaw_notify::Announcer;
use wisaw_step::{lambda, Step};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    lambda::init_logs();
    let env = AwsEnvironment::load().await?;
    // The database and the channels' secret side by side: init waits for the slower only.
    let (metadata, channels) = tokio::try_join!(env.metadata(), env.device_channels())?;
    let blobs = env.blobs()?;
    let notifier = env.notifier()?;
    let announcer = Announcer {
        metadata: metadata.as_ref(),
        blobs: blobs.as_ref(),
        notifier: notifier.as_ref(),
        channels: &channels,
    };
    lambda::serve(Step::Notify, |payload| announcer.invoke(payload)).await
}
