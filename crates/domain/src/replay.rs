//! The audit log of dead-letter replays: who replayed which photos, when, and how each
//! fared. Every replay an operator runs (console or CLI, local or AWS) writes one
//! record before it sends anything, and updates it as it goes, so a replay cut short
//! still shows what it did.

use crate::ids::PhotoId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What happened to one photo of a replay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "outcome", content = "detail")]
pub enum ReplayOutcome {
    /// Chosen, not sent yet.
    Pending,
    /// Sent back to ingest for a new execution.
    Replayed,
    /// Not sent: it has failed too many replays already and the replay was not forced.
    HeldBack,
    /// Sending it failed; it stays in the dead-letter queue.
    Failed(String),
}

impl ReplayOutcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Replayed => "replayed",
            Self::HeldBack => "held back",
            Self::Failed(_) => "failed",
        }
    }
}

/// One photo of a replay: the dead letter's attempt, and what became of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplayedPhoto {
    pub photo_id: PhotoId,
    /// The attempt that failed (0 for the first run); a replay runs attempt + 1.
    pub attempt: u32,
    /// The error class the failed execution recorded.
    pub error: String,
    #[serde(flatten)]
    pub outcome: ReplayOutcome,
}

/// One replay run, as the audit log keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplayRecord {
    pub id: uuid::Uuid,
    /// The operator's name (`--operator`, or the OS user).
    pub operator: String,
    pub started_at: DateTime<Utc>,
    /// Unset while it runs (or if it was cut short).
    pub finished_at: Option<DateTime<Utc>>,
    /// The selection as the operator gave it (filters, or the photos picked).
    pub selection: String,
    /// Whether photos over the replay limit were sent anyway.
    pub forced: bool,
    /// Messages per second.
    pub rate: f64,
    pub photos: Vec<ReplayedPhoto>,
}
