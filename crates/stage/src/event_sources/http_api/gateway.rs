//! One request through the API, in API Gateway's order: the payload limit, the route, the
//! route's throttle, then the integration (the function, within the route's timeout). Every
//! answer carries `apigw-requestid`, and each request is written to the access log.

use super::answer;
use super::event::{self, Api, Received, Route};
use super::routes::RouteTable;
use super::target::Invoke;
use super::throttle::Throttle;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use base64::Engine;
use chrono::Utc;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// API Gateway's limit on a request's payload.
pub const MAX_BODY: usize = 10 * 1024 * 1024;

/// What a route leads to.
#[derive(Clone)]
pub struct Integration {
    pub target: Arc<dyn Invoke>,
    pub timeout: Duration,
    pub throttle: Arc<Throttle>,
}

/// The API as its router serves it.
#[derive(Clone)]
pub struct Gateway {
    pub id: String,
    pub region: String,
    pub account_id: String,
    pub stage_variables: HashMap<String, String>,
    pub routes: RouteTable<Integration>,
}

/// How a request ended, for the access log.
struct Outcome {
    response: Response,
    route_key: Option<String>,
    integration_error: Option<String>,
}

impl Outcome {
    fn gateway(status: StatusCode) -> Self {
        Self {
            response: answer::gateway(status),
            route_key: None,
            integration_error: None,
        }
    }
}

/// The router's fallback: every request, whatever its method and path.
pub async fn answer(
    State(gateway): State<Arc<Gateway>>,
    parts: Parts,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let started = Instant::now();
    let request_id = request_id();
    let source_ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |c| c.0.ip());
    let path = urlencoding::decode_binary(parts.uri.path().as_bytes());
    let path = String::from_utf8_lossy(&path);
    let mut outcome = match &body {
        Ok(body) => {
            let received = Received {
                parts: &parts,
                body,
                path: &path,
                source_ip,
                request_id: &request_id,
                at: Utc::now(),
            };
            gateway.handle(received).await
        }
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Outcome::gateway(StatusCode::PAYLOAD_TOO_LARGE)
        }
        Err(_) => Outcome::gateway(StatusCode::BAD_REQUEST),
    };
    let id = HeaderValue::from_str(&request_id).expect("base64 is a header value");
    outcome.response.headers_mut().insert("apigw-requestid", id);
    tracing::info!(
        target: "wisaw_stage::http_api",
        requestId = %request_id,
        ip = %source_ip,
        method = %parts.method,
        path = %path,
        routeKey = outcome.route_key.as_deref().unwrap_or("-"),
        status = outcome.response.status().as_u16(),
        latencyMs = started.elapsed().as_millis() as u64,
        integrationError = outcome.integration_error.as_deref().unwrap_or("-"),
        "http api"
    );
    outcome.response
}

impl Gateway {
    async fn handle(&self, received: Received<'_>) -> Outcome {
        let Some(selected) = self.routes.select(&received.parts.method, received.path) else {
            return Outcome::gateway(StatusCode::NOT_FOUND);
        };
        let route_key = Some(selected.key.as_str().to_string());
        let integration = selected.target.clone();
        if !integration.throttle.admits() {
            return Outcome {
                route_key,
                ..Outcome::gateway(StatusCode::TOO_MANY_REQUESTS)
            };
        }
        let api = Api {
            id: &self.id,
            region: &self.region,
            account_id: &self.account_id,
            stage_variables: &self.stage_variables,
        };
        let route = Route {
            key: selected.key.as_str(),
            path_parameters: selected.path_parameters,
        };
        let payload = event::payload(&received, &api, route);
        let (response, integration_error) = match invoke(&integration, payload).await {
            Ok(answer) => match answer::from_function(&answer) {
                Ok(response) => (response, None),
                Err(malformed) => (
                    answer::gateway(StatusCode::INTERNAL_SERVER_ERROR),
                    Some(malformed),
                ),
            },
            Err((status, error)) => (answer::gateway(status), Some(error)),
        };
        Outcome {
            response,
            route_key,
            integration_error,
        }
    }
}

/// The function's answer, or the status API Gateway answers instead and why. The
/// invocation runs on when the integration times out, as a Lambda invocation does after
/// API Gateway stops waiting for it.
async fn invoke(
    integration: &Integration,
    payload: Vec<u8>,
) -> Result<Vec<u8>, (StatusCode, String)> {
    let target = integration.target.clone();
    let invocation = tokio::spawn(async move { target.invoke(payload).await });
    match tokio::time::timeout(integration.timeout, invocation).await {
        Ok(Ok(Ok(answer))) => Ok(answer),
        // A function error, a timeout of the function's own or a crash: all one to
        // API Gateway, which answers 500.
        Ok(Ok(Err(error))) => Err((StatusCode::INTERNAL_SERVER_ERROR, error.to_string())),
        Ok(Err(panicked)) => Err((StatusCode::INTERNAL_SERVER_ERROR, panicked.to_string())),
        Err(_) => Err((
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the integration timed out after {} ms",
                integration.timeout.as_millis()
            ),
        )),
    }
}

/// An id in the shape of API Gateway's (`ATfSmjLgPHcESJw=`: 11 bytes, base64).
fn request_id() -> String {
    let random = uuid::Uuid::new_v4();
    base64::engine::general_purpose::STANDARD.encode(&random.as_bytes()[..11])
}
