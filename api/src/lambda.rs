//! One API Gateway HTTP API request through the router.
//!
//! lambda_http has already turned the event into an `http::Request`; the router is
//! called as a tower service, and its answer is turned back into the body types
//! lambda_http serialises for API Gateway. The client's address (API Gateway's
//! `sourceIp`) goes along as a [`ClientAddress`] extension.

use crate::extract::ClientAddress;
use axum::Router;
use lambda_http::request::RequestContext;
use lambda_http::{Body, IntoResponse, Request, RequestExt, Response};
use std::convert::Infallible;
use std::net::IpAddr;
use tower::ServiceExt;
use tracing::Instrument;

/// Answers one request. The router answers every request (unknown routes are
/// problem answers too), so this never fails.
pub async fn answer(app: Router, mut request: Request) -> Result<Response<Body>, Infallible> {
    let client = ClientAddress(source_ip(&request));
    request.extensions_mut().insert(client);
    let span = tracing::info_span!(
        "http",
        method = %request.method(),
        path = %request.uri().path(),
        photo_id = photo_id_of(&request).as_deref().unwrap_or(""),
    );
    async move {
        let response = match app.oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        tracing::info!(status = response.status().as_u16(), "answered");
        Ok(response.into_response().await)
    }
    .instrument(span)
    .await
}

/// The address API Gateway saw the request come from.
fn source_ip(request: &Request) -> Option<IpAddr> {
    match request.request_context_ref()? {
        RequestContext::ApiGatewayV2(context) => context.http.source_ip.as_deref()?.parse().ok(),
        _ => None,
    }
}

/// The photo a request is about, for the logs: from the path
/// (`/v1/photos/{id}...`), or from a ticket request's `photoId`.
fn photo_id_of(request: &Request) -> Option<String> {
    let mut segments = request.uri().path().trim_start_matches('/').split('/');
    if let (Some("v1"), Some("photos"), Some(id)) =
        (segments.next(), segments.next(), segments.next())
    {
        return Some(id.to_string());
    }
    let body: serde_json::Value = serde_json::from_slice(request.body().as_ref()).ok()?;
    body.get("photoId")?.as_str().map(str::to_string)
}
