//! What the API tests share: the real router over a SQLite metadata store and a
//! filesystem blob store in a temporary folder, and a recording orchestrator.
#![allow(dead_code)]

use async_trait::async_trait;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tempfile::TempDir;
use tower::ServiceExt;
use wisaw_api::{router, ApiConfig, ApiPorts, CursorKey};
use wisaw_core::adapters::local_fs::LocalBlobStore;
use wisaw_core::adapters::sqlite::SqliteMetadataStore;
use wisaw_core::contracts::{ExecutionInput, Outcome};
use wisaw_core::model::{CreatePhoto, NewPhoto, Photo};
use wisaw_core::ports::{
    BlobStore, ExecutionStatus, ExecutionSummary, HistoryEvent, MetadataStore, Orchestrator,
    PortResult, StartOutcome,
};
use wisaw_core::{DeviceId, PhotoId, PortError};

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
    async fn start_execution(
        &self,
        name: &str,
        input: &ExecutionInput,
    ) -> PortResult<StartOutcome> {
        self.check()?;
        let mut started = self.started.lock().unwrap();
        if started.iter().any(|(n, _)| n == name) {
            return Ok(StartOutcome::AlreadyExists);
        }
        started.push((name.to_string(), input.clone()));
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
}

pub struct Harness {
    _dir: TempDir,
    pub metadata: Arc<SqliteMetadataStore>,
    pub blobs: Arc<LocalBlobStore>,
    pub orchestrator: Arc<RecordingOrchestrator>,
    pub ports: Arc<ApiPorts>,
    pub app: Router,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    /// Asserts an RFC 9457 problem answer with this status, and returns its body.
    pub fn assert_problem(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert_eq!(
            self.headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json"),
            "{}",
            self.body
        );
        assert_eq!(self.body["status"], Value::from(status), "{}", self.body);
        for field in ["type", "title", "detail"] {
            assert!(
                self.body[field].as_str().is_some_and(|s| !s.is_empty()),
                "problem without {field}: {}",
                self.body
            );
        }
        &self.body
    }
}

impl Harness {
    pub async fn new() -> Self {
        Self::with_config(ApiConfig::default()).await
    }

    pub async fn with_config(config: ApiConfig) -> Self {
        Self::with_store(config, |store| store).await
    }

    /// The ports' metadata store is `wrap` of the real SQLite store (e.g. one that
    /// interleaves a DELETE); `metadata` stays the real store underneath.
    pub async fn with_store(
        config: ApiConfig,
        wrap: impl FnOnce(Arc<dyn MetadataStore>) -> Arc<dyn MetadataStore>,
    ) -> Self {
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
        let orchestrator = Arc::new(RecordingOrchestrator::default());
        let ports = Arc::new(ApiPorts {
            metadata: wrap(metadata.clone()),
            blobs: blobs.clone(),
            orchestrator: orchestrator.clone(),
            cursor_key: cursor_key(),
            config,
        });
        let app = router(ports.clone());
        Self {
            _dir: dir,
            metadata,
            blobs,
            orchestrator,
            ports,
            app,
        }
    }

    pub async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                panic!("not JSON ({status}): {}", String::from_utf8_lossy(&bytes))
            })
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, uri: &str) -> Answer {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    pub async fn post_json(&self, uri: &str, body: &Value) -> Answer {
        self.post_raw(uri, "application/json", body.to_string())
            .await
    }

    pub async fn post_raw(&self, uri: &str, content_type: &str, body: String) -> Answer {
        let request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    /// A JSON POST arriving from `client`, as the local server's `ConnectInfo` tells it.
    pub async fn post_json_from(&self, uri: &str, body: &Value, client: SocketAddr) -> Answer {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        request.extensions_mut().insert(ConnectInfo(client));
        self.send(request).await
    }

    /// A device with standing: one of its photos is ready.
    pub async fn device_with_a_ready_photo(&self) -> DeviceId {
        let device = DeviceId::new_random();
        let photo = self.create_photo(device, 0.0, 0.0, Utc::now()).await;
        self.make_ready(&photo).await;
        device
    }

    pub async fn delete(&self, uri: &str, device: Option<&str>) -> Answer {
        let mut request = Request::builder().method(Method::DELETE).uri(uri);
        if let Some(device) = device {
            request = request.header("X-Device-Id", device);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    /// A photo row as a ticket would create it, at a chosen time and place.
    pub async fn create_photo(
        &self,
        device: DeviceId,
        lat: f64,
        lon: f64,
        created_at: DateTime<Utc>,
    ) -> Photo {
        let new = NewPhoto {
            id: PhotoId::new_random(),
            device_id: device,
            lat,
            lon,
            content_type: "image/jpeg".into(),
            content_length: 1000,
            created_at,
        };
        match self.metadata.create_photo(&new).await.unwrap() {
            CreatePhoto::Created(photo) => photo,
            CreatePhoto::Existing(photo) => panic!("{} existed", photo.id),
        }
    }

    /// Moves a photo through processing to ready, with its images stored.
    pub async fn make_ready(&self, photo: &Photo) {
        let id = photo.id;
        self.metadata
            .mark_processing(id, &id.execution_name(0))
            .await
            .unwrap()
            .unwrap();
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
        self.metadata
            .record_outcome(id, &outcome)
            .await
            .unwrap()
            .unwrap();
    }

    pub async fn make_rejected(&self, photo: &Photo) {
        let id = photo.id;
        self.metadata
            .mark_processing(id, &id.execution_name(0))
            .await
            .unwrap()
            .unwrap();
        let outcome = Outcome::Rejected {
            reason_code: "not_an_image".into(),
            reason: "The file is not an image.".into(),
        };
        self.metadata
            .record_outcome(id, &outcome)
            .await
            .unwrap()
            .unwrap();
    }
}

/// The key the harness signs feed cursors with.
pub fn cursor_key() -> CursorKey {
    CursorKey::derived_from(b"test secret")
}

/// Whether a JSON value mentions a device id anywhere, as a key or a value.
pub fn mentions(value: &Value, needle: &str) -> bool {
    match value {
        Value::String(s) => s.contains(needle),
        Value::Array(items) => items.iter().any(|v| mentions(v, needle)),
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| k.contains(needle) || mentions(v, needle)),
        _ => false,
    }
}
