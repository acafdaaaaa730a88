//! `wisaw serve`'s stand-in for AppSync Events: the real-time WebSocket endpoint the app
//! subscribes on (`/event/realtime`) and the HTTP publish endpoint (`/event`), speaking
//! the same protocol, so the app's code and the AWS publisher work against both.
//!
//! As on AWS with this project's template: connecting and subscribing take the app's API
//! key, a subscription is to one device channel (`/devices/{token}`, a token this server
//! issued), and only the publisher key may publish (SigV4), over HTTP. Who may publish is
//! a [`PublishAuthorizer`]: the one key by default, IAM when the stage plugs it in.

mod broker;
mod publish;
mod realtime;
pub mod refusal;
pub mod sigv4;

pub mod protocol;

use async_trait::async_trait;
use axum::routing::{get, post};
use axum::Router;
use broker::Broker;
use protocol::{PUBLISH_PATH, REALTIME_PATH};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use wisaw_domain::events::{DeviceChannels, EventsEndpoints, PhotoEvent};
use wisaw_domain::ports::{Notifier, PortResult};
use wisaw_domain::PortError;

pub use broker::CONNECTION_BACKLOG;
pub use sigv4::PublisherKey;
pub use wisaw_adapters::aws::{PublishAttempt, PublishAuthorizer};

/// The API key `wisaw serve` accepts from the app unless told another.
pub const DEFAULT_API_KEY: &str = "da2-wisaw-local";
/// The region publishes are signed for, locally.
pub const LOCAL_REGION: &str = "local";

/// How the local event server is set up.
#[derive(Clone, Debug)]
pub struct EventsSettings {
    /// The key the app connects and subscribes with (`x-api-key`).
    pub api_key: String,
    /// The one key that may publish over HTTP.
    pub publisher: PublisherKey,
    /// How often a `ka` is sent on each connection.
    pub keep_alive: Duration,
    /// How long a new connection may take to send `connection_init`.
    pub init_timeout: Duration,
    /// Subscriptions one connection may hold.
    pub max_subscriptions: usize,
    /// Connections open at once; beyond, the handshake is refused (503) until one closes.
    pub max_connections: usize,
}

/// The event server: its settings, the channel key, and who listens where.
pub struct LocalEvents {
    settings: EventsSettings,
    channels: DeviceChannels,
    broker: Broker,
    endpoints: EventsEndpoints,
    /// The host (`host[:port]`) of the HTTP endpoint: what the app names in its
    /// authorization, and a publish is signed for.
    http_host: String,
    /// Cancelled when the stack shuts down: every connection closes ("going away").
    closing: CancellationToken,
    /// One permit per open connection.
    connection_slots: Arc<Semaphore>,
    /// Who may publish: the settings' publisher key unless another is plugged in.
    authorizer: Arc<dyn PublishAuthorizer>,
}

impl LocalEvents {
    pub fn new(
        public_url: &str,
        settings: EventsSettings,
        channels: DeviceChannels,
    ) -> anyhow::Result<Self> {
        let base = public_url.trim_end_matches('/');
        let realtime_base = match base.split_once("://") {
            Some(("https", rest)) => format!("wss://{rest}"),
            Some((_, rest)) => format!("ws://{rest}"),
            None => format!("ws://{base}"),
        };
        let http_url = format!("{base}{PUBLISH_PATH}");
        Ok(Self {
            http_host: protocol::http_host(&http_url)?,
            endpoints: EventsEndpoints {
                realtime_url: format!("{realtime_base}{REALTIME_PATH}"),
                http_url,
            },
            connection_slots: Arc::new(Semaphore::new(settings.max_connections)),
            authorizer: Arc::new(settings.publisher.clone()),
            channels,
            broker: Broker::default(),
            closing: CancellationToken::new(),
            settings,
        })
    }

    /// Publishes are allowed by `authorizer` instead of the settings' one publisher key.
    pub fn with_publish_authorizer(mut self, authorizer: Arc<dyn PublishAuthorizer>) -> Self {
        self.authorizer = authorizer;
        self
    }

    /// Closes every connection, as a server going away does; the app reconnects.
    pub fn close_connections(&self) {
        self.closing.cancel();
    }

    /// Where the app reaches this server, as the ticket answer tells it.
    pub fn endpoints(&self) -> &EventsEndpoints {
        &self.endpoints
    }

    pub fn settings(&self) -> &EventsSettings {
        &self.settings
    }

    /// Connections holding at least one subscription.
    pub fn subscribed_connections(&self) -> usize {
        self.broker.subscribed_connections()
    }

    /// The two endpoints, to merge into the stack's router.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route(REALTIME_PATH, get(realtime::upgrade))
            .route(PUBLISH_PATH, post(publish::publish))
            .with_state(self.clone())
    }
}

/// The notifier of `wisaw serve`'s notify step: straight into the broker, as a publish
/// accepted by the HTTP endpoint would be.
pub struct LocalNotifier(pub Arc<LocalEvents>);

#[async_trait]
impl Notifier for LocalNotifier {
    async fn publish(&self, channel: &str, event: &PhotoEvent) -> PortResult<()> {
        let event =
            serde_json::to_string(event).map_err(|e| PortError::Invalid(e.to_string().into()))?;
        let reached = self.0.broker.publish(channel, &[event]);
        tracing::debug!(channel, reached, "event published");
        Ok(())
    }
}

/// A test hook around a notifier: each publish waits until the gate file exists. A test
/// kills the process while publishes wait, after their outcomes were recorded.
pub struct GatedNotifier {
    inner: Arc<dyn Notifier>,
    gate: PathBuf,
}

impl GatedNotifier {
    pub fn new(inner: Arc<dyn Notifier>, gate: PathBuf) -> Self {
        Self { inner, gate }
    }
}

#[async_trait]
impl Notifier for GatedNotifier {
    async fn publish(&self, channel: &str, event: &PhotoEvent) -> PortResult<()> {
        if !self.gate.exists() {
            tracing::info!(event_id = %event.event_id, "publish waits for the gate");
            while !self.gate.exists() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        self.inner.publish(channel, event).await
    }
}
