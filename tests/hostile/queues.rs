//! Hostile input: queues. An upload for a photo that is gone, a crash while the
//! dispatcher holds ingest messages, and a burst of uploads larger than the workers.

use crate::support::{put_as_ticket_says, Store, TestStack};
use chrono::Utc;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use wisaw_adapters::queues_sqlite::LocalQueues;
use wisaw_domain::ingest::S3Notification;
use wisaw_domain::model::NewPhoto;
use wisaw_domain::ports::{BlobStore, Queue};
use wisaw_domain::{PhotoId, PhotoStatus};
use wisaw_local::dispatcher::{
    execution_capacity, DISPATCH_MAXIMUM_CONCURRENCY, INGEST_VISIBILITY_TIMEOUT,
};
use wisaw_local::{LocalStack, StackOptions, INGEST_MAX_RECEIVE_COUNT, QUEUES_FILE};

on_every_store!(
    an_upload_with_the_ticket_of_a_deleted_photo_is_deleted_at_once,
    a_restart_releases_at_once_what_the_crashed_dispatcher_held,
    a_burst_larger_than_the_workers_ends_ready_without_a_timeout,
);

/// A small, valid PNG.
fn tiny_png(seed: u8) -> Vec<u8> {
    let image = image::RgbImage::from_fn(24, 16, |x, y| {
        image::Rgb([seed, (x * 10) as u8, (y * 15) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// The files of the blob store's folder that hold anything of `key`.
fn files_of(root: &Path, key: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .contains(key)
            {
                found.push(path);
            }
        }
    }
    found
}

async fn an_upload_with_the_ticket_of_a_deleted_photo_is_deleted_at_once(store: Store) {
    let stack = TestStack::start(store).await;
    let device = uuid::Uuid::new_v4();
    let png = tiny_png(1);
    let ticket = stack
        .ticket(device, "image/png", png.len(), (1.0, 2.0))
        .await;
    let id = ticket.photo_id.to_string();
    assert_eq!(stack.delete_photo(&id, device).await.status(), 204);

    // The old ticket is still signed. The store may refuse the PUT, or take it and
    // have dispatch delete it; never keep it.
    let upload = ticket.upload.as_ref().unwrap();
    let mut put = stack.client.put(&upload.url);
    for (name, value) in &upload.headers {
        put = put.header(name.as_str(), value.as_str());
    }
    let answer = put.body(png).send().await.unwrap();
    assert!(!answer.status().is_server_error(), "{}", answer.status());

    let key = format!("uploads/{id}");
    let root = stack.stack().blobs.root().to_path_buf();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !files_of(&root, &key).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the original is kept after DELETE: {:?}",
            files_of(&root, &key)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(stack.stack().runner.describe(&id).await.unwrap().is_none());
    stack.finish().await;
}

/// Opens the stack of `data` without serving (to play the part of a process that dies).
async fn open_stack(data: &Path, store: &Store) -> LocalStack {
    let options = StackOptions {
        database_url: store.database_url(),
        ..StackOptions::new("http://127.0.0.1:9")
    };
    LocalStack::open(data, options).await.unwrap()
}

/// What a ticket and its PUT leave behind: the photo's row, its upload, and the
/// upload's S3 event on the ingest queue.
async fn uploaded_photo(stack: &LocalStack, bytes: &[u8]) -> PhotoId {
    let id = PhotoId::new_random();
    let new = NewPhoto {
        id,
        ..wisaw_testkit::photos::new_photo("image/png", bytes.len() as u64)
    };
    stack.metadata.create_photo(&new).await.unwrap();
    let key = id.upload_key();
    stack
        .blobs
        .put(&key, "image/png", bytes.to_vec().into())
        .await
        .unwrap();
    let event = S3Notification::object_created(
        stack.blobs.bucket(),
        &key,
        bytes.len() as u64,
        &Utc::now().to_rfc3339(),
    );
    stack
        .ingest
        .send(&serde_json::to_string(&event).unwrap())
        .await
        .unwrap();
    id
}

async fn a_restart_releases_at_once_what_the_crashed_dispatcher_held(store: Store) {
    let data = tempfile::tempdir().unwrap();
    let crashed = open_stack(data.path(), &store).await;
    let photo = uploaded_photo(&crashed, &tiny_png(2)).await;
    // The event was delivered and given back (a failed dispatch) until one receive is
    // left before the redrive parks it; then the next delivery is held by a consumer
    // that dies before handling it.
    for _ in 1..INGEST_MAX_RECEIVE_COUNT {
        let got = crashed
            .ingest
            .receive(1, INGEST_VISIBILITY_TIMEOUT, Duration::ZERO)
            .await
            .unwrap();
        crashed
            .ingest
            .change_visibility(&got[0].receipt_handle, Duration::ZERO)
            .await
            .unwrap();
    }
    let held = crashed
        .ingest
        .receive(10, INGEST_VISIBILITY_TIMEOUT, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(held[0].receive_count, INGEST_MAX_RECEIVE_COUNT);
    drop(crashed); // no shutdown: a crash

    let restarted = Instant::now();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = open_stack(data.path(), &store)
        .await
        .start(listener)
        .await
        .unwrap();
    let name = photo.execution_name(0);
    let deadline = restarted + Duration::from_secs(10);
    while running
        .stack
        .runner
        .describe(&name)
        .await
        .unwrap()
        .is_none()
    {
        assert!(
            Instant::now() < deadline,
            "no execution {:?} after the restart; queued: {:?}",
            restarted.elapsed(),
            queued(data.path()).await,
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let done = running
        .stack
        .runner
        .wait_for(&name, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(
        done.status,
        wisaw_asl::ExecutionStatus::Succeeded,
        "{done:?}"
    );
    let ready = running
        .stack
        .metadata
        .get_photo(photo)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ready.status, PhotoStatus::Ready);
    eprintln!("ready {:?} after the restart", restarted.elapsed());
    // The delivery no handler saw was given back: the event reached dispatch, not the
    // dead-letter queue, and nothing is left on either queue.
    let left = queued(data.path()).await;
    assert!(left.is_empty(), "{left:?}");
    running.shutdown().await.unwrap();
}

/// The messages each local queue holds (visible or in flight), read from its file.
async fn queued(data: &Path) -> Vec<(String, u64)> {
    let queues = LocalQueues::open(data.join(QUEUES_FILE)).await.unwrap();
    let counts = queues.counts().await.unwrap();
    counts
        .into_iter()
        .map(|c| (c.queue.clone(), c.total()))
        .collect()
}

/// How many small uploads arrive at once: many times what the workers serve, and
/// still well under a minute in a debug build on two cores.
const BURST: usize = 300;

async fn a_burst_larger_than_the_workers_ends_ready_without_a_timeout(store: Store) {
    let stack = TestStack::start(store).await;
    let started = Instant::now();
    // Every ticket first, then every PUT at once.
    let mut tickets = Vec::new();
    for n in 0..BURST {
        let png = tiny_png(n as u8);
        let ticket = stack
            .ticket(uuid::Uuid::new_v4(), "image/png", png.len(), (1.0, 2.0))
            .await;
        tickets.push((ticket, png));
    }
    let puts = tickets.iter().map(|(ticket, png)| {
        let client = stack.client.clone();
        async move { put_as_ticket_says(&client, ticket, png.clone()).await }
    });
    let watch = watch_running_executions(&stack);
    let (_, most_running) = tokio::join!(futures::future::join_all(puts), watch);
    let ids: Vec<String> = tickets
        .iter()
        .map(|(ticket, _)| ticket.photo_id.to_string())
        .collect();

    let mut timed_out = Vec::new();
    for id in &ids {
        stack.wait_execution(id).await;
        let status = stack.status(id).await;
        assert_eq!(status.status, PhotoStatus::Ready, "{status:?}");
        let history = stack.stack().runner.history(id).await.unwrap();
        if history.iter().any(|event| {
            event.event_type == "TaskTimedOut"
                || event.details.to_string().contains("States.Timeout")
        }) {
            timed_out.push(id.clone());
        }
    }
    eprintln!(
        "{BURST} uploads ready in {:?}; at most {most_running} executions ran at once",
        started.elapsed()
    );
    assert!(timed_out.is_empty(), "States.Timeout in {timed_out:?}");
    assert!(
        most_running <= execution_capacity(),
        "{most_running} executions ran at once, more than the workers serve ({})",
        execution_capacity()
    );
    stack.finish().await;
}

/// The most executions running at once while the burst's PUTs go in and a while after.
async fn watch_running_executions(stack: &TestStack) -> usize {
    let mut most = 0;
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        most = most.max(stack.stack().runner.in_flight());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    most
}

/// The template is what AWS runs; the local dispatcher must behave as its event source.
#[test]
fn the_dispatcher_uses_the_templates_visibility_timeout_and_concurrency() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let template: serde_norway::Value = serde_norway::from_str(&text).unwrap();
    let visibility = &template["Resources"]["IngestQueue"]["Properties"]["VisibilityTimeout"];
    assert_eq!(
        visibility.as_u64(),
        Some(INGEST_VISIBILITY_TIMEOUT.as_secs()),
        "{visibility:?}"
    );
    let concurrency = &template["Parameters"]["DispatchMaximumConcurrency"]["Default"];
    assert_eq!(
        concurrency.as_u64(),
        Some(DISPATCH_MAXIMUM_CONCURRENCY as u64),
        "{concurrency:?}"
    );
    let receives = &template["Parameters"]["IngestMaxReceiveCount"]["Default"];
    assert_eq!(receives.as_u64(), Some(u64::from(INGEST_MAX_RECEIVE_COUNT)));
}
