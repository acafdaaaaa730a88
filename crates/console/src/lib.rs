//! The operator's console: server-rendered pages over the operator's ports, so the same
//! pages serve the local stack (`wisaw serve`, under `/console`) and a deployed stage
//! (`wisaw console --aws --stage S`, on 127.0.0.1). It is never part of the mobile API's
//! router: the Lambda functions do not even build it.

pub mod access;
mod forms;
pub mod pages;
pub mod paths;

use access::ConsoleAccess;
use axum::extract::Query;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use wisaw_operator::{Failure, OperatorError, OperatorPorts};

/// What every console page has at hand.
pub struct Console {
    /// The stage's ports; its state machine's definition, which the execution pages draw,
    /// is the orchestrator's (the file locally, DescribeStateMachine on AWS).
    pub ports: OperatorPorts,
    pub access: Arc<ConsoleAccess>,
    /// The name the audit log records for replays started here.
    pub operator: String,
}

/// How a console is opened.
#[derive(Clone, Debug, Default)]
pub struct ConsoleOptions {
    /// Required on any address but loopback.
    pub token: Option<String>,
    /// The operator's name for the audit log (the OS user when absent).
    pub operator: Option<String>,
    /// Reached from other machines through a proxy or tunnel (a public URL that is not
    /// loopback): then it needs the token even on a loopback address.
    pub exposed: bool,
}

pub type ConsoleState = Arc<Console>;

impl Console {
    pub fn new(ports: OperatorPorts, addr: SocketAddr, options: ConsoleOptions) -> ConsoleState {
        Arc::new(Self {
            ports,
            access: Arc::new(ConsoleAccess::new(addr, options.token, options.exposed)),
            operator: options
                .operator
                .filter(|name| !name.trim().is_empty())
                .unwrap_or_else(wisaw_operator::default_operator),
        })
    }
}

/// Every console route, under `/console`.
pub fn router(console: ConsoleState) -> Router {
    let pages = Router::new()
        .route(paths::ROOT, get(pages::health::show))
        .route(paths::PHOTOS, get(pages::photo::search))
        .route(paths::PHOTO, get(pages::photo::show))
        .route(paths::EXECUTIONS, get(pages::executions::list))
        .route(paths::EXECUTION, get(pages::execution::show))
        .route(paths::DEAD_LETTERS, get(pages::dlq::list))
        .route(paths::DRY_RUN, post(pages::dlq::dry_run))
        .route(paths::REPLAY, post(pages::dlq::replay))
        .route(paths::REPLAYS, get(pages::replays::list))
        .route(paths::REPLAY_RECORD, get(pages::replays::show))
        .route(paths::ANY_OTHER, get(not_found).post(not_found))
        .layer(axum::middleware::from_fn_with_state(
            console.access.clone(),
            access::require_access,
        ));
    Router::new()
        .route(paths::LOGIN, get(login))
        .with_state(console.clone())
        .merge(pages.with_state(console))
}

async fn not_found() -> Response {
    pages::layout::error_page(StatusCode::NOT_FOUND, "no such page")
}

/// `/console/login?token=T`: the token in a cookie, for a browser on a console that
/// needs one.
async fn login(
    axum::extract::State(console): axum::extract::State<ConsoleState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let given = query.get("token").map(String::as_str).unwrap_or_default();
    match console.access.login_cookie(given) {
        Some(cookie) => ([(header::SET_COOKIE, cookie)], Redirect::to(paths::ROOT)).into_response(),
        None => {
            access::Refusal::Unauthorized("the operator token is missing or wrong").into_response()
        }
    }
}

/// What a page answers when something fails, shown as it is to the operator. A port's
/// error says which status: what is not there is a 404, what cannot succeed as asked a
/// 400, a store or queue out of reach a 503.
pub struct PageError(StatusCode, String);

impl PageError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self(StatusCode::BAD_REQUEST, message.into())
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self(StatusCode::NOT_FOUND, message.into())
    }
}

impl From<wisaw_domain::PortError> for PageError {
    fn from(error: wisaw_domain::PortError) -> Self {
        OperatorError::from(error).into()
    }
}

impl From<OperatorError> for PageError {
    fn from(error: OperatorError) -> Self {
        Self(status_of(error.failure()), error.to_string())
    }
}

/// Any other error: classed by the operator or port error in its chain, if any.
impl From<anyhow::Error> for PageError {
    fn from(error: anyhow::Error) -> Self {
        Self(status_of(Failure::of(error.as_ref())), format!("{error:#}"))
    }
}

/// How the console answers each class of failure: the operator decides the class.
fn status_of(failure: Failure) -> StatusCode {
    match failure {
        Failure::Invalid => StatusCode::BAD_REQUEST,
        Failure::NotFound => StatusCode::NOT_FOUND,
        Failure::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Failure::Broken => StatusCode::BAD_GATEWAY,
    }
}

impl From<access::Refusal> for PageError {
    fn from(refusal: access::Refusal) -> Self {
        match refusal {
            access::Refusal::Unauthorized(reason) => Self(StatusCode::UNAUTHORIZED, reason.into()),
            access::Refusal::Forbidden(reason) => Self(StatusCode::FORBIDDEN, reason.into()),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        pages::layout::error_page(self.0, &self.1)
    }
}

pub type PageResult = Result<Response, PageError>;

#[cfg(test)]
mod tests {
    use super::*;
    use wisaw_domain::PortError;

    #[test]
    fn a_ports_error_answers_with_its_own_status() {
        let status = |error: PortError| PageError::from(error).0;
        assert_eq!(
            status(PortError::NotFound("photo".into())),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            status(PortError::Invalid("rate".into())),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            status(PortError::Unavailable("queue".into())),
            StatusCode::SERVICE_UNAVAILABLE
        );
        // Through an operator function's error, too.
        let wrapped = anyhow::Error::from(PortError::NotFound("photo".into()));
        assert_eq!(PageError::from(wrapped).0, StatusCode::NOT_FOUND);
        let other = anyhow::anyhow!("the audit log refused the record");
        assert_eq!(PageError::from(other).0, StatusCode::BAD_GATEWAY);
    }
}
