//! What every handler is given: the ports it reads and writes through, the keys
//! that must agree across instances, and the API's limits.

use crate::config::ApiConfig;
use crate::cursor::CursorKey;
use std::sync::Arc;
use wisaw_domain::events::{DeviceChannels, EventsEndpoints};
use wisaw_domain::ports::{BlobStore, MetadataStore, Orchestrator};

/// The ports the HTTP handlers need. The Lambda binaries wire AWS adapters in,
/// the local stack wires SQLite, the filesystem and the local runner.
pub struct ApiPorts {
    pub metadata: Arc<dyn MetadataStore>,
    pub blobs: Arc<dyn BlobStore>,
    pub orchestrator: Arc<dyn Orchestrator>,
    /// Signs the feed's cursors; every instance serving the API must share it.
    pub cursor_key: CursorKey,
    /// Names each device's event channel; notify must name them with the same key.
    pub channels: DeviceChannels,
    /// Where the app subscribes to its channel, as each ticket answer tells it.
    pub events: EventsEndpoints,
    pub config: ApiConfig,
}
