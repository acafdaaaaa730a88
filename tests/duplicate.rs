//! At least once, not exactly once: as an Express workflow, the same photo's execution can
//! run twice, at once (a duplicated S3 notification or SQS delivery starts it again under
//! the same name) or with one far behind the other. Whatever the timing the photo has one
//! outcome, the phone hears one event, the store keeps one set of renditions, the original
//! is gone once announced, and nothing lands in the dead-letter queue.
//!
//! The phone may receive the one event twice (two notify steps racing both publish it
//! before either marks it sent): the app drops a repeat by its `eventId`, so what counts is
//! the number of distinct event ids.

on_every_store!(
    a_photo_started_twice_at_once_is_ready_once_and_announced_once,
    a_text_file_started_twice_at_once_is_rejected_once_and_announced_once,
    a_duplicate_reaching_validate_after_the_original_was_deleted_ends_quietly,
    a_duplicate_of_a_text_file_reaching_validate_after_its_deletion_ends_quietly,
    a_duplicate_reaching_thumbnail_after_the_original_was_deleted_ends_quietly,
);

use crate::support::images::{jpeg, two_tone};
use crate::support::{Store, TestStack, SF};
use async_trait::async_trait;
use bytes::Bytes;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use wisaw::events::client::EventsConnection;
use wisaw_asl::ExecutionRecord;
use wisaw_domain::contracts::ExecutionInput;
use wisaw_domain::ports::{
    BlobStore, ExecutionStatus, Orchestrator, PortResult, PutTerms, SignedRequest, StartOutcome,
};
use wisaw_domain::{PhotoId, PhotoStatus};
use wisaw_local::WorkerPortsHook;

const WITHIN: Duration = Duration::from_secs(60);

/// What is uploaded, and how it ends.
struct Upload {
    bytes: Vec<u8>,
    status: PhotoStatus,
    event_type: &'static str,
}

fn a_photo() -> Upload {
    Upload {
        bytes: jpeg(&two_tone(320, 240)),
        status: PhotoStatus::Ready,
        event_type: "photo.ready",
    }
}

fn a_text_file() -> Upload {
    Upload {
        bytes: b"this is not an image, it is a note".to_vec(),
        status: PhotoStatus::Rejected,
        event_type: "photo.rejected",
    }
}

/// A photo uploaded and taken up as dispatch takes it up (marked processing under its
/// execution's name), with its device's channel subscribed; the input both starts give.
async fn uploaded(stack: &TestStack, upload: &Upload) -> (ExecutionInput, EventsConnection) {
    let device = uuid::Uuid::new_v4();
    let channel = stack.subscribed(device).await;
    let ticket = stack
        .ticket(device, "image/jpeg", upload.bytes.len(), SF)
        .await;
    let photo = ticket.photo_id;
    let local = stack.stack();
    // The object without the store's own notification: the test makes the starts.
    local
        .blobs
        .put(
            &photo.upload_key(),
            "image/jpeg",
            Bytes::from(upload.bytes.clone()),
        )
        .await
        .unwrap();
    let input = ExecutionInput {
        photo_id: photo,
        attempt: 0,
    };
    local
        .metadata
        .mark_processing(photo, &input.execution_name())
        .await
        .unwrap();
    (input, channel)
}

/// Starts the photo's execution as dispatch does; Express starts another each time.
async fn start(stack: &TestStack, input: &ExecutionInput) {
    let outcome = stack.stack().orchestrator.start_execution(input).await;
    assert_eq!(outcome.unwrap(), StartOutcome::Started);
}

/// Every execution of the photo, once all have ended.
async fn ended_executions(stack: &TestStack, input: &ExecutionInput) -> Vec<ExecutionRecord> {
    let runner = &stack.stack().runner;
    let name = input.execution_name();
    let of_photo: Vec<ExecutionRecord> = runner
        .list(None, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|execution| execution.name == name)
        .collect();
    let mut ended = Vec::new();
    for execution in of_photo {
        ended.push(
            runner
                .wait_for_id(&execution.execution_id, WITHIN)
                .await
                .unwrap(),
        );
    }
    ended
}

/// The states an execution entered, in order.
async fn path_of(stack: &TestStack, execution: &ExecutionRecord) -> Vec<String> {
    let history = stack
        .stack()
        .runner
        .history_by_id(&execution.execution_id)
        .await
        .unwrap();
    history
        .iter()
        .filter(|event| event.event_type.ends_with("StateEntered"))
        .filter_map(|event| event.details["name"].as_str().map(str::to_string))
        .collect()
}

/// Every delivery on the channel until a second passes without one.
async fn deliveries(channel: &mut EventsConnection) -> Vec<serde_json::Value> {
    let mut delivered = Vec::new();
    while let Ok(next) = tokio::time::timeout(Duration::from_secs(1), channel.next_event()).await {
        delivered.push(next.unwrap().expect("the channel stays open").event);
    }
    delivered
}

/// Two executions of the photo ran and ended well; the photo is `upload.status`, never
/// failed; its device heard one event id; its renditions are one set (a ready photo's
/// thumb and display, nothing for a rejected one); its original is gone; no dead letter.
/// Returns the two executions' paths.
async fn assert_one_outcome(
    stack: &TestStack,
    input: &ExecutionInput,
    channel: &mut EventsConnection,
    upload: &Upload,
) -> Vec<Vec<String>> {
    let executions = ended_executions(stack, input).await;
    assert_eq!(executions.len(), 2, "{executions:?}");
    let ids: BTreeSet<&str> = executions.iter().map(|e| e.execution_id.as_str()).collect();
    assert_eq!(ids.len(), 2, "each execution is kept under its own id");
    let mut paths = Vec::new();
    for execution in &executions {
        assert_eq!(
            execution.status,
            ExecutionStatus::Succeeded,
            "{execution:?}"
        );
        let path = path_of(stack, execution).await;
        assert!(!path.iter().any(|state| state == "MarkFailed"), "{path:?}");
        paths.push(path);
    }

    let photo = input.photo_id;
    let status = stack.status(&photo.to_string()).await;
    assert_eq!(status.status, upload.status, "{status:?}");

    let delivered = deliveries(channel).await;
    let event_ids: BTreeSet<&str> = delivered
        .iter()
        .map(|event| event["eventId"].as_str().unwrap())
        .collect();
    assert_eq!(
        event_ids.len(),
        1,
        "one event, however often delivered: {delivered:?}"
    );
    for event in &delivered {
        assert_eq!(event["eventType"], upload.event_type, "{event}");
        assert_eq!(event["photoId"], photo.to_string());
    }

    assert_eq!(renditions_of(stack, photo), expected_renditions(upload));
    let blobs = &stack.stack().blobs;
    assert_eq!(blobs.size(&photo.upload_key()).await.unwrap(), None);
    let dead_letters = stack.stack().dead_letter.stats().await.unwrap();
    assert_eq!(dead_letters.visible + dead_letters.in_flight, 0);
    paths
}

/// The objects under the photo's renditions folder.
fn renditions_of(stack: &TestStack, photo: PhotoId) -> BTreeSet<String> {
    let folder = stack
        .stack()
        .blobs
        .root()
        .join("objects/photos")
        .join(photo.to_string());
    match std::fs::read_dir(folder) {
        Ok(entries) => entries
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => BTreeSet::new(),
        Err(error) => panic!("reading the renditions: {error}"),
    }
}

fn expected_renditions(upload: &Upload) -> BTreeSet<String> {
    match upload.status {
        PhotoStatus::Ready => ["display.webp", "thumb.webp"].map(String::from).into(),
        _ => BTreeSet::new(),
    }
}

async fn started_twice_at_once(store: Store, upload: Upload) {
    let stack = TestStack::start_express(store, None).await;
    let (input, mut channel) = uploaded(&stack, &upload).await;
    tokio::join!(start(&stack, &input), start(&stack, &input));
    assert_one_outcome(&stack, &input, &mut channel, &upload).await;
    stack.finish().await;
}

async fn a_photo_started_twice_at_once_is_ready_once_and_announced_once(store: Store) {
    started_twice_at_once(store, a_photo()).await;
}

async fn a_text_file_started_twice_at_once_is_rejected_once_and_announced_once(store: Store) {
    started_twice_at_once(store, a_text_file()).await;
}

/// Holds one read of an original (the `nth` of all, from 1) until released: the execution
/// that makes it waits there, in its step, while another goes on. Everything else goes
/// to the store as it is.
struct HeldRead {
    inner: Arc<dyn BlobStore>,
    nth: usize,
    reads: AtomicUsize,
    holding: tokio::sync::Notify,
    release: tokio::sync::Notify,
}

impl HeldRead {
    /// The hook that puts it in front of the workers, and it.
    fn hook(nth: usize) -> (WorkerPortsHook, Arc<OnceLock<Arc<HeldRead>>>) {
        let slot = Arc::new(OnceLock::new());
        let filled = slot.clone();
        let hook: WorkerPortsHook = Box::new(move |mut ports| {
            let held = Arc::new(HeldRead {
                inner: ports.blobs.clone(),
                nth,
                reads: AtomicUsize::new(0),
                holding: tokio::sync::Notify::new(),
                release: tokio::sync::Notify::new(),
            });
            let _ = filled.set(held.clone());
            ports.blobs = held;
            ports
        });
        (hook, slot)
    }
}

#[async_trait]
impl BlobStore for HeldRead {
    fn bucket(&self) -> &str {
        self.inner.bucket()
    }
    async fn get(&self, key: &str) -> PortResult<Bytes> {
        if key.starts_with("uploads/") && self.reads.fetch_add(1, Ordering::SeqCst) + 1 == self.nth
        {
            self.holding.notify_one();
            self.release.notified().await;
        }
        self.inner.get(key).await
    }
    async fn size(&self, key: &str) -> PortResult<Option<u64>> {
        self.inner.size(key).await
    }
    async fn put(&self, key: &str, content_type: &str, body: Bytes) -> PortResult<()> {
        self.inner.put(key, content_type, body).await
    }
    async fn delete(&self, key: &str) -> PortResult<()> {
        self.inner.delete(key).await
    }
    async fn delete_prefix(&self, prefix: &str) -> PortResult<u64> {
        self.inner.delete_prefix(prefix).await
    }
    async fn presign_put(&self, terms: PutTerms<'_>, ttl: Duration) -> PortResult<SignedRequest> {
        self.inner.presign_put(terms, ttl).await
    }
    async fn presign_get(&self, key: &str, ttl: Duration) -> PortResult<String> {
        self.inner.presign_get(key, ttl).await
    }
}

/// One execution is held at its `nth` read of the original (1: validate's, 2:
/// thumbnail's) while a second runs the photo to its end, announcing it and deleting the
/// original; then the first goes on, finds the original gone, and has the announcement
/// confirmed instead of failing.
async fn one_held_until_the_other_announced(store: Store, upload: Upload, nth: usize) {
    let (hook, held) = HeldRead::hook(nth);
    let stack = TestStack::start_express(store, Some(hook)).await;
    let held = held.get().expect("the hook ran").clone();
    let (input, mut channel) = uploaded(&stack, &upload).await;

    start(&stack, &input).await;
    tokio::time::timeout(WITHIN, held.holding.notified())
        .await
        .expect("the first execution reached the held read");
    start(&stack, &input).await;
    let runner = &stack.stack().runner;
    let second = runner
        .describe(&input.execution_name())
        .await
        .unwrap()
        .unwrap();
    let second = runner
        .wait_for_id(&second.execution_id, WITHIN)
        .await
        .unwrap();
    assert_eq!(second.status, ExecutionStatus::Succeeded, "{second:?}");
    assert_eq!(
        stack
            .stack()
            .blobs
            .size(&input.photo_id.upload_key())
            .await
            .unwrap(),
        None,
        "the second announced the photo and deleted its original"
    );
    held.release.notify_one();

    let paths = assert_one_outcome(&stack, &input, &mut channel, &upload).await;
    let confirmed: Vec<&Vec<String>> = paths
        .iter()
        .filter(|path| path.iter().any(|state| state == "ConfirmAnnounced"))
        .collect();
    assert_eq!(confirmed.len(), 1, "{paths:?}");
    let gone_at = if nth == 1 { "Validate" } else { "Thumbnail" };
    let before_confirming = confirmed[0].iter().rev().nth(1).map(String::as_str);
    assert_eq!(before_confirming, Some(gone_at), "{paths:?}");
    stack.finish().await;
}

async fn a_duplicate_reaching_validate_after_the_original_was_deleted_ends_quietly(store: Store) {
    one_held_until_the_other_announced(store, a_photo(), 1).await;
}

async fn a_duplicate_of_a_text_file_reaching_validate_after_its_deletion_ends_quietly(
    store: Store,
) {
    one_held_until_the_other_announced(store, a_text_file(), 1).await;
}

async fn a_duplicate_reaching_thumbnail_after_the_original_was_deleted_ends_quietly(store: Store) {
    one_held_until_the_other_announced(store, a_photo(), 2).await;
}
