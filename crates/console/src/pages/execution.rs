//! An execution's page: the state machine drawn with the path this execution took, then
//! its event history as the Step Functions console shows it.

use super::layout::{badge, page, photo_link, time};
use crate::{ConsoleState, PageError, PageResult};
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use maud::{html, Markup, PreEscaped};
use wisaw_diagram::format_duration;
use wisaw_domain::ports::HistoryEvent;
use wisaw_operator::executions::{duration, is_execution_name, path_of, photo_of};

/// Details whose values are JSON text (input, output, parameters): shown parsed.
const JSON_TEXT_FIELDS: [&str; 3] = ["input", "output", "parameters"];

pub async fn show(State(console): State<ConsoleState>, Path(name): Path<String>) -> PageResult {
    let orchestrator = console.ports.orchestrator.as_ref();
    if !is_execution_name(&name) {
        return Err(PageError::not_found(format!("no execution named {name}")));
    }
    let execution = orchestrator
        .describe_execution(&name)
        .await?
        .ok_or_else(|| PageError::not_found(format!("no execution named {name}")))?;
    let history = orchestrator.execution_history(&name).await?;
    let path = path_of(&history);
    // The definition the stage runs now: drawn from the stage, not from this build.
    let definition = orchestrator.definition().await?;
    let diagram = wisaw_diagram::draw(&definition, &path);
    let failure = history
        .iter()
        .rev()
        .find(|e| e.event_type == "ExecutionFailed");
    let body = html! {
        table #summary {
            tr { th { "status" } td #status { (badge(execution.status.as_str())) } }
            @if let Some(photo) = photo_of(&execution.name) { tr { th { "photo" } td { (photo_link(photo)) } } }
            tr { th { "id" } td { code { (execution.execution_id) } } }
            tr { th { "started" } td { (time(execution.start_date)) } }
            @if let Some(stop) = execution.stop_date { tr { th { "stopped" } td { (time(stop)) } } }
            @if let Some(d) = duration(&execution) { tr { th { "duration" } td { (format_duration(d)) } } }
            @if let Some(url) = &execution.console_url {
                tr { th { "AWS" } td { a #aws-console href=(url) rel="noreferrer" target="_blank" { "open in the Step Functions console" } } }
            }
            @if let Some(failed) = failure {
                tr { th { "error" } td #error { code { (field(&failed.details, "error")) } } }
                tr { th { "cause" } td { pre { (field(&failed.details, "cause")) } } }
            }
        }
        h2 { "Path" }
        div.path {
        div.diagram #diagram { (PreEscaped(diagram)) }
        table #states {
            thead { tr { th { "state" } th { "outcome" } th { "attempts" } th { "duration" } th { "error" } } }
            tbody { @for (state, mark) in in_path_order(&path) {
                tr data-state=(state) {
                    td { (state) }
                    td { (badge(&format!("{:?}", mark.outcome))) }
                    td { (mark.attempts) }
                    td { @if let Some(d) = mark.duration { (format_duration(d)) } }
                    td { @if let Some(error) = &mark.error { code { (error) } } }
                }
            } }
        }
        }
        h2 { "Events" }
        (events(&history, execution.start_date))
    };
    Ok(page(
        &format!("Execution {name}"),
        &console.ports.target,
        None,
        body,
    )
    .into_response())
}

/// The states in the order the execution first entered them.
fn in_path_order(path: &wisaw_diagram::ExecutionPath) -> Vec<(&String, &wisaw_diagram::StateMark)> {
    let mut seen = std::collections::BTreeSet::new();
    path.entered
        .iter()
        .filter(|state| seen.insert(state.as_str()))
        .filter_map(|state| path.marks.get_key_value(state))
        .collect()
}

fn field<'a>(details: &'a serde_json::Value, name: &str) -> &'a str {
    details.get(name).and_then(|v| v.as_str()).unwrap_or("")
}

fn events(history: &[HistoryEvent], start: chrono::DateTime<chrono::Utc>) -> Markup {
    html! {
        table #history {
            thead { tr { th { "id" } th { "type" } th { "state" } th { "time" } th { "elapsed" } th { "details" } } }
            tbody { @for event in history {
                tr data-type=(event.event_type) {
                    td { (event.id) }
                    td { (event.event_type) }
                    td { (field(&event.details, "name")) }
                    td { (time(event.timestamp)) }
                    td { (format_duration(event.timestamp - start)) }
                    td { (details(&event.details)) }
                }
            } }
        }
    }
}

/// Error and cause in the open, the rest (input, output, parameters, ...) folded.
fn details(details: &serde_json::Value) -> Markup {
    let error = field(details, "error");
    let cause = field(details, "cause");
    html! {
        @if !error.is_empty() { div.error { code { (error) } } }
        @if !cause.is_empty() { div { (cause) } }
        @for name in JSON_TEXT_FIELDS {
            @if let Some(text) = details.get(name).and_then(|v| v.as_str()) {
                details { summary { (name) } pre { (pretty(text)) } }
            }
        }
    }
}

fn pretty(json_text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(json_text)
        .and_then(|value| serde_json::to_string_pretty(&value))
        .unwrap_or_else(|_| json_text.to_string())
}
