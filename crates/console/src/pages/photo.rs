//! A photo's page: its whole story from its id (see [`wisaw_operator::photo_story`]).

use super::layout::{badge, execution_link, page, photo_link, time};
use crate::forms::Fields;
use crate::paths;
use crate::{ConsoleState, PageError, PageResult};
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect};
use maud::{html, Markup};
use wisaw_diagram::format_duration;
use wisaw_domain::ids::PhotoId;
use wisaw_operator::dead_letters::DeadLetterEntry;
use wisaw_operator::photo_story::{photo_story, PhotoStory};

fn parse_id(text: &str) -> Result<PhotoId, PageError> {
    text.trim()
        .parse()
        .map_err(|_| PageError::bad_request(format!("`{text}` is not a photo id")))
}

/// The search box: `/console/photos?id=...`.
pub async fn search(RawQuery(query): RawQuery) -> PageResult {
    let fields = Fields::of_query(query.as_deref());
    let id = parse_id(fields.get("id").unwrap_or_default())?;
    Ok(Redirect::to(&paths::photo(id)).into_response())
}

pub async fn show(State(console): State<ConsoleState>, Path(id): Path<String>) -> PageResult {
    let id = parse_id(&id)?;
    let story = photo_story(&console.ports, id)
        .await?
        .ok_or_else(|| PageError::not_found(format!("nothing is known of photo {id}")))?;
    Ok(page(
        &format!("Photo {id}"),
        &console.ports.target,
        None,
        story_body(&story),
    )
    .into_response())
}

fn story_body(story: &PhotoStory) -> Markup {
    html! {
            section #row {
                @match &story.photo {
                    Some(photo) => table {
                        tr { th { "status" } td #status { (badge(photo.status.as_str())) } }
                        @if let Some(code) = &photo.reason_code {
                            tr { th { "reason" } td { code { (code) } " " (photo.reason.as_deref().unwrap_or("")) } }
                        }
                        tr { th { "dimensions" } td { @match (photo.width, photo.height) {
                            (Some(w), Some(h)) => (format!("{w} × {h}")),
                            _ => span.muted { "not known yet" },
                        } } }
                        tr { th { "location" } td { (format!("{:.5}, {:.5}", photo.lat, photo.lon)) } }
                        tr { th { "device" } td { code { (photo.device_id) } } }
                        tr { th { "upload" } td { (photo.content_type) ", " (photo.content_length) " bytes" } }
                        tr { th { "created" } td { (time(photo.created_at)) } }
                        tr { th { "updated" } td { (time(photo.updated_at)) } }
                    },
                    None => p.muted { "No row: the photo was never created, or it was deleted." },
                }
            }
            h2 { "Status history" }
            table #transitions {
                thead { tr { th { "status" } th { "at" } th { "by" } } }
                tbody { @for t in &story.transitions {
                    tr { td { (badge(t.status.as_str())) } td { (time(t.at)) }
                         td { @if let Some(name) = &t.execution { (execution_link(name)) } @else { "the ticket" } } }
                } }
            }
            h2 { "Abuse reports" }
        @if story.reports.is_empty() { p.muted #reports { "None." } } @else {
            table #reports {
                thead { tr { th { "filed" } th { "by device" } th { "reporter had a ready photo" } th { "counts" } } }
                tbody { @for report in &story.reports {
                    tr { td { (time(report.filed_at)) } td { code { (report.reporter) } }
                         td { (if report.reporter_standing { "yes" } else { "no" }) }
                         td { (if report.counts { "yes" } else { "no" }) } }
                } }
            }
        }
        h2 { "Blobs" }
            div.previews #blobs {
                @for blob in &story.blobs {
                    figure data-blob=(blob.name) {
                        figcaption { strong { (blob.name) } " " code { (blob.key) } " · "
                            @match (blob.size, blob.absent_because) { (Some(size), _) => { span.size { (size) " bytes" } }, (None, Some(why)) => { span.muted.absent { (why) } }, (None, None) => { span.error.missing { "missing" } } } }
                        @if let Some(url) = &blob.preview_url {
                            img src=(url) alt={ (blob.name) " of " (story.photo_id) } loading="lazy";
                        }
                    }
                }
            }
            h2 { "Executions" }
            table #executions {
                thead { tr { th { "name" } th { "status" } th { "recorded" } th { "started" } th { "duration" } } }
                tbody { @for run in &story.executions {
                    tr { td { (execution_link(&run.summary.name)) } td { (badge(run.summary.status.as_str())) }
                         td { @if let Some(status) = run.recorded { (badge(status.as_str())) } }
                         td { (time(run.summary.start_date)) }
                         td { @if let Some(ms) = run.duration_ms { (format_duration(chrono::Duration::milliseconds(ms))) } } }
                } }
            }
            @if story.executions.is_empty() { p.muted { "No execution." } }
            h2 { "Dead letter" }
            @if story.dead_letters.is_empty() { p.muted #dead-letter { "None: the photo is not in the dead-letter queue." } }
            @for entry in &story.dead_letters { (dead_letter(entry)) }
            h2 { "Announcements" }
            table #events {
                thead { tr { th { "event" } th { "recorded" } th { "sent" } } }
                tbody { @for event in &story.events {
                    tr { td { code { (event.event_id) } } td { (time(event.recorded_at)) }
                         td { @match event.sent_at { Some(at) => { (badge("sent")) " " (time(at)) }, None => (badge("unsent")) } }
    }
                } }
            }
            @if story.events.is_empty() { p.muted { "No announcement (only ready and rejected photos are announced)." } }
            p { a href={ (paths::EXECUTIONS) "?q=" (story.photo_id) } { "all executions of " (photo_link(story.photo_id)) } }
        }
}

fn dead_letter(entry: &DeadLetterEntry) -> Markup {
    html! {
        table #dead-letter {
            tr { th { "error" } td { code { (entry.error_class()) } } }
            tr { th { "cause" } td { pre { (entry.cause().unwrap_or("")) } } }
            tr { th { "attempt" } td { @for l in &entry.letters { (l.attempt) " " } } }
            tr { th { "since" } td { @if let Some(at) = entry.sent_at { (time(at)) } } }
            tr { th { "" } td { a href={ (paths::DEAD_LETTERS) "?photo=" (entry.photo_ids().map(|p| p.to_string()).collect::<Vec<_>>().join(",")) } { "replay from the dead-letter page" } } }
        }
    }
}
