//! Executions as an operator looks for them: filtered by status, time and name (or
//! photo id), counted by status, a page at a time; and every execution of one photo.

use crate::error::{OperatorError, OperatorResult};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use wisaw_domain::ids::{ExecutionName, PhotoId};
use wisaw_domain::ports::{ExecutionStatus, ExecutionSummary, HistoryEvent, Orchestrator};

/// How many of the newest executions a listing looks through. Step Functions filters
/// by status only, so the time and name filters apply to this window.
pub const SCAN_LIMIT: u32 = 1_000;

/// What the operator asked for.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExecutionFilter {
    pub status: Option<ExecutionStatus>,
    /// Started at or after.
    pub from: Option<DateTime<Utc>>,
    /// Started before.
    pub to: Option<DateTime<Utc>>,
    /// A part of the execution's name (a photo id is the start of its names).
    pub name: Option<String>,
}

impl ExecutionFilter {
    fn admits_time_and_name(&self, execution: &ExecutionSummary) -> bool {
        self.from.is_none_or(|from| execution.start_date >= from)
            && self.to.is_none_or(|to| execution.start_date < to)
            && self
                .name
                .as_deref()
                .map(str::trim)
                .is_none_or(|part| execution.name.contains(part))
    }
}

/// One page of a listing, and the counts by status of everything the filters (but the
/// status) admit.
#[derive(Clone, Debug, PartialEq)]
pub struct ExecutionListing {
    pub executions: Vec<ExecutionSummary>,
    /// Executions the filters admit, in all.
    pub total: usize,
    pub counts: BTreeMap<&'static str, usize>,
    /// Whether the scan reached [`SCAN_LIMIT`] (older executions were not looked at).
    pub truncated: bool,
}

pub async fn list(
    orchestrator: &dyn Orchestrator,
    filter: &ExecutionFilter,
    offset: usize,
    page_size: usize,
) -> OperatorResult<ExecutionListing> {
    let scanned = orchestrator.list_executions(None, SCAN_LIMIT).await?;
    let mut truncated = scanned.len() >= SCAN_LIMIT as usize;
    let mut counts = BTreeMap::new();
    let mut admitted = Vec::new();
    for execution in scanned
        .iter()
        .filter(|execution| filter.admits_time_and_name(execution))
    {
        *counts.entry(execution.status.as_str()).or_insert(0) += 1;
        if filter
            .status
            .is_none_or(|status| status == execution.status)
        {
            admitted.push(execution.clone());
        }
    }
    // With a status, the orchestrator filters too (Step Functions does it server-side),
    // so older executions of that status are found beyond the unfiltered window.
    if let (Some(status), true) = (filter.status, truncated) {
        let of_status = orchestrator
            .list_executions(Some(status), SCAN_LIMIT)
            .await?;
        truncated = of_status.len() >= SCAN_LIMIT as usize;
        admitted = of_status
            .into_iter()
            .filter(|execution| filter.admits_time_and_name(execution))
            .collect();
    }
    let total = admitted.len();
    let executions = admitted.into_iter().skip(offset).take(page_size).collect();
    Ok(ExecutionListing {
        executions,
        total,
        counts,
        truncated,
    })
}

/// How many missing attempts in a row end the search for a photo's executions.
const MISSING_ATTEMPTS_TOLERATED: u32 = 2;

/// An execution with its history.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ExecutionWithHistory {
    pub execution: ExecutionSummary,
    pub history: Vec<HistoryEvent>,
}

/// Every execution of a photo (the first run and its replays, named `{photoId}` and
/// `{photoId}-replay-{n}`), oldest first, each with its history.
pub async fn of_photo(
    orchestrator: &dyn Orchestrator,
    photo_id: PhotoId,
) -> OperatorResult<Vec<ExecutionWithHistory>> {
    let mut found = Vec::new();
    let mut missing_in_a_row = 0;
    for attempt in 0.. {
        let name = photo_id.execution_name(attempt);
        let Some(execution) = orchestrator.describe_execution(&name).await? else {
            // The first run may have aged out of the history, and a replay whose message
            // was redriven never started: look a little further before concluding.
            missing_in_a_row += 1;
            if missing_in_a_row > MISSING_ATTEMPTS_TOLERATED {
                break;
            }
            continue;
        };
        missing_in_a_row = 0;
        let history = orchestrator.execution_history(&name).await?;
        found.push(ExecutionWithHistory { execution, history });
    }
    Ok(found)
}

/// A status as an operator types it (any case); an error lists the statuses there are.
pub fn parse_status(text: &str) -> OperatorResult<ExecutionStatus> {
    ExecutionStatus::parse(text).ok_or_else(|| {
        let known: Vec<&str> = ExecutionStatus::ALL.iter().map(|s| s.as_str()).collect();
        OperatorError::Invalid(format!(
            "status: `{text}` is not one of {}",
            known.join(", ")
        ))
    })
}

/// Whether `name` can be an execution's name at all (Step Functions: 1 to 80
/// characters, none of them blank, control or one of `<>{}[]?*"#%\^|~`$&,;:/`): a page
/// asked for any other name has nothing to show, and asking AWS would be an error.
pub fn is_execution_name(name: &str) -> bool {
    const FORBIDDEN: &str = "<>{}[]?*\"#%\\^|~`$&,;:/";
    (1..=80).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !FORBIDDEN.contains(c))
}

/// The execution's duration, once it ended.
pub fn duration(execution: &ExecutionSummary) -> Option<chrono::Duration> {
    execution.stop_date.map(|stop| stop - execution.start_date)
}

/// The photo an execution is about, when it is one of this pipeline's.
pub fn photo_of(execution_name: &str) -> Option<PhotoId> {
    execution_name
        .parse::<ExecutionName>()
        .ok()
        .map(|name| name.photo)
}

/// The states an execution went through and how each fared, from its history.
pub fn path_of(history: &[HistoryEvent]) -> wisaw_diagram::ExecutionPath {
    wisaw_diagram::execution_path(history.iter().map(|event| wisaw_diagram::HistoryItem {
        event_type: &event.event_type,
        timestamp: event.timestamp,
        details: &event.details,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_names_are_those_step_functions_allows() {
        let photo = PhotoId::new_random();
        assert!(is_execution_name(&photo.execution_name(0)));
        assert!(is_execution_name(&photo.execution_name(3)));
        for bad in ["", "a:b", "a/b", "a b", "<x>", &"x".repeat(81), "a\u{7}b"] {
            assert!(!is_execution_name(bad), "{bad:?}");
        }
        assert_eq!(photo_of(&photo.execution_name(2)), Some(photo));
        assert_eq!(photo_of("not-a-photo"), None);
    }
}
