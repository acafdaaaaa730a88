//! The frame every console page shares: navigation, the photo search box, the style.
//! No script, no font, no CDN: it works offline.

use crate::paths;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use wisaw_domain::ids::PhotoId;

const STYLE: &str = include_str!("console.css");

/// A whole page, with `title` and `body`; `refresh` reloads it every so many seconds
/// (a replay in progress).
pub fn page(title: &str, target: &str, refresh: Option<u32>, body: Markup) -> Html<String> {
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    @if let Some(seconds) = refresh {
                        meta http-equiv="refresh" content=(seconds);
                    }
                    title { (title) " · wisaw console" }
                    style { (PreEscaped(STYLE)) }
                }
                body {
                    header {
                        a.brand href=(paths::ROOT) { "wisaw" }
                        nav {
                            a href=(paths::ROOT) { "Health" }
                            a href=(paths::EXECUTIONS) { "Executions" }
                            a href=(paths::DEAD_LETTERS) { "Dead letters" }
                            a href=(paths::REPLAYS) { "Replays" }
                        }
                        form.search method="get" action=(paths::PHOTOS) {
                            input type="search" name="id" placeholder="photo id" aria-label="photo id" required;
                            button type="submit" { "Look up" }
                        }
                        span.target { (target) }
                    }
                    main {
                        h1 { (title) }
                        (body)
                    }
                }
            }
        }
        .into_string(),
    )
}

/// A page that only says what went wrong, with its status.
pub fn error_page(status: StatusCode, message: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    let body = html! { p.error { (message) } };
    (status, page(title, "", None, body)).into_response()
}

/// A photo id, linked to its page (everywhere a photo id shows).
pub fn photo_link(id: PhotoId) -> Markup {
    html! { a.photo href=(paths::photo(id)) { code { (id) } } }
}

/// An execution's name, linked to its page.
pub fn execution_link(name: &str) -> Markup {
    html! { a href=(paths::execution(name)) { code { (name) } } }
}

/// A status as a coloured badge.
pub fn badge(status: &str) -> Markup {
    let class = status.to_ascii_lowercase().replace([' ', '_'], "-");
    html! { span class={ "badge " (class) } { (status) } }
}

/// A time as UTC, to the millisecond.
pub fn time(at: chrono::DateTime<chrono::Utc>) -> Markup {
    html! { time datetime=(at.to_rfc3339()) { (at.format("%Y-%m-%d %H:%M:%S%.3f")) } }
}

/// The hidden field every form carries.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}
