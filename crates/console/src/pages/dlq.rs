//! The dead-letter queue: messages grouped by error class, filters, a selection, then a
//! dry run (what would be replayed and what held back), then a replay at a rate, which
//! runs in the background and is followed on its audit entry's page.

use super::layout::{badge, csrf_field, execution_link, page, photo_link, time};
use crate::forms::Fields;
use crate::paths;
use crate::{ConsoleState, PageResult};
use axum::extract::{FromRequest, RawQuery, Request, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use bytes::Bytes;
use maud::{html, Markup};
use wisaw_operator::dead_letters::{by_error_class, peek, DeadLetterEntry, DeadLetterFilter};
use wisaw_operator::replay::{self, ReplayRequest, DEFAULT_MAX_FAILED_REPLAYS, DEFAULT_RATE};

pub async fn list(State(console): State<ConsoleState>, RawQuery(query): RawQuery) -> PageResult {
    let fields = Fields::of_query(query.as_deref());
    let filter = fields.dead_letter_filter()?;
    let entries = peek(console.ports.dead_letter.as_ref()).await?;
    let in_flight = console.ports.dead_letter.stats().await?.in_flight;
    // Unreadable messages cannot be replayed, but an unfiltered list shows them.
    let unfiltered = filter == DeadLetterFilter::default();
    let chosen: Vec<DeadLetterEntry> = entries
        .iter()
        .filter(|e| filter.admits(e) || (unfiltered && e.letters.is_empty()))
        .cloned()
        .collect();
    let groups = by_error_class(&entries);
    let body = html! {
        div.cards #groups {
            @for (class, members) in &groups {
                a.card data-error=(class) href={ (paths::DEAD_LETTERS) "?error=" (urlencoding::encode(class)) } {
                    div.value { (members.len()) } div.label { code { (class) } }
                }
            }
        }
        @if entries.is_empty() && in_flight == 0 { p.muted #empty { "The dead-letter queue is empty." } }
        @if in_flight > 0 {
            p.muted #held { (in_flight) " message(s) are held by a reader (a replay in progress?) and not shown." }
        }
        form.filters method="get" action=(paths::DEAD_LETTERS) {
            label { "error" select name="error" {
                option value="" { "any" }
                @for class in groups.keys() {
                    option value=(class) selected[filter.error.as_deref() == Some(*class)] { (class) }
                }
            } }
            label { "since" input name="since" placeholder="2h" value=(fields.get("since").unwrap_or("")); }
            label { "photo" input name="photo" value=(fields.all("photo").collect::<Vec<_>>().join(",")); }
            button type="submit" { "Filter" }
        }
        form method="post" action=(paths::DRY_RUN) #selection {
            (csrf_field(console.access.csrf_token()))
            table #dead-letters {
                thead { tr { th { "" } th { "photo" } th { "attempt" } th { "error" } th { "cause" } th { "failed" } th { "execution" } } }
                tbody { @for entry in &chosen { (row(entry)) } }
            }
            p {
                "Replay limit: photos that failed " (DEFAULT_MAX_FAILED_REPLAYS) " replays are held back unless "
                label { input type="checkbox" name="force" value="1"; " forced" }
                ". "
                button type="submit" #dry-run { "Dry run of the selected" }
            }
        }
    };
    Ok(page("Dead letters", &console.ports.target, None, body).into_response())
}

fn row(entry: &DeadLetterEntry) -> Markup {
    html! {
        @if let Some(body) = &entry.unreadable_body {
            tr.unreadable {
                td {} td { "unreadable" } td {} td { code { (entry.error_class()) } }
                td { pre { (body) } } td { @if let Some(at) = entry.sent_at { (time(at)) } } td {}
            }
        }
        @for letter in &entry.letters {
            tr data-photo=(letter.photo_id) {
                td { input type="checkbox" name="photo" value=(letter.photo_id) checked; }
                td { (photo_link(letter.photo_id)) }
                td { (letter.attempt) }
                td { code { (entry.error_class()) } }
                td { (entry.cause().unwrap_or("")) }
                td { @if let Some(at) = entry.sent_at { (time(at)) } }
                td { @if let Some(name) = &letter.execution_name { (execution_link(name)) } }
            }
        }
    }
}

/// The request a dry-run or replay form posts, once its CSRF token is checked: what the
/// two actions take, as an extractor.
pub struct ReplayForm(ReplayRequest);

impl FromRequest<ConsoleState> for ReplayForm {
    type Rejection = crate::PageError;

    async fn from_request(
        request: Request,
        console: &ConsoleState,
    ) -> Result<Self, Self::Rejection> {
        let headers = request.headers().clone();
        let body = Bytes::from_request(request, console)
            .await
            .map_err(|rejection| crate::PageError::bad_request(rejection.body_text()))?;
        action_request(console, &headers, &body).map(Self)
    }
}

fn action_request(
    console: &ConsoleState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<ReplayRequest, crate::PageError> {
    let fields = Fields::parse(body);
    console.access.check_form(headers, fields.get("csrf"))?;
    let request = request_of(console, &fields)?;
    // The console's forms replay the photos ticked on the page, and nothing else (the
    // operator's own rule, a selection of some kind, is checked by every replay).
    if request.filter.photos.is_none() {
        return Err(crate::PageError::bad_request(
            "select at least one photo to replay",
        ));
    }
    Ok(request)
}

/// The request a dry-run or replay form describes.
fn request_of(console: &ConsoleState, fields: &Fields) -> Result<ReplayRequest, crate::PageError> {
    let mut request = ReplayRequest::new(fields.dead_letter_filter()?, console.operator.clone());
    request.force = fields.flag("force");
    request.rate = fields.number("rate", DEFAULT_RATE)?;
    request
        .checked_rate()
        .map_err(crate::PageError::bad_request)?;
    Ok(request)
}

pub async fn dry_run(
    State(console): State<ConsoleState>,
    ReplayForm(request): ReplayForm,
) -> PageResult {
    let plan = replay::dry_run(&console.ports, &request).await?;
    let photos: Vec<String> = plan
        .replay
        .iter()
        .flat_map(|e| e.photo_ids())
        .map(|id| id.to_string())
        .collect();
    let body = html! {
        p { "Selection: " (request.filter.describe()) (if request.force { " (forced)" } else { "" }) }
        h2 { "Would be replayed (" (photos.len()) ")" }
        table #would-replay {
            thead { tr { th { "photo" } th { "attempt" } th { "error" } } }
            tbody { @for entry in &plan.replay { @for l in &entry.letters {
                tr data-photo=(l.photo_id) { td { (photo_link(l.photo_id)) } td { (l.attempt) " → " (l.attempt + 1) } td { code { (entry.error_class()) } } }
            } } }
        }
        h2 { "Held back (" (plan.held_back.len()) ")" }
        table #held-back {
            thead { tr { th { "photo" } th { "attempt" } th { "why" } } }
            tbody { @for entry in &plan.held_back { @for l in &entry.letters {
                tr data-photo=(l.photo_id) { td { (photo_link(l.photo_id)) } td { (l.attempt) }
                    td { "failed " (l.attempt) " replays already; check the box \"forced\" to replay it anyway" } }
            } } }
        }
        @if photos.is_empty() {
            p.muted { "Nothing to replay. " a href=(paths::DEAD_LETTERS) { "Back to the dead letters" } }
        } @else {
            form method="post" action=(paths::REPLAY) #replay-form {
                (csrf_field(console.access.csrf_token()))
                input type="hidden" name="photo" value=(photos.join(","));
                @if let Some(error) = &request.filter.error { input type="hidden" name="error" value=(error); }
                @if request.force { input type="hidden" name="force" value="1"; }
                label { "rate (photos per second) " input type="number" name="rate" value=(request.rate) min="0.1" max="100" step="0.1"; }
                " "
                button type="submit" #replay { "Replay " (photos.len()) " photo(s) as " (console.operator) }
            }
        }
        p { (badge("dry run")) " Nothing was sent." }
    };
    Ok(page("Dry run", &console.ports.target, None, body).into_response())
}

pub async fn replay(
    State(console): State<ConsoleState>,
    ReplayForm(request): ReplayForm,
) -> PageResult {
    let started = replay::start(&console.ports, &request).await?;
    let id = started.record.id;
    let ports = console.ports.clone();
    // The replay goes on at its rate after this answer; its page follows the audit entry.
    tokio::spawn(async move {
        started.run(&ports).await;
    });
    Ok(Redirect::to(&paths::replay_record(id)).into_response())
}
