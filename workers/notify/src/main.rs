//! The `notify` step as a Lambda function, over Postgres, S3 and AppSync Events; the
//! schedule invokes it too, to sweep the outbox.

use std::sync::Arc;
use tokio::sync::OnceCell;
use wisaw_adapters::aws::AwsEnvironment;
use wisaw_domain::ports::MetadataStore;
use wisaw_domain::StepError;
use wisaw_notify::Announcer;
use wisaw_step::{lambda, Step};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    lambda::init_logs();
    let env = AwsEnvironment::load().await?;
    let channels = env.device_channels().await?;
    let blobs = env.blobs()?;
    let notifier = env.notifier()?;
    let dead_letters = env.dead_letter_queue()?;
    // Connected on the first call that needs it, not at init: the schedule's sweeps
    // while nothing waits never open a connection (see wisaw_notify::invoke).
    let metadata: OnceCell<Arc<dyn MetadataStore>> = OnceCell::new();
    let announcer = || async {
        let metadata = metadata
            .get_or_try_init(|| env.metadata())
            .await
            .map_err(|error| StepError::transient(format!("{error:#}")))?;
        Ok(Announcer {
            metadata: metadata.as_ref(),
            blobs: blobs.as_ref(),
            notifier: notifier.as_ref(),
            channels: &channels,
        })
    };
    lambda::serve(Step::Notify, |payload| {
        wisaw_notify::invoke(payload, dead_letters.as_ref(), announcer)
    })
    .await
}
