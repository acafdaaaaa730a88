//! The API's limits, with the contract's values as their defaults.

use std::time::Duration;

/// Limits of the API. [`Default`] holds the contract's values.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiConfig {
    /// The largest `contentLength` a ticket is issued for (above: 413).
    pub max_upload_bytes: u64,
    /// How long an upload ticket stays valid.
    pub upload_ticket_ttl: Duration,
    /// How long a `thumbUrl` / `imageUrl` stays valid.
    pub image_url_ttl: Duration,
    /// A device whose photos were reported by MORE than this many distinct
    /// devices, counting only reports that count (see docs/api.md), gets no upload
    /// ticket (403).
    pub abuse_report_threshold: u64,
    /// At most this many distinct reporters from one client address count ...
    pub abuse_reporters_per_address: u32,
    /// ... within this long.
    pub abuse_address_window: Duration,
    /// How long the status page waits for the orchestrator before answering
    /// without the execution's status.
    pub execution_lookup_timeout: Duration,
    /// Whether the status page asks the orchestrator how the photo's execution went:
    /// not of an Express state machine, whose executions Step Functions does not
    /// describe (their histories are in its log group, for the operator).
    pub describes_executions: bool,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            max_upload_bytes: 25 * 1024 * 1024,
            upload_ticket_ttl: Duration::from_secs(15 * 60),
            image_url_ttl: Duration::from_secs(60 * 60),
            abuse_report_threshold: 3,
            abuse_reporters_per_address: 3,
            abuse_address_window: Duration::from_secs(24 * 60 * 60),
            execution_lookup_timeout: Duration::from_secs(2),
            describes_executions: true,
        }
    }
}
