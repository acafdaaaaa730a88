//! The executions: filters (status, time range, name or photo id), counts by status,
//! a page at a time.

use super::layout::{badge, execution_link, page, photo_link, time};
use crate::forms::Fields;
use crate::paths;
use crate::{ConsoleState, PageResult};
use axum::extract::{RawQuery, State};
use axum::response::IntoResponse;
use maud::html;
use wisaw_diagram::format_duration;
use wisaw_domain::ports::ExecutionStatus;
use wisaw_operator::executions::{self, photo_of, SCAN_LIMIT};

const PAGE_SIZE: usize = 50;

pub async fn list(State(console): State<ConsoleState>, RawQuery(query): RawQuery) -> PageResult {
    let fields = Fields::of_query(query.as_deref());
    let filter = fields.execution_filter()?;
    let page_number = fields.page()?;
    let listing = executions::list(
        console.ports.orchestrator.as_ref(),
        &filter,
        (page_number - 1).saturating_mul(PAGE_SIZE),
        PAGE_SIZE,
    )
    .await?;
    let others = fields.encode_without("page");
    let without_status = Fields::parse(others.as_bytes()).encode_without("status");
    let pages = listing.total.div_ceil(PAGE_SIZE).max(1);
    let body = html! {
        form.filters method="get" action=(paths::EXECUTIONS) {
            label { "status" select name="status" {
                option value="" { "any" }
                @for status in ExecutionStatus::ALL {
                    option value=(status.as_str()) selected[filter.status == Some(status)] { (status.as_str()) }
                }
            } }
            label { "started from" input name="from" placeholder="2h or 2026-12-01T17:00" value=(fields.get("from").unwrap_or("")); }
            label { "to" input name="to" placeholder="now" value=(fields.get("to").unwrap_or("")); }
            label { "name or photo id" input name="q" value=(fields.get("q").unwrap_or("")); }
            button type="submit" { "Filter" }
        }
        div.cards #counts {
            a.card href=(paths::with_query(paths::EXECUTIONS, &without_status)) { div.value { (listing.counts.values().sum::<usize>()) } div.label { "all" } }
            @for (status, count) in &listing.counts {
                a.card data-status=(status) href=(link_with(&without_status, "status", status)) {
                    div.value { (count) } div.label { (badge(status)) }
                }
            }
        }
        table #executions {
            thead { tr { th { "name" } th { "photo" } th { "status" } th { "started" } th { "duration" } } }
            tbody {
                @for execution in &listing.executions {
                    tr data-name=(execution.name) {
                        td { (execution_link(&execution.name)) }
                        td { @if let Some(photo) = photo_of(&execution.name) { (photo_link(photo)) } }
                        td { (badge(execution.status.as_str())) }
                        td { (time(execution.start_date)) }
                        td { @if let Some(d) = executions::duration(execution) { (format_duration(d)) } }
                    }
                }
            }
        }
        @if listing.executions.is_empty() { p.muted { "No execution matches." } }
        p.pager {
            "page " (page_number) " of " (pages) " (" (listing.total) " executions) "
            @if page_number > 1 { a rel="prev" href=(link_with(&others, "page", &(page_number - 1).to_string())) { "← newer" } }
            @if page_number < pages { a rel="next" href=(link_with(&others, "page", &(page_number + 1).to_string())) { "older →" } }
        }
        @if listing.truncated {
            p.muted { "Only the newest " (SCAN_LIMIT) " executions were looked through." }
        }
    };
    Ok(page("Executions", &console.ports.target, None, body).into_response())
}

/// The executions page with `query` and one more field.
fn link_with(query: &str, name: &str, value: &str) -> String {
    let extra = form_urlencoded::Serializer::new(String::new())
        .append_pair(name, value)
        .finish();
    if query.is_empty() {
        paths::with_query(paths::EXECUTIONS, &extra)
    } else {
        paths::with_query(paths::EXECUTIONS, &format!("{query}&{extra}"))
    }
}
