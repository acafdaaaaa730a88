//! The audit log of replays: who replayed what, when, and how each photo fared; a
//! replay's page follows it while it runs.

use super::layout::{badge, page, photo_link, time};
use crate::paths;
use crate::{ConsoleState, PageError, PageResult};
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use maud::html;
use wisaw_domain::replay::{ReplayOutcome, ReplayRecord};

const LISTED: u32 = 200;

fn counts(record: &ReplayRecord) -> (usize, usize) {
    let done = record
        .photos
        .iter()
        .filter(|p| !matches!(p.outcome, ReplayOutcome::Pending | ReplayOutcome::HeldBack))
        .count();
    let sent = record
        .photos
        .iter()
        .filter(|p| !matches!(p.outcome, ReplayOutcome::HeldBack))
        .count();
    (done, sent)
}

pub async fn list(State(console): State<ConsoleState>) -> PageResult {
    let records = console.ports.audit.replays(LISTED).await?;
    let body = html! {
        table #replays {
            thead { tr { th { "started" } th { "operator" } th { "selection" } th { "photos" } th { "state" } } }
            tbody { @for record in &records {
                @let (done, sent) = counts(record);
                tr data-replay=(record.id) {
                    td { a href=(paths::replay_record(record.id)) { (time(record.started_at)) } }
                    td.operator { (record.operator) }
                    td { (record.selection) @if record.forced { " (forced)" } }
                    td { @for photo in &record.photos { (photo_link(photo.photo_id)) " " (badge(photo.outcome.as_str())) br; } }
                    td { @if record.finished_at.is_some() { (badge("finished")) } @else { (badge("running")) " " (done) "/" (sent) } }
                }
            } }
        }
        @if records.is_empty() { p.muted { "No replay yet." } }
    };
    Ok(page("Replays", &console.ports.target, None, body).into_response())
}

pub async fn show(State(console): State<ConsoleState>, Path(id): Path<String>) -> PageResult {
    let id: uuid::Uuid = id
        .parse()
        .map_err(|_| PageError::bad_request(format!("`{id}` is not a replay id")))?;
    let record = console
        .ports
        .audit
        .replay(id)
        .await?
        .ok_or_else(|| PageError::not_found(format!("no replay {id}")))?;
    let (done, sent) = counts(&record);
    let mut statuses = Vec::new();
    for photo in &record.photos {
        let status = console
            .ports
            .metadata
            .get_photo(photo.photo_id)
            .await?
            .map(|p| p.status);
        statuses.push(status);
    }
    let running = record.finished_at.is_none();
    // Reload while it sends, and while a replayed photo is still being processed.
    let settling = statuses.contains(&Some(wisaw_domain::PhotoStatus::Processing));
    let body = html! {
        table #replay {
            tr { th { "operator" } td.operator { (record.operator) } }
            tr { th { "started" } td { (time(record.started_at)) } }
            tr { th { "finished" } td #finished { @match record.finished_at { Some(at) => (time(at)), None => (badge("running")) } } }
            tr { th { "selection" } td { (record.selection) @if record.forced { " (forced)" } } }
            tr { th { "rate" } td { (record.rate) " photos per second" } }
            tr { th { "progress" } td { progress max=(sent.max(1)) value=(done) {} " " (done) " of " (sent) " sent" } }
        }
        table #photos {
            thead { tr { th { "photo" } th { "attempt" } th { "error" } th { "replay" } th { "photo now" } } }
            tbody { @for (photo, status) in record.photos.iter().zip(&statuses) {
                tr data-photo=(photo.photo_id) {
                    td { (photo_link(photo.photo_id)) }
                    td { (photo.attempt) }
                    td { code { (photo.error) } }
                    td.outcome { (badge(photo.outcome.as_str()))
                        @if let ReplayOutcome::Failed(reason) = &photo.outcome { " " span.error { (reason) } } }
                    td.now { @match status { Some(s) => (badge(s.as_str())), None => span.muted { "no row" } } }
                }
            } }
        }
        @if running || settling { p.muted #reloading { "This page reloads every second while the replay runs and its photos are processed." } }
    };
    let refresh = (running || settling).then_some(1);
    Ok(page("Replay", &console.ports.target, refresh, body).into_response())
}
