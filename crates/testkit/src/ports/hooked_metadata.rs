//! A metadata store that is another one, except for what a test hooks: every call goes
//! to the inner store, and a [`MetadataHook`] may act before it (even answer in its
//! place with an error) or right after it. A test double then states the one behaviour
//! it changes, not the whole port.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::future::Future;
use std::sync::Arc;
use wisaw_domain::contracts::Outcome;
use wisaw_domain::events::OutboxEvent;
use wisaw_domain::model::{
    AbuseReport, CreatePhoto, FeedPage, FeedQuery, FiledReport, NewAbuseReport, NewPhoto, Photo,
};
use wisaw_domain::ports::{MetadataStore, PortResult};
use wisaw_domain::{DeviceId, PhotoId, PhotoStatus};

/// A call to the metadata port, with its arguments, as a hook sees it.
#[derive(Clone, Copy, Debug)]
pub enum MetadataCall<'a> {
    CreatePhoto(&'a NewPhoto),
    GetPhoto(PhotoId),
    MarkProcessing(PhotoId, &'a str),
    RecordOutcome(PhotoId, &'a Outcome, u32),
    DeletePhoto(PhotoId),
    AddAbuseReport(&'a NewAbuseReport),
    DistinctReportersAgainst(DeviceId),
    CountedReportersAgainst(DeviceId),
    Feed(&'a FeedQuery),
    AbuseReports(PhotoId),
    CountByStatus,
    PhotoEvents(PhotoId),
    RecordEvent(PhotoId, &'a str, u32, DateTime<Utc>),
    UnsentEvents(DateTime<Utc>, u32),
    MarkEventSent(&'a str),
    MarkEventFailed(&'a str),
}

/// What a test changes about a metadata store; both steps do nothing unless overridden.
#[async_trait]
pub trait MetadataHook: Send + Sync {
    /// Runs before `call` reaches `store`; an error is the call's answer.
    async fn before(&self, _call: MetadataCall<'_>, _store: &dyn MetadataStore) -> PortResult<()> {
        Ok(())
    }
    /// Runs after `store` answered `call` successfully; an error is the call's answer.
    async fn after(&self, _call: MetadataCall<'_>, _store: &dyn MetadataStore) -> PortResult<()> {
        Ok(())
    }
}

/// A hook the test keeps a handle on too, e.g. to arm it once the stack is built.
#[async_trait]
impl<H: MetadataHook + ?Sized> MetadataHook for Arc<H> {
    async fn before(&self, call: MetadataCall<'_>, store: &dyn MetadataStore) -> PortResult<()> {
        (**self).before(call, store).await
    }
    async fn after(&self, call: MetadataCall<'_>, store: &dyn MetadataStore) -> PortResult<()> {
        (**self).after(call, store).await
    }
}

/// `inner`, with `hook` around every call.
pub struct HookedMetadataStore<H> {
    pub inner: Arc<dyn MetadataStore>,
    pub hook: H,
}

impl<H: MetadataHook> HookedMetadataStore<H> {
    pub fn new(inner: Arc<dyn MetadataStore>, hook: H) -> Self {
        Self { inner, hook }
    }

    async fn around<'a, T, F>(
        &'a self,
        call: MetadataCall<'a>,
        run: impl FnOnce(&'a dyn MetadataStore) -> F,
    ) -> PortResult<T>
    where
        F: Future<Output = PortResult<T>>,
    {
        let store = self.inner.as_ref();
        self.hook.before(call, store).await?;
        let answer = run(store).await?;
        self.hook.after(call, store).await?;
        Ok(answer)
    }
}

#[async_trait]
impl<H: MetadataHook> MetadataStore for HookedMetadataStore<H> {
    async fn create_photo(&self, photo: &NewPhoto) -> PortResult<CreatePhoto> {
        let call = MetadataCall::CreatePhoto(photo);
        self.around(call, |s| s.create_photo(photo)).await
    }
    async fn get_photo(&self, id: PhotoId) -> PortResult<Option<Photo>> {
        self.around(MetadataCall::GetPhoto(id), |s| s.get_photo(id))
            .await
    }
    async fn mark_processing(&self, id: PhotoId, execution: &str) -> PortResult<Option<Photo>> {
        let call = MetadataCall::MarkProcessing(id, execution);
        self.around(call, |s| s.mark_processing(id, execution))
            .await
    }
    async fn record_outcome(
        &self,
        id: PhotoId,
        outcome: &Outcome,
        attempt: u32,
    ) -> PortResult<Option<(Photo, bool)>> {
        let call = MetadataCall::RecordOutcome(id, outcome, attempt);
        self.around(call, |s| s.record_outcome(id, outcome, attempt))
            .await
    }
    async fn delete_photo(&self, id: PhotoId) -> PortResult<bool> {
        self.around(MetadataCall::DeletePhoto(id), |s| s.delete_photo(id))
            .await
    }
    async fn add_abuse_report(&self, report: &NewAbuseReport) -> PortResult<FiledReport> {
        let call = MetadataCall::AddAbuseReport(report);
        self.around(call, |s| s.add_abuse_report(report)).await
    }
    async fn distinct_reporters_against(&self, owner: DeviceId) -> PortResult<u64> {
        let call = MetadataCall::DistinctReportersAgainst(owner);
        self.around(call, |s| s.distinct_reporters_against(owner))
            .await
    }
    async fn counted_reporters_against(&self, owner: DeviceId) -> PortResult<u64> {
        let call = MetadataCall::CountedReportersAgainst(owner);
        self.around(call, |s| s.counted_reporters_against(owner))
            .await
    }
    async fn feed(&self, query: &FeedQuery) -> PortResult<FeedPage> {
        self.around(MetadataCall::Feed(query), |s| s.feed(query))
            .await
    }
    async fn abuse_reports(&self, photo: PhotoId) -> PortResult<Vec<AbuseReport>> {
        let call = MetadataCall::AbuseReports(photo);
        self.around(call, |s| s.abuse_reports(photo)).await
    }
    async fn count_by_status(&self) -> PortResult<Vec<(PhotoStatus, u64)>> {
        self.around(MetadataCall::CountByStatus, |s| s.count_by_status())
            .await
    }
    async fn photo_events(&self, photo: PhotoId) -> PortResult<Vec<OutboxEvent>> {
        let call = MetadataCall::PhotoEvents(photo);
        self.around(call, |s| s.photo_events(photo)).await
    }
    async fn record_event(
        &self,
        photo: PhotoId,
        event_type: &str,
        attempt: u32,
        recorded_at: DateTime<Utc>,
    ) -> PortResult<()> {
        let call = MetadataCall::RecordEvent(photo, event_type, attempt, recorded_at);
        self.around(call, |s| {
            s.record_event(photo, event_type, attempt, recorded_at)
        })
        .await
    }
    async fn unsent_events(
        &self,
        recorded_before: DateTime<Utc>,
        limit: u32,
    ) -> PortResult<Vec<OutboxEvent>> {
        let call = MetadataCall::UnsentEvents(recorded_before, limit);
        self.around(call, |s| s.unsent_events(recorded_before, limit))
            .await
    }
    async fn mark_event_sent(&self, event_id: &str) -> PortResult<bool> {
        let call = MetadataCall::MarkEventSent(event_id);
        self.around(call, |s| s.mark_event_sent(event_id)).await
    }
    async fn mark_event_failed(&self, event_id: &str) -> PortResult<()> {
        let call = MetadataCall::MarkEventFailed(event_id);
        self.around(call, |s| s.mark_event_failed(event_id)).await
    }
}
