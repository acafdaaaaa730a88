//! Shared pieces of the end-to-end tests: photo-like files, a phone's HTTP
//! calls, a local stack on a free port, and a blob store that fails on purpose.

#![allow(dead_code)]

pub use wisaw_testkit::{
    ask_ticket, assert_problem, images, photo_status, put_as_ticket_says, upload_as_phone,
    wait_final, Store, PROBLEM_JSON,
};

use bytes::Bytes;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use wisaw::events::client::EventsConnection;
use wisaw_api::photos::PhotoStatusResponse;
use wisaw_api::tickets::TicketResponse;
use wisaw_domain::ports::{BlobStore, PortResult};
use wisaw_domain::PortError;
use wisaw_local::tls::{ClientTrust, TlsOptions};
use wisaw_local::{LocalStack, RunningStack, StackOptions, WorkerPortsHook, WorkflowType};
use wisaw_testkit::ports::{BlobCall, BlobHook, HookedBlobStore};

/// Where the tests' photos are taken: San Francisco.
pub const SF: (f64, f64) = (37.7749, -122.4194);

/// The name the console's replays record in the tests.
pub const TEST_OPERATOR: &str = "test-operator";

/// A running local stack on a free port, with its data in a temporary folder.
pub struct TestStack {
    pub running: RunningStack,
    pub base_url: String,
    pub client: reqwest::Client,
    store: Store,
    _data: tempfile::TempDir,
}

/// A local stack on `data_dir`, serving on a free port; returns it and its base URL.
/// Starting one again on the same folder after dropping the first is a restart after a crash.
pub async fn start_on(
    data_dir: &std::path::Path,
    store: &Store,
    hook: Option<WorkerPortsHook>,
) -> (RunningStack, String) {
    start_serving(data_dir, store, hook, None).await
}

/// As [`start_on`], serving HTTPS and WSS when `tls` is given.
pub async fn start_serving(
    data_dir: &std::path::Path,
    store: &Store,
    hook: Option<WorkerPortsHook>,
    tls: Option<TlsOptions>,
) -> (RunningStack, String) {
    start_serving_as(data_dir, store, hook, tls, WorkflowType::Standard).await
}

/// As [`start_serving`], the state machine run as a `workflow_type` workflow.
pub async fn start_serving_as(
    data_dir: &std::path::Path,
    store: &Store,
    hook: Option<WorkerPortsHook>,
    tls: Option<TlsOptions>,
    workflow_type: WorkflowType,
) -> (RunningStack, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let scheme = if tls.is_some() { "https" } else { "http" };
    let base_url = format!("{scheme}://{}", listener.local_addr().unwrap());
    let options = StackOptions {
        database_url: store.database_url(),
        worker_ports_hook: hook,
        tls,
        console: wisaw_console::ConsoleOptions {
            operator: Some(TEST_OPERATOR.into()),
            ..Default::default()
        },
        workflow_type,
        ..StackOptions::new(&base_url)
    };
    let stack = LocalStack::open(data_dir, options).await.unwrap();
    (stack.start(listener).await.unwrap(), base_url)
}

impl TestStack {
    pub async fn start(store: Store) -> Self {
        Self::start_with(store, None).await
    }

    pub async fn start_with(store: Store, hook: Option<WorkerPortsHook>) -> Self {
        Self::start_serving(store, hook, None).await
    }

    /// A stack serving HTTPS and WSS with certificates of its own local authority; its
    /// client trusts that authority.
    pub async fn start_tls(store: Store) -> Self {
        let local = TlsOptions::local("https://127.0.0.1", None, Vec::new()).unwrap();
        Self::start_serving(store, None, Some(local)).await
    }

    /// A stack whose state machine runs as an Express workflow: a start under a name
    /// already used runs the photo again.
    pub async fn start_express(store: Store, hook: Option<WorkerPortsHook>) -> Self {
        Self::start_as(store, hook, None, WorkflowType::Express).await
    }

    async fn start_serving(
        store: Store,
        hook: Option<WorkerPortsHook>,
        tls: Option<TlsOptions>,
    ) -> Self {
        Self::start_as(store, hook, tls, WorkflowType::Standard).await
    }

    async fn start_as(
        store: Store,
        hook: Option<WorkerPortsHook>,
        tls: Option<TlsOptions>,
        workflow_type: WorkflowType,
    ) -> Self {
        let data = tempfile::tempdir().unwrap();
        let (running, base_url) =
            start_serving_as(data.path(), &store, hook, tls, workflow_type).await;
        let client = stack_trust(&running.stack).http_client().unwrap();
        Self {
            running,
            base_url,
            client,
            store,
            _data: data,
        }
    }

    /// Whom a client of this stack trusts (its local authority, when it serves TLS).
    pub fn trust(&self) -> ClientTrust {
        stack_trust(self.stack())
    }

    /// A stack whose workers read blobs through [`FlakyBlobs`] failing `failures` times.
    pub async fn start_with_flaky_reads(store: Store, failures: i64) -> (Self, Arc<FlakyBlobs>) {
        let slot = Arc::new(std::sync::Mutex::new(None));
        let hook_slot = slot.clone();
        let hook: WorkerPortsHook = Box::new(move |mut ports| {
            let flaky = FlakyReads::blobs(ports.blobs.clone(), failures);
            *hook_slot.lock().unwrap() = Some(flaky.clone());
            ports.blobs = flaky;
            ports
        });
        let stack = Self::start_with(store, Some(hook)).await;
        let flaky = slot.lock().unwrap().take().expect("the hook ran");
        (stack, flaky)
    }

    /// Shuts the stack down and drops its Postgres schema, if it had one.
    pub async fn finish(self) {
        self.running.shutdown().await.unwrap();
    }

    pub fn stack(&self) -> &LocalStack {
        &self.running.stack
    }

    /// A connection to the stack's event server, as the app opens it.
    pub async fn events(&self) -> EventsConnection {
        connect_events(self.stack()).await
    }

    /// A connection subscribed (as `s1`) to `device`'s channel.
    pub async fn subscribed(&self, device: uuid::Uuid) -> EventsConnection {
        subscribed(self.stack(), device).await
    }

    /// Asks for a ticket and uploads `bytes` exactly as it says; returns the photo id.
    pub async fn upload(&self, bytes: &[u8], content_type: &str, lat: f64, lon: f64) -> String {
        let device = uuid::Uuid::new_v4();
        let ticket = self
            .upload_from(device, bytes, content_type, lat, lon)
            .await;
        ticket.photo_id.to_string()
    }

    /// As [`Self::upload`], from `device`; returns the ticket.
    pub async fn upload_from(
        &self,
        device: uuid::Uuid,
        bytes: &[u8],
        content_type: &str,
        lat: f64,
        lon: f64,
    ) -> TicketResponse {
        upload_as_phone(
            &self.client,
            &self.base_url,
            device,
            content_type,
            bytes.to_vec(),
            (lat, lon),
        )
        .await
    }

    /// A two-tone JPEG of `width` by `height`, and a ticket for it from `device` at
    /// (`lat`, `lon`).
    pub async fn photo_ticket(
        &self,
        device: uuid::Uuid,
        (width, height): (u32, u32),
        (lat, lon): (f64, f64),
    ) -> (Vec<u8>, TicketResponse) {
        let bytes = images::jpeg(&images::two_tone(width, height));
        let ticket = self
            .ticket(device, "image/jpeg", bytes.len(), (lat, lon))
            .await;
        (bytes, ticket)
    }

    /// A ticket for a photo of `len` bytes from `device` at (`lat`, `lon`).
    pub async fn ticket(
        &self,
        device: uuid::Uuid,
        content_type: &str,
        len: usize,
        (lat, lon): (f64, f64),
    ) -> TicketResponse {
        ask_ticket(
            &self.client,
            &self.base_url,
            device,
            content_type,
            len,
            lat,
            lon,
        )
        .await
    }

    /// `DELETE /v1/photos/{id}` as the device `device`.
    pub async fn delete_photo(&self, photo_id: &str, device: uuid::Uuid) -> reqwest::Response {
        self.client
            .delete(format!("{}/v1/photos/{photo_id}", self.base_url))
            .header("X-Device-Id", device.to_string())
            .send()
            .await
            .unwrap()
    }

    pub async fn status_document(&self, photo_id: &str) -> serde_json::Value {
        wisaw_testkit::status_document(&self.client, &self.base_url, photo_id).await
    }

    pub async fn status(&self, photo_id: &str) -> PhotoStatusResponse {
        photo_status(&self.client, &self.base_url, photo_id).await
    }

    /// Waits for the photo's first execution to end, then returns the photo's status.
    /// (The status is final a step before the execution is: Notify comes last.)
    pub async fn wait_final(&self, photo_id: &str) -> PhotoStatusResponse {
        self.wait_execution(photo_id).await;
        wait_final(
            &self.client,
            &self.base_url,
            photo_id,
            Duration::from_secs(60),
        )
        .await
    }

    pub async fn wait_execution(&self, execution_name: &str) {
        let runner = &self.stack().runner;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        // The execution starts once dispatch reads the upload's event.
        while runner.describe(execution_name).await.unwrap().is_none() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no execution {execution_name}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        runner
            .wait_for(execution_name, Duration::from_secs(60))
            .await
            .unwrap();
    }

    /// A page's text, after a successful GET.
    pub async fn page(&self, url: &str) -> String {
        String::from_utf8(self.get_bytes(url).await.to_vec()).unwrap()
    }

    pub async fn get_bytes(&self, url: &str) -> Bytes {
        let response = self.client.get(url).send().await.unwrap();
        assert!(
            response.status().is_success(),
            "GET {url}: {}",
            response.status()
        );
        response.bytes().await.unwrap()
    }
}

/// Replays the dead letters of `photos`, as an operator named "tester" would, to the end.
pub async fn replay_photos(
    ports: &wisaw_operator::OperatorPorts,
    photos: impl IntoIterator<Item = wisaw_domain::PhotoId>,
) -> wisaw_domain::replay::ReplayRecord {
    let filter = wisaw_operator::dead_letters::DeadLetterFilter {
        photos: Some(photos.into_iter().collect()),
        ..Default::default()
    };
    let request = wisaw_operator::replay::ReplayRequest::new(filter, "tester".into());
    wisaw_operator::replay::start(ports, &request)
        .await
        .unwrap()
        .run(ports)
        .await
}

/// What a client of `stack` trusts: the public roots, and its local authority if any.
pub fn stack_trust(stack: &LocalStack) -> ClientTrust {
    match stack.tls.as_ref().and_then(|tls| tls.ca_path.as_ref()) {
        Some(ca) => ClientTrust::with_ca_file(ca).unwrap(),
        None => ClientTrust::public(),
    }
}

/// A connection to `stack`'s event server with the app's key.
pub async fn connect_events(stack: &LocalStack) -> EventsConnection {
    let endpoints = stack.events.endpoints();
    EventsConnection::connect(
        &endpoints.realtime_url,
        &endpoints.http_url,
        &stack.events.settings().api_key,
        &stack_trust(stack),
    )
    .await
    .unwrap()
}

/// A connection subscribed (as `s1`) to `device`'s channel of `stack`.
pub async fn subscribed(stack: &LocalStack, device: uuid::Uuid) -> EventsConnection {
    let mut connection = connect_events(stack).await;
    let channel = stack.channels.channel_of(wisaw_domain::DeviceId(device));
    connection.subscribe("s1", &channel).await.unwrap();
    connection
}

/// Events on `connection` until `wanted` distinct event ids have arrived (each id once,
/// however many times it was delivered), or `wait` has passed.
pub async fn distinct_events(
    connection: &mut EventsConnection,
    wanted: usize,
    wait: Duration,
) -> Vec<serde_json::Value> {
    connection.distinct_events(wanted, wait).await.unwrap()
}

/// No event arrives on `connection` within `wait`.
pub async fn assert_no_event(connection: &mut EventsConnection, wait: Duration) {
    if let Ok(next) = tokio::time::timeout(wait, connection.next_event()).await {
        panic!("an event arrived: {next:?}");
    }
}

/// Reads that fail as if S3 were unreachable: the next `n` reads, or all of them
/// ([`ALWAYS`]). Writes and URLs go to the real store.
pub struct FlakyReads {
    failures_left: AtomicI64,
}

/// A blob store with [`FlakyReads`].
pub type FlakyBlobs = HookedBlobStore<FlakyReads>;

/// `failures_left` below zero means "fail every read".
pub const ALWAYS: i64 = -1;

impl FlakyReads {
    pub fn blobs(inner: Arc<dyn BlobStore>, failures: i64) -> Arc<FlakyBlobs> {
        let reads = Self {
            failures_left: AtomicI64::new(failures),
        };
        Arc::new(HookedBlobStore::new(inner, reads))
    }
    pub fn heal(&self) {
        self.failures_left.store(0, Ordering::SeqCst);
    }
    fn should_fail(&self) -> bool {
        let left = self.failures_left.load(Ordering::SeqCst);
        if left < 0 {
            return true;
        }
        left > 0 && self.failures_left.fetch_sub(1, Ordering::SeqCst) > 0
    }
}

impl BlobHook for FlakyReads {
    fn before(&self, call: BlobCall<'_>) -> PortResult<()> {
        match call {
            BlobCall::Get(key) if self.should_fail() => Err(PortError::Unavailable(
                format!("injected fault reading {key}").into(),
            )),
            _ => Ok(()),
        }
    }
}

/// What the event server answers `message` with first.
pub async fn answer_to(
    connection: &mut EventsConnection,
    message: &wisaw_local::events::protocol::ClientMessage,
) -> wisaw_local::events::protocol::ServerMessage {
    connection.send(message).await.unwrap();
    connection.next().await.unwrap().expect("an answer")
}
