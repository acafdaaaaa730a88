//! Requests racing a photo's DELETE answer what the contract names, never 5xx.

use crate::common::Harness;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use wisaw_api::ApiConfig;
use wisaw_domain::contracts::Outcome;
use wisaw_domain::events::OutboxEvent;
use wisaw_domain::model::{
    AbuseReport, CreatePhoto, FeedPage, FeedQuery, FiledReport, NewAbuseReport, NewPhoto, Photo,
};
use wisaw_domain::ports::{MetadataStore, PortResult};
use wisaw_domain::{DeviceId, PhotoId, PhotoStatus};

/// The real store, except that once armed, loading a photo deletes it right after:
/// the DELETE of another request landing between this request's load and its write.
struct DeletedRightAfterLoad {
    inner: Arc<dyn MetadataStore>,
    armed: AtomicBool,
}

#[async_trait]
impl MetadataStore for DeletedRightAfterLoad {
    async fn create_photo(&self, photo: &NewPhoto) -> PortResult<CreatePhoto> {
        self.inner.create_photo(photo).await
    }
    async fn get_photo(&self, id: PhotoId) -> PortResult<Option<Photo>> {
        let photo = self.inner.get_photo(id).await?;
        if self.armed.swap(false, Ordering::SeqCst) {
            self.inner.delete_photo(id).await?;
        }
        Ok(photo)
    }
    async fn mark_processing(&self, id: PhotoId, execution: &str) -> PortResult<Option<Photo>> {
        self.inner.mark_processing(id, execution).await
    }
    async fn record_outcome(
        &self,
        id: PhotoId,
        outcome: &Outcome,
        attempt: u32,
    ) -> PortResult<Option<(Photo, bool)>> {
        self.inner.record_outcome(id, outcome, attempt).await
    }
    async fn delete_photo(&self, id: PhotoId) -> PortResult<bool> {
        self.inner.delete_photo(id).await
    }
    async fn add_abuse_report(&self, report: &NewAbuseReport) -> PortResult<FiledReport> {
        self.inner.add_abuse_report(report).await
    }
    async fn distinct_reporters_against(&self, owner: DeviceId) -> PortResult<u64> {
        self.inner.distinct_reporters_against(owner).await
    }
    async fn counted_reporters_against(&self, owner: DeviceId) -> PortResult<u64> {
        self.inner.counted_reporters_against(owner).await
    }
    async fn feed(&self, query: &FeedQuery) -> PortResult<FeedPage> {
        self.inner.feed(query).await
    }
    async fn abuse_reports(&self, photo: PhotoId) -> PortResult<Vec<AbuseReport>> {
        self.inner.abuse_reports(photo).await
    }
    async fn count_by_status(&self) -> PortResult<Vec<(PhotoStatus, u64)>> {
        self.inner.count_by_status().await
    }
    async fn photo_events(&self, photo: PhotoId) -> PortResult<Vec<OutboxEvent>> {
        self.inner.photo_events(photo).await
    }
    async fn record_event(
        &self,
        photo: PhotoId,
        event_type: &str,
        attempt: u32,
        recorded_at: DateTime<Utc>,
    ) -> PortResult<()> {
        self.inner
            .record_event(photo, event_type, attempt, recorded_at)
            .await
    }
    async fn unsent_events(
        &self,
        recorded_before: DateTime<Utc>,
        limit: u32,
    ) -> PortResult<Vec<OutboxEvent>> {
        self.inner.unsent_events(recorded_before, limit).await
    }
    async fn mark_event_sent(&self, event_id: &str) -> PortResult<bool> {
        self.inner.mark_event_sent(event_id).await
    }
    async fn mark_event_failed(&self, event_id: &str) -> PortResult<()> {
        self.inner.mark_event_failed(event_id).await
    }
}

#[tokio::test]
async fn a_report_racing_the_photos_delete_is_a_404() {
    let racing = Arc::new(std::sync::Mutex::new(None::<Arc<DeletedRightAfterLoad>>));
    let slot = racing.clone();
    let h = Harness::with_store(ApiConfig::default(), move |inner| {
        let store = Arc::new(DeletedRightAfterLoad {
            inner,
            armed: AtomicBool::new(false),
        });
        *slot.lock().unwrap() = Some(store.clone());
        store
    })
    .await;
    let store = racing.lock().unwrap().clone().unwrap();
    let photo = h
        .create_photo(DeviceId::new_random(), 1.0, 2.0, Utc::now())
        .await;

    store.armed.store(true, Ordering::SeqCst);
    let report = json!({ "deviceId": DeviceId::new_random().to_string() });
    h.post_json(&format!("/v1/photos/{}/abuse-reports", photo.id), &report)
        .await
        .assert_problem(404);
    assert!(h.metadata.get_photo(photo.id).await.unwrap().is_none());
}
