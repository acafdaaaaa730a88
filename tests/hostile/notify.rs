//! Hostile input: a crash while the notify step publishes. The process dies after the
//! outcome (and its announcement) is recorded and before the event is out; after the
//! restart the phone, subscribed to its channel, still hears of it, under its stable
//! `eventId`.

use crate::support::images::{jpeg_with_exif, two_tone};
use crate::support::{distinct_events, start_on, subscribed, upload_as_phone, wait_final, Store};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};
use wisaw_domain::events::PhotoEvent;
use wisaw_domain::ports::{Notifier, PortResult};
use wisaw_domain::PhotoStatus;
use wisaw_local::WorkerPortsHook;

on_every_store!(an_event_cut_off_by_a_crash_is_published_after_the_restart);

/// Publishing never finishes: the process is killed half-way through it.
struct KilledMidPublish {
    entered: Arc<Notify>,
}

#[async_trait]
impl Notifier for KilledMidPublish {
    async fn publish(&self, _channel: &str, _event: &PhotoEvent) -> PortResult<()> {
        self.entered.notify_one();
        std::future::pending().await
    }
}

/// Holds every publish until the test has subscribed, then lets the real one through.
struct HeldUntilOpen {
    inner: Arc<dyn Notifier>,
    open: watch::Receiver<bool>,
}

#[async_trait]
impl Notifier for HeldUntilOpen {
    async fn publish(&self, channel: &str, event: &PhotoEvent) -> PortResult<()> {
        let mut open = self.open.clone();
        open.wait_for(|open| *open).await.expect("the gate is kept");
        self.inner.publish(channel, event).await
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
    let ticket = upload_as_phone(&client, &base_url, device, "image/jpeg", photo, (1.0, 2.0)).await;
    let photo_id = ticket.photo_id.to_string();

    // The outcome is recorded, and the notify step is in the middle of publishing.
    tokio::time::timeout(Duration::from_secs(60), entered.notified())
        .await
        .expect("the notify step never started publishing");
    let status = wait_final(&client, &base_url, &photo_id, Duration::from_secs(10)).await;
    assert_eq!(status.status, PhotoStatus::Ready);
    // The crash: the stack is dropped without shutting down.
    drop(first);

    let (open, gate) = watch::channel(false);
    let hook: WorkerPortsHook = Box::new(move |mut ports| {
        ports.notifier = Arc::new(HeldUntilOpen {
            inner: ports.notifier.clone(),
            open: gate,
        });
        ports
    });
    let (second, _) = start_on(data.path(), &store, Some(hook)).await;
    let mut channel = subscribed(&second.stack, device).await;
    open.send(true).unwrap();

    // The resumed step and the start-up sweep may both publish it: one event, once seen.
    let events = distinct_events(&mut channel, 1, Duration::from_secs(60)).await;
    assert_eq!(events.len(), 1, "the event the crash cut off never arrived");
    assert_eq!(events[0]["eventType"], "photo.ready");
    assert_eq!(events[0]["eventId"], format!("{photo_id}:photo.ready:0"));
    let thumb = client
        .get(events[0]["thumbUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert!(thumb.status().is_success(), "{}", thumb.status());

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
    second.shutdown().await.unwrap();
}
