//! `POST /event`: AppSync Events' HTTP publish, for whom the endpoint's
//! [`PublishAuthorizer`] allows (`wisaw serve`: the one publisher key, SigV4).
//! Answers as AppSync does: `{successful: [{identifier, index}], failed: []}`, or an
//! error status in AWS's shape ([`super::refusal`]).

use super::refusal::refused;
use super::LocalEvents;
use crate::events::protocol::{error_type, MAX_EVENTS_PER_PUBLISH, MAX_EVENT_BYTES};
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::Arc;
use std::time::SystemTime;
use wisaw_adapters::aws::{PublishAttempt, PublishRequest, PublishResponse, PublishedEvent};

pub async fn publish(
    State(events): State<Arc<LocalEvents>>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let attempt = PublishAttempt {
        host: &events.http_host,
        method: method.as_str(),
        path_and_query: path,
        headers: &headers,
        body: &body,
        now: SystemTime::now(),
    };
    if let Err(why) = events.authorizer.authorize(&attempt) {
        return refused(StatusCode::UNAUTHORIZED, error_type::UNAUTHORIZED, why);
    }
    let request: PublishRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            return refused(
                StatusCode::BAD_REQUEST,
                error_type::BAD_REQUEST,
                format!("the body is not {{channel, events}}: {error}"),
            )
        }
    };
    if request.events.is_empty() || request.events.len() > MAX_EVENTS_PER_PUBLISH {
        return refused(
            StatusCode::BAD_REQUEST,
            error_type::BAD_REQUEST,
            format!("publish 1 to {MAX_EVENTS_PER_PUBLISH} events at a time"),
        );
    }
    if let Err(refusal) = events.channels.check_channel(&request.channel) {
        return refused(
            StatusCode::BAD_REQUEST,
            error_type::BAD_REQUEST,
            refusal.to_string(),
        );
    }
    for (index, event) in request.events.iter().enumerate() {
        if event.len() > MAX_EVENT_BYTES {
            return refused(
                StatusCode::BAD_REQUEST,
                error_type::LIMIT_EXCEEDED,
                format!("event {index} exceeds {MAX_EVENT_BYTES} bytes"),
            );
        }
        if serde_json::from_str::<serde_json::Value>(event).is_err() {
            return refused(
                StatusCode::BAD_REQUEST,
                error_type::BAD_REQUEST,
                format!("event {index} is not a JSON value in a string"),
            );
        }
    }
    events.broker.publish(&request.channel, &request.events);
    let successful = (0..request.events.len())
        .map(|index| PublishedEvent {
            identifier: uuid::Uuid::new_v4().to_string(),
            index: index as u32,
        })
        .collect();
    Json(PublishResponse {
        successful,
        failed: Vec::new(),
    })
    .into_response()
}
