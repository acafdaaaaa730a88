//! An HTTP refusal of the Events endpoint (a publish, or a WebSocket handshake), in the
//! shape AWS services answer with: the error type in the `x-amzn-ErrorType` header and as
//! `__type` beside `message` in the JSON body, where the AWS SDKs and Amplify read it
//! (Amplify names the error after it: `UnauthorizedException`, not `UnknownError`), and
//! AppSync's own `errors` list for clients that read that.

use crate::events::protocol::ProtocolError;
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// The header the AWS SDKs read an error's type from first.
pub const ERROR_TYPE_HEADER: HeaderName = HeaderName::from_static("x-amzn-errortype");

pub fn refused(status: StatusCode, error_type: &str, message: impl Into<String>) -> Response {
    let message = message.into();
    let body = json!({
        "__type": error_type,
        "message": message,
        "errors": ProtocolError::new(error_type, message.clone()),
    });
    (
        status,
        [(ERROR_TYPE_HEADER, error_type.to_string())],
        Json(body),
    )
        .into_response()
}
