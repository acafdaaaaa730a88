//! `wisaw executions list|show`: from a photo id to its executions and their
//! history, over the orchestrator port (the local runner or Step Functions).

use anyhow::Result;
use std::fmt::Write as _;
use wisaw_domain::ids::PhotoId;
use wisaw_domain::ports::{ExecutionSummary, HistoryEvent, Orchestrator};
use wisaw_operator::executions::{self, ExecutionFilter};
use wisaw_operator::OperatorError;

pub async fn list(
    orchestrator: &dyn Orchestrator,
    status: Option<&str>,
    limit: u32,
) -> Result<String> {
    let status = status.map(executions::parse_status).transpose()?;
    let filter = ExecutionFilter {
        status,
        ..ExecutionFilter::default()
    };
    let listing = executions::list(orchestrator, &filter, 0, limit as usize).await?;
    let mut out = String::new();
    writeln!(
        out,
        "{:<52} {:<10} {:<25} STOPPED",
        "NAME", "STATUS", "STARTED"
    )?;
    for execution in &listing.executions {
        writeln!(
            out,
            "{:<52} {:<10} {:<25} {}",
            execution.name,
            execution.status.as_str(),
            execution.start_date.to_rfc3339(),
            execution
                .stop_date
                .map(|d| d.to_rfc3339())
                .unwrap_or_else(|| "-".into())
        )?;
    }
    if listing.executions.is_empty() {
        writeln!(out, "(no executions)")?;
    }
    Ok(out)
}

/// Every execution of a photo (the first run and its replays), each with its history.
pub async fn show(orchestrator: &dyn Orchestrator, photo_id: PhotoId) -> Result<String> {
    let runs = executions::of_photo(orchestrator, photo_id).await?;
    if runs.is_empty() {
        return Err(OperatorError::NotFound(format!("no execution for photo {photo_id}")).into());
    }
    let mut out = String::new();
    for run in &runs {
        write_execution(&mut out, &run.execution, &run.history)?;
    }
    Ok(out)
}

pub fn write_execution(
    out: &mut String,
    execution: &ExecutionSummary,
    history: &[HistoryEvent],
) -> Result<()> {
    writeln!(out, "execution {}", execution.name)?;
    writeln!(out, "  id:      {}", execution.execution_id)?;
    writeln!(out, "  status:  {}", execution.status.as_str())?;
    writeln!(out, "  started: {}", execution.start_date.to_rfc3339())?;
    if let Some(stop) = execution.stop_date {
        writeln!(out, "  stopped: {}", stop.to_rfc3339())?;
    }
    if let Some(url) = &execution.console_url {
        writeln!(out, "  console: {url}")?;
    }
    writeln!(out, "  history:")?;
    for event in history {
        writeln!(
            out,
            "    {:>3} {} {:<26} {}",
            event.id,
            event.timestamp.format("%H:%M:%S%.3f"),
            event.event_type,
            summarize_details(&event.details)
        )?;
    }
    writeln!(out)?;
    Ok(())
}

/// The one or two details an operator reads first: the state, the error and its cause.
fn summarize_details(details: &serde_json::Value) -> String {
    let field = |name: &str| {
        details
            .get(name)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let mut parts = Vec::new();
    if let Some(name) = field("name") {
        parts.push(name);
    }
    if let Some(error) = field("error") {
        parts.push(format!("error={error}"));
    }
    if let Some(cause) = field("cause") {
        let short: String = cause.chars().take(160).collect();
        parts.push(format!("cause={short}"));
    }
    parts.join(" ")
}
