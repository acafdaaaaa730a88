//! What an operator does, whatever shows it (the `wisaw` commands print it, the console
//! draws it): a photo's whole story, the executions and their paths, the dead letters
//! and their replay, the pipeline's health. All of it over ports, so it acts the same
//! on the local stack under a data folder and on a deployed stage in AWS (`--aws --stage
//! S`, with the usual AWS environment and the stage's `WISAW_*` variables, e.g. exported
//! from the stack's outputs).

pub mod dead_letters;
pub mod error;
pub mod executions;
pub mod health;
pub mod photo_story;
pub mod replay;

use anyhow::Result;
pub use error::{Failure, OperatorError, OperatorResult};
use std::sync::Arc;
use wisaw_adapters::aws::AwsEnvironment;
use wisaw_domain::ports::{BlobStore, MetadataStore, Orchestrator, Queue, ReplayAudit};

/// The ports the operator needs, whatever is behind them.
#[derive(Clone)]
pub struct OperatorPorts {
    pub orchestrator: Arc<dyn Orchestrator>,
    pub dead_letter: Arc<dyn Queue>,
    pub ingest: Arc<dyn Queue>,
    pub metadata: Arc<dyn MetadataStore>,
    pub blobs: Arc<dyn BlobStore>,
    pub audit: Arc<dyn ReplayAudit>,
    /// Where these ports lead, in a few words ("local stack in ./wisaw-data", "AWS stage prod").
    pub target: String,
}

impl OperatorPorts {
    pub async fn aws(stage: &str) -> Result<Self> {
        let environment = AwsEnvironment::for_stage(stage).await?;
        Self::of_environment(&environment, stage).await
    }

    /// The ports of a deployed stage, from its environment.
    pub async fn of_environment(environment: &AwsEnvironment, stage: &str) -> Result<Self> {
        // One database connection for the photos and the replay audit log.
        let store = environment.postgres_store().await?;
        Ok(Self {
            orchestrator: environment.orchestrator()?,
            dead_letter: environment.dead_letter_queue()?,
            ingest: environment.ingest_queue()?,
            metadata: store.clone(),
            blobs: environment.blobs()?,
            audit: store,
            target: format!("AWS stage {stage}"),
        })
    }
}

/// The name an audit entry records when the operator gave none: the OS user.
pub fn default_operator() -> String {
    ["WISAW_OPERATOR", "USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|var| {
            std::env::var(var)
                .ok()
                .filter(|name| !name.trim().is_empty())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// A point in time as an operator types it: an age back from now (`90s`, `30m`, `2h`,
/// `7d`), an RFC 3339 time, or a browser's `datetime-local` (`2026-12-01T17:30`, UTC).
pub fn parse_time(
    text: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<chrono::DateTime<chrono::Utc>, String> {
    let text = text.trim();
    // The unit is the last character; the text may end in any character at all.
    let unit_at = text.char_indices().last().map_or(0, |(at, _)| at);
    let (amount, unit) = text.split_at(unit_at);
    if let Ok(amount) = amount.parse::<i64>() {
        let seconds = match unit {
            "s" => Some(1),
            "m" => Some(60),
            "h" => Some(3600),
            "d" => Some(86_400),
            _ => None,
        };
        if let Some(age) = seconds
            .filter(|_| amount >= 0)
            .and_then(|unit| amount.checked_mul(unit))
            .and_then(chrono::Duration::try_seconds)
        {
            return now
                .checked_sub_signed(age)
                .ok_or_else(|| format!("`{text}` is too long ago"));
        }
    }
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&chrono::Utc));
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(at) = chrono::NaiveDateTime::parse_from_str(text, format) {
            return Ok(at.and_utc());
        }
    }
    Err(format!(
        "`{text}` is not a time: give an age (30m, 2h, 7d) or a time (2026-12-01T17:30:00Z)"
    ))
}

#[cfg(test)]
mod tests {
    use super::parse_time;
    use chrono::{TimeZone, Utc};

    #[test]
    fn times_are_ages_or_instants() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 18, 0, 0).unwrap();
        for (text, (hour, minute)) in [
            ("2h", (16, 0)),
            ("30m", (17, 30)),
            ("2026-12-01T17:15", (17, 15)),
            ("2026-12-01T17:15:00+01:00", (16, 15)),
        ] {
            let expected = Utc.with_ymd_and_hms(2026, 12, 1, hour, minute, 0).unwrap();
            assert_eq!(parse_time(text, now).unwrap(), expected, "{text}");
        }
        for bad in ["", "h", "-2h", "2y", "99999999999999999d", "tomorrow", "2é"] {
            assert!(parse_time(bad, now).is_err(), "{bad}");
        }
    }
}
