//! The first page: is the pipeline well? Photos by status, executions of the last hour,
//! how long photos take, each step's duration, and the two queues.

use super::layout::{badge, page};
use crate::paths;
use crate::{ConsoleState, PageResult};
use axum::extract::State;
use axum::response::IntoResponse;
use maud::{html, Markup};
use wisaw_diagram::format_duration;
use wisaw_domain::ports::QueueStats;
use wisaw_operator::health::{health, Percentiles};

fn millis(ms: Option<i64>) -> String {
    ms.map(|ms| format_duration(chrono::Duration::milliseconds(ms)))
        .unwrap_or_else(|| "–".into())
}

fn percentiles(p: &Percentiles) -> Markup {
    html! { td { (p.count) } td { (millis(p.p50_ms)) } td { (millis(p.p95_ms)) } }
}

fn queue(name: &str, stats: &QueueStats) -> Markup {
    html! {
        tr {
            td { (name) }
            td { (stats.visible) }
            td { (stats.in_flight) }
            td {
                @match stats.oldest_age {
                    Some(age) => (format_duration(chrono::Duration::milliseconds(age.as_millis() as i64))),
                    None if stats.visible + stats.in_flight == 0 => span.muted { "empty" },
                    None => span.muted { "not told (CloudWatch's ApproximateAgeOfOldestMessage)" },
                }
            }
        }
    }
}

pub async fn show(State(console): State<ConsoleState>) -> PageResult {
    let health = health(&console.ports, chrono::Duration::hours(1)).await?;
    let body = html! {
        h2 { "Photos" }
        div.cards {
            @for (status, count) in &health.photos_by_status {
                div.card { div.value { (count) } div.label { (badge(status.as_str())) } }
            }
        }
        h2 { "Executions in the last hour" }
        div.cards {
            @for (status, count) in &health.executions_by_status {
                a.card href={ (paths::EXECUTIONS) "?status=" (status) "&from=1h" } {
                    div.value { (count) } div.label { (badge(status)) }
                }
            }
            div.card { div.value { (format!("{:.2}", health.finished_per_minute)) } div.label { "finished per minute" } }
        }
        table #latency {
            thead { tr { th { "from the upload to" } th { "photos" } th { "p50" } th { "p95" } } }
            tbody { tr { td { "its outcome (the execution's start to its end)" } (percentiles(&health.upload_to_outcome)) } }
        }
        h2 { "Each step" }
        table #steps {
            thead { tr { th { "state" } th { "runs" } th { "p50" } th { "p95" } } }
            tbody {
                @for (state, p) in &health.steps { tr { td { (state) } (percentiles(p)) } }
            }
        }
        h2 { "Queues" }
        table #queues {
            thead { tr { th { "queue" } th { "waiting" } th { "in flight" } th { "oldest message" } } }
            tbody {
                (queue("ingest", &health.ingest))
                (queue("dead letters", &health.dead_letter))
            }
        }
        @if health.dead_letter.visible > 0 {
            p { a href=(paths::DEAD_LETTERS) { (health.dead_letter.visible) " photo(s) wait in the dead-letter queue" } }
        }
        p.muted { "Since " (super::layout::time(health.since)) " (UTC)." }
    };
    Ok(page("Health", &console.ports.target, None, body).into_response())
}
