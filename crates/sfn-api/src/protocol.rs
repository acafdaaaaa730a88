//! AWS JSON 1.0, the protocol of Step Functions: every call is `POST /`, the operation
//! named by `X-Amz-Target: AWSStepFunctions.<Operation>`, its request the JSON body.
//! Every answer is JSON (`Content-Type: application/x-amz-json-1.0`) with an
//! `x-amzn-RequestId`; a failure is [`crate::errors::ApiError`]'s status and body.

use crate::errors::{ApiError, Code};
use crate::operations;
use crate::Served;
use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

pub const TARGET_HEADER: &str = "x-amz-target";
/// The target's prefix: Step Functions' service name in its API model.
pub const TARGET_PREFIX: &str = "AWSStepFunctions.";
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.0";
const REQUEST_ID_HEADER: &str = "x-amzn-requestid";

/// The largest body read: an input's 256 KiB, with room for the other members and for
/// JSON's escapes.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Does the request call Step Functions (its target names the service)?
pub fn is_step_functions_call(headers: &HeaderMap) -> bool {
    headers
        .get(TARGET_HEADER)
        .and_then(|target| target.to_str().ok())
        .is_some_and(|target| target.starts_with(TARGET_PREFIX))
}

/// The one handler: reads the target and the body, runs the operation, answers.
pub(crate) async fn call(State(served): State<Arc<Served>>, request: Request) -> Response {
    let (status, body) = match answer(&served, request).await {
        Ok(body) => (StatusCode::OK, body),
        Err(error) => {
            tracing::debug!(code = ?error.code, message = %error.message, "Step Functions call refused");
            (error.status(), json_bytes(&error.body()))
        }
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        headers.insert(REQUEST_ID_HEADER, id);
    }
    response
}

async fn answer(served: &Served, request: Request) -> Result<Vec<u8>, ApiError> {
    if served.only_loopback && !from_loopback(&request) {
        return Err(ApiError::new(
            Code::AccessDeniedException,
            "this Step Functions endpoint serves only clients on its own machine",
        ));
    }
    let operation = operation(request.headers())?;
    let body = to_bytes(request.into_body(), MAX_BODY_BYTES)
        .await
        .map_err(|e| ApiError::serialization(format!("the request body cannot be read: {e}")))?;
    let machines = &served.machines;
    match operation.as_str() {
        "StartExecution" => run(&body, |r| operations::start_execution(machines, r)).await,
        "DescribeExecution" => run(&body, |r| operations::describe_execution(machines, r)).await,
        "ListExecutions" => run(&body, |r| operations::list_executions(machines, r)).await,
        "GetExecutionHistory" => run(&body, |r| operations::execution_history(machines, r)).await,
        "StopExecution" => run(&body, |r| operations::stop_execution(machines, r)).await,
        "DescribeStateMachine" => {
            run(&body, |r| operations::describe_state_machine(machines, r)).await
        }
        other => Err(ApiError::new(
            Code::UnknownOperationException,
            format!("the local engine does not serve {TARGET_PREFIX}{other}"),
        )),
    }
}

/// The operation the target names.
fn operation(headers: &HeaderMap) -> Result<String, ApiError> {
    headers
        .get(TARGET_HEADER)
        .and_then(|target| target.to_str().ok())
        .and_then(|target| target.strip_prefix(TARGET_PREFIX))
        .map(str::to_string)
        .ok_or_else(|| {
            ApiError::new(
                Code::UnknownOperationException,
                format!("no {TARGET_HEADER} header naming a {TARGET_PREFIX}* operation"),
            )
        })
}

/// Parses the operation's request, runs it, writes its answer.
async fn run<Req, Resp, Fut>(
    body: &[u8],
    operation: impl FnOnce(Req) -> Fut,
) -> Result<Vec<u8>, ApiError>
where
    Req: DeserializeOwned,
    Resp: Serialize,
    Fut: Future<Output = Result<Resp, ApiError>>,
{
    // An empty body is an empty request, as `{}` is.
    let body = if body.is_empty() {
        b"{}".as_slice()
    } else {
        body
    };
    let request = serde_json::from_slice(body).map_err(ApiError::serialization)?;
    Ok(json_bytes(&operation(request).await?))
}

fn json_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    // The answers are plain data: serializing them cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

fn from_loopback(request: &Request) -> bool {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|ConnectInfo(client)| client.ip().is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StepFunctionsApi;
    use tower::Service;

    /// The API's answer to a `ListExecutions` call from `client` (none: an address unknown).
    async fn list_from(client: Option<&str>) -> (StatusCode, serde_json::Value) {
        let mut router = StepFunctionsApi::new().only_loopback_clients().router();
        let mut request = Request::post("/")
            .header(TARGET_HEADER, "AWSStepFunctions.ListExecutions")
            .body(Body::from(
                r#"{"stateMachineArn": "arn:aws:states:local:000000000000:stateMachine:m"}"#,
            ))
            .unwrap();
        if let Some(client) = client {
            let address: SocketAddr = client.parse().unwrap();
            request.extensions_mut().insert(ConnectInfo(address));
        }
        let response = router.call(request).await.unwrap();
        let status = response.status();
        let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn only_clients_on_this_machine_are_served_when_asked() {
        let (status, body) = list_from(Some("127.0.0.1:50000")).await;
        // Served: the machine is unknown, which only a served call can say.
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            body["__type"],
            "com.amazonaws.swf.service.v2.model#StateMachineDoesNotExist"
        );
        for client in [Some("192.0.2.7:50000"), Some("[2001:db8::1]:50000"), None] {
            let (status, body) = list_from(client).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{client:?}");
            assert_eq!(
                body["__type"], "com.amazon.coral.service#AccessDeniedException",
                "{client:?}"
            );
        }
    }

    #[test]
    fn a_call_is_told_apart_by_its_target() {
        let with = |target: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(TARGET_HEADER, HeaderValue::from_str(target).unwrap());
            headers
        };
        assert!(is_step_functions_call(&with(
            "AWSStepFunctions.StartExecution"
        )));
        assert!(!is_step_functions_call(&with("AmazonSQS.SendMessage")));
        assert!(!is_step_functions_call(&HeaderMap::new()));
    }
}
