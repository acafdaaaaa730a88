//! The pipeline's health over the last hour: photos by status, throughput, how long a
//! photo takes from its upload (its execution's start) to its outcome, each step's
//! duration, and the queues' depth.

use super::executions::{path_of, SCAN_LIMIT};
use super::OperatorPorts;
use crate::error::OperatorResult;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use wisaw_domain::ports::{ExecutionStatus, QueueStats};
use wisaw_domain::PhotoStatus;

/// How many of the window's executions have their history read for the step durations
/// (one call each on AWS).
const HISTORY_SAMPLE: usize = 200;

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub since: DateTime<Utc>,
    pub photos_by_status: Vec<(PhotoStatus, u64)>,
    pub executions_by_status: BTreeMap<&'static str, usize>,
    /// Executions that ended in the window, per minute.
    pub finished_per_minute: f64,
    /// From the execution's start (the upload's arrival) to its end, for the executions
    /// that succeeded in the window.
    pub upload_to_outcome: Percentiles,
    /// Each task state's duration (entered to exited), from up to [`HISTORY_SAMPLE`]
    /// histories of the window.
    pub steps: Vec<(String, Percentiles)>,
    pub ingest: QueueStats,
    pub dead_letter: QueueStats,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Percentiles {
    pub count: usize,
    pub p50_ms: Option<i64>,
    pub p95_ms: Option<i64>,
}

impl Percentiles {
    /// Nearest-rank percentiles.
    pub fn of(mut millis: Vec<i64>) -> Self {
        millis.sort_unstable();
        let rank = |p: f64| -> Option<i64> {
            if millis.is_empty() {
                return None;
            }
            let index = ((p * millis.len() as f64).ceil() as usize).clamp(1, millis.len()) - 1;
            Some(millis[index])
        };
        Self {
            count: millis.len(),
            p50_ms: rank(0.50),
            p95_ms: rank(0.95),
        }
    }
}

pub async fn health(ports: &OperatorPorts, window: chrono::Duration) -> OperatorResult<Health> {
    let now = Utc::now();
    let since = now - window;
    let recent: Vec<_> = ports
        .orchestrator
        .list_executions(None, SCAN_LIMIT)
        .await?
        .into_iter()
        .filter(|e| e.start_date >= since || e.stop_date.is_some_and(|stop| stop >= since))
        .collect();
    // By start, as the executions page filters (its links say `from=1h`).
    let mut executions_by_status = BTreeMap::new();
    for execution in recent.iter().filter(|e| e.start_date >= since) {
        *executions_by_status
            .entry(execution.status.as_str())
            .or_insert(0) += 1;
    }
    let finished = recent
        .iter()
        .filter(|e| e.stop_date.is_some_and(|stop| stop >= since))
        .count();
    let upload_to_outcome = Percentiles::of(
        recent
            .iter()
            .filter(|e| e.status == ExecutionStatus::Succeeded)
            .filter_map(|e| {
                e.stop_date
                    .map(|stop| (stop - e.start_date).num_milliseconds())
            })
            .collect(),
    );
    let mut step_millis: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for execution in recent
        .iter()
        .filter(|e| e.stop_date.is_some())
        .take(HISTORY_SAMPLE)
    {
        let history = ports
            .orchestrator
            .execution_history(&execution.name)
            .await?;
        for (state, mark) in path_of(&history).marks {
            if let (Some(duration), true) = (mark.duration, mark.attempts > 0) {
                step_millis
                    .entry(state)
                    .or_default()
                    .push(duration.num_milliseconds());
            }
        }
    }
    Ok(Health {
        since,
        photos_by_status: ports.metadata.count_by_status().await?,
        executions_by_status,
        finished_per_minute: finished as f64 / (window.num_seconds().max(1) as f64 / 60.0),
        upload_to_outcome,
        steps: step_millis
            .into_iter()
            .map(|(state, millis)| (state, Percentiles::of(millis)))
            .collect(),
        ingest: ports.ingest.stats().await?,
        dead_letter: ports.dead_letter.stats().await?,
    })
}

#[cfg(test)]
mod tests {
    use super::Percentiles;

    #[test]
    fn percentiles_are_nearest_rank() {
        let p = Percentiles::of((1..=100).rev().collect());
        assert_eq!((p.count, p.p50_ms, p.p95_ms), (100, Some(50), Some(95)));
        let one = Percentiles::of(vec![7]);
        assert_eq!((one.p50_ms, one.p95_ms), (Some(7), Some(7)));
        assert_eq!(Percentiles::of(vec![]).p50_ms, None);
    }
}
