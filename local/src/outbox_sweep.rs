//! The outbox sweep of `wisaw serve`: at start, every announcement a previous process
//! recorded but never published goes out; then, every few seconds, any that waited
//! longer than the notify step ever takes (its retries exhausted, say).

use super::worker_tasks::WorkerPorts;
use chrono::Utc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Clone, Copy, Debug)]
pub struct SweepSchedule {
    pub every: Duration,
    /// Only announcements waiting longer than this are swept while the stack runs: the
    /// notify step publishes its own in milliseconds.
    pub older_than: Duration,
    /// Announcements published per sweep at most.
    pub batch: u32,
}

impl Default for SweepSchedule {
    fn default() -> Self {
        Self {
            every: Duration::from_secs(5),
            older_than: Duration::from_secs(30),
            batch: 100,
        }
    }
}

pub async fn run(ports: WorkerPorts, schedule: SweepSchedule, shutdown: CancellationToken) {
    // At start nothing of this process is publishing yet: whatever waits is left over.
    let mut recorded_before = Utc::now();
    loop {
        match ports
            .announcer()
            .sweep(recorded_before, schedule.batch)
            .await
        {
            Ok(report) if report.published > 0 || report.failed > 0 => {
                tracing::info!(?report, "outbox swept");
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "the outbox sweep failed; trying again"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(schedule.every) => {}
        }
        let older_than =
            chrono::Duration::from_std(schedule.older_than).unwrap_or(chrono::Duration::MAX);
        recorded_before = Utc::now() - older_than;
    }
}
