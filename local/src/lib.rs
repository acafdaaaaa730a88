//! The local stack: local adapters wired into the very handlers that run in
//! Lambda. `LocalStack::open` opens the stores under a data folder;
//! `LocalStack::start` serves the API, the blobs, the event channels and Step
//! Functions' API (to clients on this machine), consumes the ingest queue, resumes
//! every execution a previous process left unfinished, and sweeps the outbox for
//! announcements a crash left unpublished.

pub mod blob_routes;
pub mod dispatcher;
pub mod events;
pub mod http_server;
pub mod orchestrator;
pub mod outbox_sweep;
pub mod tls;
pub mod worker_tasks;

use crate::tls::{ServerTls, TlsOptions};
use anyhow::{Context, Result};
use events::{EventsSettings, LocalEvents, LocalNotifier, PublisherKey, DEFAULT_API_KEY};
use http_server::transport::Transport;
use http_server::HttpLimits;
use orchestrator::LocalOrchestrator;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use wisaw_adapters::blobs_fs::LocalBlobStore;
use wisaw_adapters::postgres::{PostgresMetadataStore, PostgresSettings};
use wisaw_adapters::queues_sqlite::{
    LocalQueue, LocalQueues, Redrive, DEAD_LETTER_QUEUE, INGEST_QUEUE,
};
use wisaw_adapters::sqlite::SqliteMetadataStore;
use wisaw_adapters::sqlite_file::open_sqlite_file;
use wisaw_api::{ApiConfig, ApiPorts, CursorKey};
/// Standard or Express: how the local engine runs the state machine.
pub use wisaw_asl::WorkflowType;
use wisaw_asl::{LocalRunner, StateMachine};
use wisaw_console::{self as console, Console, ConsoleOptions};
use wisaw_domain::events::DeviceChannels;
use wisaw_domain::ports::{BlobStore, MetadataStore, Notifier, Queue, ReplayAudit};
use wisaw_operator::OperatorPorts;
use wisaw_sfn_api::StepFunctionsApi;
use wisaw_step::Step;
use worker_tasks::{local_function_arn, local_queue_url, WorkerPorts, WorkerTasks};

/// As the SAM template's redrive policy: after this many receives, SQS moves an ingest
/// message to the dead-letter queue.
pub const INGEST_MAX_RECEIVE_COUNT: u32 = 5;

/// Where the local stack keeps its data unless told another folder, and the variable
/// that tells it.
pub const DEFAULT_DATA_DIR: &str = "./wisaw-data";
pub const DATA_DIR_VAR: &str = "WISAW_DATA_DIR";

/// The queues' file in the stack's data folder.
pub const QUEUES_FILE: &str = "queues.db";
/// The local runner's executions and their histories.
pub const EXECUTIONS_FILE: &str = "executions.db";

/// How long a clean shutdown lets running steps finish before leaving them to resume.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// The state machine definition, the one file AWS runs too.
pub const UPLOAD_STATE_MACHINE: &str = include_str!("../../statemachines/upload.asl.json");

/// The definition as JSON, to draw (its `${...}` are only in strings).
pub fn upload_definition() -> serde_json::Value {
    serde_json::from_str(UPLOAD_STATE_MACHINE).expect("statemachines/upload.asl.json is JSON")
}

/// The stores of a local stack, open but not yet serving.
pub struct LocalStack {
    pub data_dir: PathBuf,
    /// Where phones reach this server.
    pub public_url: String,
    pub metadata: Arc<dyn MetadataStore>,
    /// The replay audit log, in the metadata's database.
    pub audit: Arc<dyn ReplayAudit>,
    pub blobs: Arc<LocalBlobStore>,
    pub ingest: Arc<LocalQueue>,
    pub dead_letter: Arc<dyn Queue>,
    /// The event server the app subscribes on, and notify publishes to.
    pub events: Arc<LocalEvents>,
    /// Names the device channels (the API tells them, notify publishes on them).
    pub channels: DeviceChannels,
    /// The ports the workers (and the outbox sweep) run on.
    pub worker_ports: WorkerPorts,
    pub runner: Arc<LocalRunner>,
    /// The runner as the orchestrator port, as the API and the operator commands see it.
    pub orchestrator: Arc<LocalOrchestrator>,
    /// Signs the feed's cursors: the stack's signing secret, under a key of the cursor's own.
    pub cursor_key: CursorKey,
    /// How the operator console under `/console` is guarded.
    pub console: ConsoleOptions,
    /// HTTPS and WSS on the stack's address, when asked for.
    pub tls: Option<Arc<ServerTls>>,
}

/// Lets a caller (a test) put a different port in front of the workers, e.g. a
/// blob store that fails on purpose, while the API keeps the real one.
pub type WorkerPortsHook = Box<dyn FnOnce(WorkerPorts) -> WorkerPorts + Send>;

/// How to open a local stack.
pub struct StackOptions {
    /// Where phones reach this server, used in signed URLs.
    pub public_url: String,
    /// A Postgres URL for the metadata; SQLite in the data folder when absent.
    pub database_url: Option<String>,
    /// The key the app connects to the event channels with.
    pub events_api_key: String,
    pub worker_ports_hook: Option<WorkerPortsHook>,
    /// A test hook: every publish waits until this file exists (so a test can kill the
    /// process between an outcome recorded and its event published).
    pub publish_gate: Option<PathBuf>,
    /// The operator console's token and operator name.
    pub console: ConsoleOptions,
    /// Serve HTTPS and WSS instead of plain HTTP (the public URL is then `https`).
    pub tls: Option<TlsOptions>,
    /// The state machine's workflow type: Express's semantics (a name may start several
    /// executions, each runs at most five minutes) or Standard's.
    pub workflow_type: WorkflowType,
}

impl StackOptions {
    pub fn new(public_url: &str) -> Self {
        Self {
            public_url: public_url.to_string(),
            database_url: None,
            events_api_key: DEFAULT_API_KEY.to_string(),
            worker_ports_hook: None,
            publish_gate: None,
            console: ConsoleOptions::default(),
            tls: None,
            workflow_type: WorkflowType::Standard,
        }
    }
}

impl LocalStack {
    /// Enough of the stack for the operator commands (no serving).
    pub async fn open_for_operator(data_dir: &Path, database_url: Option<String>) -> Result<Self> {
        if !data_dir.join(QUEUES_FILE).exists() {
            anyhow::bail!(
                "no local stack in {} (start `wisaw serve --data-dir {}` first)",
                data_dir.display(),
                data_dir.display()
            );
        }
        let options = StackOptions {
            database_url,
            ..StackOptions::new("http://127.0.0.1:3000")
        };
        Self::open(data_dir, options).await
    }

    /// Opens (creating on first use) the stores under `data_dir`.
    pub async fn open(data_dir: &Path, options: StackOptions) -> Result<Self> {
        let StackOptions {
            public_url,
            database_url,
            events_api_key,
            worker_ports_hook,
            publish_gate,
            console,
            tls,
            workflow_type,
        } = options;
        let public_url = public_url.as_str();
        tokio::fs::create_dir_all(data_dir)
            .await
            .with_context(|| format!("creating {}", data_dir.display()))?;
        let tls = tls
            .map(|tls| ServerTls::prepare(&tls, data_dir))
            .transpose()?
            .map(Arc::new);
        let secret = signing_secret(data_dir).await?;
        let cursor_key = CursorKey::derived_from(&secret);
        let (metadata, audit) = open_metadata(data_dir, database_url.as_deref()).await?;
        let blob_url = format!("{}/blobs", public_url.trim_end_matches('/'));
        let blobs = Arc::new(LocalBlobStore::new(
            data_dir.join("blobs"),
            &blob_url,
            secret.clone(),
        )?);
        let queues = LocalQueues::open(&data_dir.join(QUEUES_FILE)).await?;
        let dead_letter: Arc<dyn Queue> = Arc::new(queues.queue(DEAD_LETTER_QUEUE));
        let ingest = Arc::new(queues.queue_with_redrive(
            INGEST_QUEUE,
            Redrive {
                dead_letter_queue: DEAD_LETTER_QUEUE.into(),
                max_receive_count: INGEST_MAX_RECEIVE_COUNT,
            },
        ));
        let channels = DeviceChannels::derived_from(&secret);
        let events = Arc::new(LocalEvents::new(
            public_url,
            EventsSettings {
                api_key: events_api_key,
                publisher: publisher_key(&secret),
                keep_alive: std::time::Duration::from_secs(60),
                init_timeout: std::time::Duration::from_secs(10),
                max_subscriptions: 100,
                // Each holds a file descriptor, beside the HTTP server's own bound.
                max_connections: 400,
            },
            channels.clone(),
        )?);
        let mut notifier: Arc<dyn Notifier> = Arc::new(LocalNotifier(events.clone()));
        if let Some(gate) = publish_gate {
            notifier = Arc::new(events::GatedNotifier::new(notifier, gate));
        }
        let worker_ports = WorkerPorts {
            blobs: blobs.clone() as Arc<dyn BlobStore>,
            metadata: metadata.clone(),
            notifier,
            channels: channels.clone(),
        };
        let worker_ports = match worker_ports_hook {
            Some(hook) => hook(worker_ports),
            None => worker_ports,
        };
        let tasks = WorkerTasks::new(
            worker_ports.clone(),
            vec![dead_letter.clone(), ingest.clone()],
        );
        let machine =
            StateMachine::load("upload", UPLOAD_STATE_MACHINE, &definition_substitutions())
                .context("loading statemachines/upload.asl.json")?
                .with_workflow_type(workflow_type);
        // The definition would load with a placeholder left as text; the stack gives them all.
        anyhow::ensure!(
            machine.unresolved_placeholders().is_empty(),
            "statemachines/upload.asl.json: no substitution for {:?}",
            machine.unresolved_placeholders()
        );
        let executions = open_sqlite_file(&data_dir.join(EXECUTIONS_FILE)).await?;
        let runner = Arc::new(LocalRunner::with_pool(executions, machine, Arc::new(tasks)).await?);
        let orchestrator = Arc::new(LocalOrchestrator::new(runner.clone(), upload_definition()));
        Ok(Self {
            data_dir: data_dir.to_path_buf(),
            public_url: public_url.to_string(),
            metadata,
            audit,
            blobs,
            ingest,
            dead_letter,
            events,
            channels,
            worker_ports,
            runner,
            orchestrator,
            cursor_key,
            console,
            tls,
        })
    }

    /// The operator's ports over these stores (the console of `wisaw serve` uses them).
    pub fn operator_ports(&self) -> OperatorPorts {
        OperatorPorts {
            orchestrator: self.orchestrator.clone(),
            dead_letter: self.dead_letter.clone(),
            ingest: self.ingest.clone(),
            metadata: self.metadata.clone(),
            blobs: self.blobs.clone(),
            audit: self.audit.clone(),
            target: format!("local stack in {}", self.data_dir.display()),
        }
    }

    /// Serves on `listener` and starts the background work; returns at once.
    pub async fn start(self, listener: TcpListener) -> Result<RunningStack> {
        let shutdown = CancellationToken::new();
        let addr = listener.local_addr()?;
        let api = Arc::new(ApiPorts {
            metadata: self.metadata.clone(),
            blobs: self.blobs.clone(),
            orchestrator: self.orchestrator.clone(),
            cursor_key: self.cursor_key.clone(),
            channels: self.channels.clone(),
            events: self.events.endpoints().clone(),
            config: ApiConfig::default(),
        });
        let app = wisaw_api::router(api)
            .merge(blob_routes::router(self.blobs.clone(), self.ingest.clone()))
            .merge(self.events.router())
            // The operator's pages: beside the mobile API, never inside its router.
            .merge(console::router(Console::new(
                self.operator_ports(),
                addr,
                ConsoleOptions {
                    exposed: !is_loopback_url(&self.public_url),
                    ..self.console.clone()
                },
            )));
        // Step Functions' API over the runner: a call naming `AWSStepFunctions.*` in its
        // `X-Amz-Target` goes there, anything else to the routes above. It checks no AWS
        // credentials, so it serves only clients on this machine.
        let app = StepFunctionsApi::new()
            .serving(self.runner.as_ref().clone())
            .only_loopback_clients()
            .in_front_of(app);
        let transport = match &self.tls {
            Some(tls) => {
                tokio::spawn(tls.clone().keep_renewed(shutdown.clone()));
                Transport::Tls(tls.config.clone().into())
            }
            None => Transport::Plain,
        };
        let http = {
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                http_server::serve(listener, transport, app, HttpLimits::default(), shutdown)
                    .await
                    .context("serving HTTP")
            })
        };
        // Executions a killed process left behind carry on from their last state, and
        // announcements it recorded but never published go out.
        self.runner.resume_unfinished().await?;
        let sweep = tokio::spawn(outbox_sweep::run(
            self.worker_ports.clone(),
            outbox_sweep::SweepSchedule::default(),
            shutdown.clone(),
        ));
        let dispatcher = tokio::spawn(dispatcher::run(
            self.ingest.clone(),
            wisaw_ingest::DispatchPorts {
                metadata: self.metadata.clone(),
                orchestrator: self.orchestrator.clone(),
                blobs: self.blobs.clone(),
            },
            self.runner.clone(),
            shutdown.clone(),
        ));
        tracing::info!(%addr, data_dir = %self.data_dir.display(), "wisaw is serving");
        Ok(RunningStack {
            addr,
            stack: self,
            shutdown,
            http,
            dispatcher,
            sweep,
        })
    }
}

/// A started stack. Dropping it without [`RunningStack::shutdown`] is like a crash:
/// what is in flight resumes at the next start.
pub struct RunningStack {
    pub addr: SocketAddr,
    pub stack: LocalStack,
    shutdown: CancellationToken,
    http: JoinHandle<Result<()>>,
    dispatcher: JoinHandle<()>,
    sweep: JoinHandle<()>,
}

impl RunningStack {
    /// Stops taking work, lets HTTP requests finish, and stops the runner; executions in
    /// flight are checkpointed and resume at the next start.
    pub async fn shutdown(self) -> Result<()> {
        self.shutdown.cancel();
        self.stack.events.close_connections();
        self.dispatcher.await.ok();
        self.sweep.await.ok();
        self.http.await.context("the HTTP server task")??;
        self.stack.runner.shutdown(SHUTDOWN_GRACE).await;
        Ok(())
    }
}

/// SQLite in the data folder by default; Postgres when a URL is given (the store
/// production uses, so the whole local pipeline can run on it too).
/// The same store is the replay audit log.
async fn open_metadata(
    data_dir: &Path,
    database_url: Option<&str>,
) -> Result<(Arc<dyn MetadataStore>, Arc<dyn ReplayAudit>)> {
    Ok(match database_url {
        None => {
            let store = Arc::new(SqliteMetadataStore::open(&data_dir.join("metadata.db")).await?);
            (store.clone(), store)
        }
        Some(url) => {
            let settings =
                PostgresSettings::from_url(url)?.with_max_connections(LOCAL_PG_CONNECTIONS);
            let store = Arc::new(PostgresMetadataStore::connect(&settings).await?);
            (store.clone(), store)
        }
    })
}

/// Whether a URL names this machine (`http://127.0.0.1:3000`, `http://localhost`).
fn is_loopback_url(url: &str) -> bool {
    let authority = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = authority.split(['/', '?', '#']).next().unwrap_or_default();
    console::access::is_loopback_authority(authority)
}

/// One process serves every request and worker locally: a few connections, not Lambda's one.
const LOCAL_PG_CONNECTIONS: u32 = 8;

/// How the local stack fills the state machine's `${...}`, as SAM does with ARNs and URLs.
pub fn definition_substitutions() -> HashMap<String, String> {
    let functions = Step::ALL.into_iter().map(|step| {
        (
            step.function_arn_substitution(),
            local_function_arn(step.function_name()),
        )
    });
    functions
        .chain([(
            "DeadLetterQueueUrl".to_string(),
            local_queue_url(DEAD_LETTER_QUEUE),
        )])
        .collect()
}

/// The one key that may publish on the local event server (the stand-in for the notify
/// function's role): derived from the stack's secret, so it survives restarts.
pub fn publisher_key(secret: &[u8]) -> PublisherKey {
    PublisherKey {
        access_key_id: "WISAWLOCALPUBLISHER".into(),
        secret_access_key: hex::encode(wisaw_domain::keys::derived_key(secret, "events-publisher")),
        region: events::LOCAL_REGION.into(),
    }
}

/// The secret of the signed URLs: made once per data folder, so URLs survive restarts.
async fn signing_secret(data_dir: &Path) -> Result<Vec<u8>> {
    let path = data_dir.join("signing.key");
    match tokio::fs::read(&path).await {
        Ok(secret) if secret.len() >= 32 => Ok(secret),
        _ => {
            let secret: Vec<u8> = (0..2)
                .flat_map(|_| *uuid::Uuid::new_v4().as_bytes())
                .collect();
            tokio::fs::write(&path, &secret)
                .await
                .with_context(|| format!("writing {}", path.display()))?;
            Ok(secret)
        }
    }
}
