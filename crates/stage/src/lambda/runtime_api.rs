//! The Lambda Runtime API one execution environment's bootstrap talks to
//! (`AWS_LAMBDA_RUNTIME_API`): `next` hands it an invocation, `response` and `error` answer
//! it, `init/error` says it could not start. As AWS documents it ("Using the Lambda runtime
//! API for custom runtimes"); written here because no crate serves it.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

const VERSION: &str = "/2018-06-01/runtime";

/// How an invocation ended, as the bootstrap reported it.
#[derive(Debug, PartialEq)]
pub enum Answer {
    Response(Bytes),
    /// The function's error: its type and the JSON the runtime sent.
    Error {
        error_type: String,
        body: Value,
    },
}

/// One invocation on its way to the bootstrap.
pub struct Invocation {
    pub request_id: String,
    pub payload: Bytes,
    pub deadline: SystemTime,
    pub answer: oneshot::Sender<Answer>,
}

struct ApiState {
    function_arn: String,
    invocations: tokio::sync::Mutex<mpsc::Receiver<Invocation>>,
    waiting: Mutex<HashMap<String, oneshot::Sender<Answer>>>,
    init_error: Mutex<Option<oneshot::Sender<Answer>>>,
    /// When the bootstrap first asked for an invocation: its init ended then.
    first_next: Mutex<Option<Instant>>,
}

/// A Runtime API on a port of its own, for one execution environment.
pub struct RuntimeApi {
    pub addr: SocketAddr,
    state: Arc<ApiState>,
    invocations: mpsc::Sender<Invocation>,
    shutdown: CancellationToken,
}

impl RuntimeApi {
    /// Serves the API; `init_error` hears of a bootstrap that could not start.
    pub async fn start(
        function_arn: &str,
        init_error: oneshot::Sender<Answer>,
    ) -> std::io::Result<Self> {
        let (invocations, receiver) = mpsc::channel(1);
        let state = Arc::new(ApiState {
            function_arn: function_arn.to_string(),
            invocations: tokio::sync::Mutex::new(receiver),
            waiting: Mutex::new(HashMap::new()),
            init_error: Mutex::new(Some(init_error)),
            first_next: Mutex::new(None),
        });
        let app = Router::new()
            .route(&format!("{VERSION}/invocation/next"), get(next))
            .route(
                &format!("{VERSION}/invocation/{{id}}/response"),
                post(response),
            )
            .route(&format!("{VERSION}/invocation/{{id}}/error"), post(error))
            .route(&format!("{VERSION}/init/error"), post(init_error_reported))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let server = axum::serve(listener, app).with_graceful_shutdown(stop.cancelled_owned());
            if let Err(error) = server.await {
                tracing::error!(%error, "the Runtime API stopped");
            }
        });
        Ok(Self {
            addr,
            state,
            invocations,
            shutdown,
        })
    }

    /// When the bootstrap first asked for an invocation, if it has.
    pub fn first_next(&self) -> Option<Instant> {
        *self.state.first_next.lock().unwrap()
    }

    /// Queues an invocation for the bootstrap's next `next`.
    pub async fn hand_over(&self, invocation: Invocation) -> Result<(), Invocation> {
        self.invocations.send(invocation).await.map_err(|e| e.0)
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn next(State(state): State<Arc<ApiState>>) -> Response {
    state
        .first_next
        .lock()
        .unwrap()
        .get_or_insert_with(Instant::now);
    let Some(invocation) = state.invocations.lock().await.recv().await else {
        return StatusCode::GONE.into_response();
    };
    let deadline_ms = invocation
        .deadline
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis();
    state
        .waiting
        .lock()
        .unwrap()
        .insert(invocation.request_id.clone(), invocation.answer);
    let mut headers = HeaderMap::new();
    for (name, value) in [
        (
            "lambda-runtime-aws-request-id",
            invocation.request_id.clone(),
        ),
        ("lambda-runtime-deadline-ms", deadline_ms.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            state.function_arn.clone(),
        ),
        (
            "lambda-runtime-trace-id",
            format!("Root=1-00000000-{:024x}", rand_id()),
        ),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    (StatusCode::OK, headers, invocation.payload).into_response()
}

async fn response(
    State(state): State<Arc<ApiState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    answer(&state, &id, Answer::Response(body))
}

async fn error(
    State(state): State<Arc<ApiState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    answer(&state, &id, reported_error(&headers, &body))
}

async fn init_error_reported(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    if let Some(sender) = state.init_error.lock().unwrap().take() {
        let _ = sender.send(reported_error(&headers, &body));
    }
    StatusCode::ACCEPTED
}

fn answer(state: &ApiState, id: &str, answer: Answer) -> StatusCode {
    match state.waiting.lock().unwrap().remove(id) {
        Some(sender) => {
            let _ = sender.send(answer);
            StatusCode::ACCEPTED
        }
        // As Lambda: an answer to an invocation that is not (or no longer) waiting.
        None => StatusCode::BAD_REQUEST,
    }
}

/// The error a runtime reports: its type as the body's `errorType` names it (what Step
/// Functions matches a Retry or Catch on), else the `Lambda-Runtime-Function-Error-Type`
/// header (which the Rust runtime sets to `unhandled` whatever the error).
fn reported_error(headers: &HeaderMap, body: &[u8]) -> Answer {
    let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let error_type = body["errorType"]
        .as_str()
        .map(str::to_string)
        .or_else(|| {
            headers
                .get("lambda-runtime-function-error-type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "Unhandled".to_string());
    Answer::Error { error_type, body }
}

/// A trace id's random part: unique enough for one machine.
fn rand_id() -> u128 {
    uuid::Uuid::new_v4().as_u128() >> 32
}
