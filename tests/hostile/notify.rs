//! Hostile input: a crash while the notify step publishes. The process dies after
//! the outcome is recorded and before the event is out; after the restart the
//! resumed execution must still publish the event, under its stable `eventId`.

use crate::support::images::{jpeg_with_exif, two_tone};
use crate::support::{ask_ticket, put_as_ticket_says, start_on, wait_final, Store};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use wisaw::stack::WorkerPortsHook;
use wisaw_domain::ports::{Notifier, PhotoEvent, PortResult};
use wisaw_domain::PhotoStatus;

on_every_store!(an_event_cut_off_by_a_crash_is_published_after_the_restart);

/// Publishing never finishes: the process is killed half-way through it.
struct KilledMidPublish {
    entered: Arc<Notify>,
}

#[async_trait]
impl Notifier for KilledMidPublish {
    async fn publish(&self, _event: &PhotoEvent) -> PortResult<()> {
        self.entered.notify_one();
        std::future::pending().await
    }
}

async fn an_event_cut_off_by_a_crash_is_published_after_the_restart(store: Store) {
    let data = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let entered = Arc::new(Notify::new());
    let hook_entered = entered.clone();
    let hook: WorkerPortsHook = Box::new(move |mut ports| {
        ports.notifier = Arc::new(KilledMidPublish {
            entered: hook_entered,
        });
        ports
    });
    let (first, base_url) = start_on(data.path(), &store, Some(hook)).await;

    let photo = jpeg_with_exif(&two_tone(64, 48), 1);
    let device = uuid::Uuid::new_v4();
    let ticket = ask_ticket(
        &client,
        &base_url,
        device,
        "image/jpeg",
        photo.len(),
        1.0,
        2.0,
    )
    .await;
    put_as_ticket_says(&client, &ticket, photo).await;
    let photo_id = ticket.photo_id.to_string();

    // The outcome is recorded, and the notify step is in the middle of publishing.
    tokio::time::timeout(Duration::from_secs(60), entered.notified())
        .await
        .expect("the notify step never started publishing");
    let status = wait_final(&client, &base_url, &photo_id, Duration::from_secs(10)).await;
    assert_eq!(status.status, PhotoStatus::Ready);
    // The crash: the stack is dropped without shutting down.
    drop(first);

    let (second, _) = start_on(data.path(), &store, None).await;
    second
        .stack
        .runner
        .wait_for(&photo_id, Duration::from_secs(60))
        .await
        .unwrap();
    let summary = second
        .stack
        .runner
        .describe(&photo_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(summary.status.as_str(), "SUCCEEDED");

    let received = second
        .stack
        .notifications
        .receive(10, Duration::from_secs(30), Duration::from_secs(1))
        .await
        .unwrap();
    let events: Vec<PhotoEvent> = received
        .iter()
        .map(|m| serde_json::from_str(&m.body).unwrap())
        .collect();
    assert_eq!(
        events.len(),
        1,
        "the event the crash cut off was never published: {events:?}"
    );
    assert_eq!(events[0].event_type, "photo.ready");
    assert_eq!(events[0].event_id, format!("{photo_id}:photo.ready:0"));

    second.shutdown().await.unwrap();
}
