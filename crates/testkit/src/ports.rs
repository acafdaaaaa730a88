//! Real local stores in a temporary folder, and an orchestrator that records what it
//! is asked to start: what the API and dispatch tests run their handlers over; and a
//! metadata store or a blob store with one behaviour changed ([`HookedMetadataStore`],
//! [`HookedBlobStore`]).

mod hooked_blobs;
mod hooked_metadata;

pub use hooked_blobs::{BlobCall, BlobHook, HookedBlobStore};
pub use hooked_metadata::{HookedMetadataStore, MetadataCall, MetadataHook};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tempfile::TempDir;
use wisaw_adapters::blobs_fs::LocalBlobStore;
use wisaw_adapters::sqlite::SqliteMetadataStore;
use wisaw_domain::contracts::{ExecutionInput, Outcome};
use wisaw_domain::events::PhotoEvent;
use wisaw_domain::model::{CreatePhoto, Photo};
use wisaw_domain::ports::{
    BlobStore, ExecutionStatus, ExecutionSummary, HistoryEvent, MetadataStore, Notifier,
    Orchestrator, PortResult, StartOutcome,
};
use wisaw_domain::{DeviceId, PortError};

/// The definition the pipeline deploys, as the file has it.
const UPLOAD_DEFINITION: &str = include_str!("../../../statemachines/upload.asl.json");

/// A test double of the orchestrator: it records the executions started and
/// reports them as running. `unavailable` makes every call fail.
#[derive(Default)]
pub struct RecordingOrchestrator {
    pub started: Mutex<Vec<(String, ExecutionInput)>>,
    pub unavailable: AtomicBool,
}

impl RecordingOrchestrator {
    pub fn names(&self) -> Vec<String> {
        self.started
            .lock()
            .unwrap()
            .iter()
            .map(|(name, _)| name.clone())
            .collect()
    }

    fn check(&self) -> PortResult<()> {
        if self.unavailable.load(Ordering::SeqCst) {
            return Err(PortError::Unavailable("orchestrator down (test)".into()));
        }
        Ok(())
    }

    fn summary(name: &str) -> ExecutionSummary {
        ExecutionSummary {
            name: name.to_string(),
            execution_id: format!("test:{name}"),
            status: ExecutionStatus::Running,
            start_date: Utc::now(),
            stop_date: None,
            console_url: None,
        }
    }
}

#[async_trait]
impl Orchestrator for RecordingOrchestrator {
    async fn start_execution(&self, input: &ExecutionInput) -> PortResult<StartOutcome> {
        let name = input.execution_name();
        self.check()?;
        let mut started = self.started.lock().unwrap();
        if started.iter().any(|(n, _)| *n == name) {
            return Ok(StartOutcome::AlreadyExists);
        }
        started.push((name, input.clone()));
        Ok(StartOutcome::Started)
    }

    async fn describe_execution(&self, name: &str) -> PortResult<Option<ExecutionSummary>> {
        self.check()?;
        Ok(self
            .names()
            .iter()
            .find(|n| *n == name)
            .map(|n| Self::summary(n)))
    }

    async fn execution_history(&self, _name: &str) -> PortResult<Vec<HistoryEvent>> {
        self.check()?;
        Ok(Vec::new())
    }

    async fn list_executions(
        &self,
        _status: Option<ExecutionStatus>,
        limit: u32,
    ) -> PortResult<Vec<ExecutionSummary>> {
        self.check()?;
        Ok(self
            .names()
            .iter()
            .rev()
            .take(limit as usize)
            .map(|n| Self::summary(n))
            .collect())
    }

    async fn definition(&self) -> PortResult<serde_json::Value> {
        self.check()?;
        Ok(serde_json::from_str(UPLOAD_DEFINITION).expect("the upload definition is JSON"))
    }
}

/// A SQLite metadata store and a filesystem blob store in a temporary folder.
pub struct LocalStores {
    _dir: TempDir,
    pub metadata: Arc<SqliteMetadataStore>,
    pub blobs: Arc<LocalBlobStore>,
    pub orchestrator: Arc<RecordingOrchestrator>,
}

impl LocalStores {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let metadata = Arc::new(
            SqliteMetadataStore::open(dir.path().join("wisaw.db"))
                .await
                .unwrap(),
        );
        let blobs = Arc::new(
            LocalBlobStore::new(
                dir.path().join("blobs"),
                "http://127.0.0.1:9/blobs",
                b"test secret",
            )
            .unwrap(),
        );
        Self {
            _dir: dir,
            metadata,
            blobs,
            orchestrator: Arc::new(RecordingOrchestrator::default()),
        }
    }

    /// A device with standing: one of its photos is ready.
    pub async fn device_with_a_ready_photo(&self) -> DeviceId {
        let device = DeviceId::new_random();
        let photo = self.create_photo(device, 0.0, 0.0, Utc::now()).await;
        self.make_ready(&photo).await;
        device
    }

    /// A photo row of a new device, at (1, 2), created now.
    pub async fn create_a_photo(&self) -> Photo {
        self.create_photo(DeviceId::new_random(), 1.0, 2.0, Utc::now())
            .await
    }

    /// A photo row as a ticket would create it, at a chosen time and place.
    pub async fn create_photo(
        &self,
        device: DeviceId,
        lat: f64,
        lon: f64,
        created_at: DateTime<Utc>,
    ) -> Photo {
        let new = crate::photos::new_photo_at(device, lat, lon, created_at);
        match self.metadata.create_photo(&new).await.unwrap() {
            CreatePhoto::Created(photo) => photo,
            CreatePhoto::Existing(photo) => panic!("{} existed", photo.id),
        }
    }

    /// Moves a photo through processing to ready, with its images stored.
    pub async fn make_ready(&self, photo: &Photo) {
        let id = photo.id;
        for key in [id.upload_key(), id.thumb_key(), id.display_key()] {
            self.blobs
                .put(&key, "image/webp", bytes::Bytes::from_static(b"img"))
                .await
                .unwrap();
        }
        let outcome = Outcome::Ready {
            width: 4032,
            height: 3024,
            thumb_key: id.thumb_key(),
            display_key: id.display_key(),
        };
        self.process(photo, outcome).await;
    }

    pub async fn make_rejected(&self, photo: &Photo) {
        let outcome = Outcome::Rejected {
            reason_code: "not_an_image".into(),
            reason: "The file is not an image.".into(),
        };
        self.process(photo, outcome).await;
    }

    /// Moves a photo through processing (a first execution) to `outcome`.
    async fn process(&self, photo: &Photo, outcome: Outcome) {
        let id = photo.id;
        self.metadata
            .mark_processing(id, &id.execution_name(0))
            .await
            .unwrap()
            .unwrap();
        self.metadata
            .record_outcome(id, &outcome, 0)
            .await
            .unwrap()
            .unwrap();
    }
}

/// A test double of the notifier: it records what it is asked to publish, on which
/// channel. `down` makes every publish fail as an unreachable endpoint would; `hang`
/// makes it never finish (a process killed mid-publish).
#[derive(Default)]
pub struct RecordingNotifier {
    pub published: Mutex<Vec<(String, PhotoEvent)>>,
    pub down: AtomicBool,
    pub hang: AtomicBool,
}

impl RecordingNotifier {
    pub fn events(&self) -> Vec<PhotoEvent> {
        self.published
            .lock()
            .unwrap()
            .iter()
            .map(|(_, event)| event.clone())
            .collect()
    }
    pub fn channels(&self) -> Vec<String> {
        self.published
            .lock()
            .unwrap()
            .iter()
            .map(|(channel, _)| channel.clone())
            .collect()
    }
}

#[async_trait]
impl Notifier for RecordingNotifier {
    async fn publish(&self, channel: &str, event: &PhotoEvent) -> PortResult<()> {
        if self.hang.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        if self.down.load(Ordering::SeqCst) {
            return Err(PortError::Unavailable("events endpoint down (test)".into()));
        }
        self.published
            .lock()
            .unwrap()
            .push((channel.to_string(), event.clone()));
        Ok(())
    }
}
