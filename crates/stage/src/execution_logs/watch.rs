//! Which events of a runner's executions are not logged yet. The engine keeps every
//! execution's history as it goes; a scan reads what was added since the last delivery:
//! of the executions running, those started since the last scan, and those that were
//! running then and have ended since. Positions move only once a delivery succeeded, so
//! an event that could not be delivered is delivered on a later scan.
//!
//! Positions are kept in memory: after a restart, an execution that resumes is delivered
//! again from its first event (readers keep one of each event id, as CloudWatch Logs may
//! deliver an event twice anyway).

use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, HashMap};
use wisaw_asl::{
    ExecutionRecord, ExecutionStatus, HistoryEvent, ListPosition, LocalRunner, RunnerError,
};

/// How far before the last scan an execution's start is looked for: its start time is
/// taken a moment before it is stored.
const START_MARGIN: Duration = Duration::seconds(10);
/// A page of executions.
const PAGE: u32 = 100;

pub struct Watch {
    runner: LocalRunner,
    /// Executions running or with events left to deliver: the id of the last event
    /// delivered (0 for none).
    open: HashMap<String, i64>,
    /// Executions ended and delivered in full, by their start, while a scan of recent
    /// starts may list them again.
    closed: HashMap<String, DateTime<Utc>>,
    /// A scan lists the executions started at or after this.
    since: DateTime<Utc>,
}

/// One execution's events not delivered yet.
pub struct Unlogged {
    pub execution_arn: String,
    /// In the order of their ids.
    pub events: Vec<HistoryEvent>,
    start_date: DateTime<Utc>,
    /// Delivered up to here before these.
    delivered: i64,
    /// Its last event, when it has ended: then nothing follows.
    ended_at: Option<i64>,
}

/// What one scan found.
pub struct Scan {
    pub unlogged: Vec<Unlogged>,
    at: DateTime<Utc>,
}

impl Watch {
    /// Watches the executions that run or start from now on.
    pub fn new(runner: LocalRunner) -> Self {
        Self {
            runner,
            open: HashMap::new(),
            closed: HashMap::new(),
            since: Utc::now(),
        }
    }

    /// The events added since the last delivered scan, oldest execution first.
    pub async fn scan(&self) -> Result<Scan, RunnerError> {
        let at = Utc::now();
        let mut records: BTreeMap<String, ExecutionRecord> = BTreeMap::new();
        let running = self.listed(Some(ExecutionStatus::Running), None).await?;
        let started = self.listed(None, Some(self.since)).await?;
        for record in running.into_iter().chain(started) {
            records.insert(record.execution_id.clone(), record);
        }
        // Running at the last scan, and ended since.
        for id in self.open.keys() {
            if records.contains_key(id) {
                continue;
            }
            if let Some(record) = self.runner.describe_by_id(id).await? {
                records.insert(id.clone(), record);
            }
        }
        let mut unlogged = Vec::new();
        for record in records.into_values() {
            let id = &record.execution_id;
            if self.closed.contains_key(id) {
                continue;
            }
            let delivered = self.open.get(id).copied().unwrap_or(0);
            let events = match record.last_event_id > delivered {
                true => self.runner.history_by_id(id).await?,
                false => Vec::new(),
            };
            unlogged.push(Unlogged {
                execution_arn: record.execution_id.clone(),
                events: events.into_iter().filter(|e| e.id > delivered).collect(),
                start_date: record.start_date,
                delivered,
                ended_at: (record.status != ExecutionStatus::Running)
                    .then_some(record.last_event_id),
            });
        }
        unlogged.sort_by_key(|u| u.start_date);
        Ok(Scan { unlogged, at })
    }

    /// The scan's events are delivered: the next scan starts after them.
    pub fn delivered(&mut self, scan: Scan) {
        for execution in scan.unlogged {
            let last = execution
                .events
                .last()
                .map_or(execution.delivered, |e| e.id);
            match execution.ended_at {
                Some(end) if last >= end => {
                    self.open.remove(&execution.execution_arn);
                    self.closed
                        .insert(execution.execution_arn, execution.start_date);
                }
                _ => {
                    self.open.insert(execution.execution_arn, last);
                }
            }
        }
        self.since = scan.at - START_MARGIN;
        let since = self.since;
        self.closed.retain(|_, start| *start >= since);
    }

    /// Every execution of `status`, or started at or after `since`: newest first, page by page.
    async fn listed(
        &self,
        status: Option<ExecutionStatus>,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<ExecutionRecord>, RunnerError> {
        let mut found = Vec::new();
        let mut after: Option<ListPosition> = None;
        loop {
            let page = self.runner.list_after(status, after.as_ref(), PAGE).await?;
            let full = page.len() == PAGE as usize;
            after = page.last().map(ListPosition::after);
            for record in page {
                if since.is_some_and(|since| record.start_date < since) {
                    return Ok(found);
                }
                found.push(record);
            }
            if !full {
                return Ok(found);
            }
        }
    }
}
