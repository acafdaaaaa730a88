//! The HTTP routes: thin glue from axum to the handler functions. Anything
//! that does not match a route is a problem answer too (404, 405), and so is a
//! handler that panics (500): the client always gets an answer.

use crate::abuse::{self, AbuseReportRequest, AbuseReportResponse};
use crate::extract::{ApiJson, ApiPath, ApiQuery, ClientAddress};
use crate::feed::{self, FeedParams, FeedQueryString, FeedResponse};
use crate::openapi;
use crate::photos::{self, PhotoStatusResponse};
use crate::ports::ApiPorts;
use crate::problem::Problem;
use crate::tickets::{self, TicketRequest, TicketResponse};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::any::Any;
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;
use wisaw_domain::{DeviceId, PhotoId};

pub const DEVICE_HEADER: &str = "x-device-id";

type Ports = State<Arc<ApiPorts>>;

pub fn router(ports: Arc<ApiPorts>) -> Router {
    Router::new()
        .route(
            "/v1/uploads",
            post(create_ticket).fallback(method_not_allowed),
        )
        .route(
            "/v1/photos/{photo_id}",
            get(photo_status)
                .delete(delete_photo)
                .fallback(method_not_allowed),
        )
        .route(
            "/v1/photos/{photo_id}/abuse-reports",
            post(report_abuse).fallback(method_not_allowed),
        )
        .route("/v1/feed", get(feed_page).fallback(method_not_allowed))
        .route(
            "/openapi.json",
            get(openapi::description).fallback(method_not_allowed),
        )
        .fallback(not_found)
        .with_state(ports)
        .layer(catch_panics())
}

/// What turns a handler's panic into a logged 500 problem answer instead of a
/// dropped connection.
pub type PanicAnswer = fn(Box<dyn Any + Send + 'static>) -> Response;

pub fn catch_panics() -> CatchPanicLayer<PanicAnswer> {
    CatchPanicLayer::custom(answer_panic as PanicAnswer)
}

fn answer_panic(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = message, "a handler panicked");
    Problem::internal().into_response()
}

async fn create_ticket(
    State(ports): Ports,
    ApiJson(body): ApiJson<TicketRequest>,
) -> Result<(StatusCode, Json<TicketResponse>), Problem> {
    let (status, answer) = tickets::create(&ports, body).await?;
    Ok((status, Json(answer)))
}

async fn photo_status(
    State(ports): Ports,
    ApiPath(id): ApiPath<PhotoId>,
) -> Result<Json<PhotoStatusResponse>, Problem> {
    photos::status(&ports, id).await.map(Json)
}

async fn delete_photo(
    State(ports): Ports,
    ApiPath(id): ApiPath<PhotoId>,
    headers: HeaderMap,
) -> Result<StatusCode, Problem> {
    let device = device_header(&headers)?;
    photos::delete(&ports, id, device).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn report_abuse(
    State(ports): Ports,
    ApiPath(id): ApiPath<PhotoId>,
    client: ClientAddress,
    ApiJson(body): ApiJson<AbuseReportRequest>,
) -> Result<(StatusCode, Json<AbuseReportResponse>), Problem> {
    let answer = abuse::report(&ports, id, body, client).await?;
    Ok((StatusCode::CREATED, Json(answer)))
}

async fn feed_page(
    State(ports): Ports,
    ApiQuery(query): ApiQuery<FeedQueryString>,
) -> Result<Json<FeedResponse>, Problem> {
    let params = FeedParams::parse(&query, &ports.cursor_key)?;
    feed::page(&ports, params).await.map(Json)
}

fn device_header(headers: &HeaderMap) -> Result<DeviceId, Problem> {
    headers
        .get(DEVICE_HEADER)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.trim().parse().ok())
        .ok_or_else(|| {
            Problem::bad_request("The `X-Device-Id` header must carry the device's UUID.")
        })
}

async fn not_found() -> Problem {
    Problem::not_found("There is no such resource.")
}

async fn method_not_allowed() -> Problem {
    Problem::method_not_allowed()
}
