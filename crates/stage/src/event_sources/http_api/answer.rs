//! The function's answer as API Gateway turns it into the client's response with payload
//! format 2.0, and the answers API Gateway gives of its own (`{"message": ...}`).

use aws_lambda_events::apigw::ApiGatewayV2httpResponse;
use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{json, Value};

/// An answer of API Gateway's own, as its HTTP APIs give them.
pub fn gateway(status: StatusCode) -> Response {
    let message = match status {
        StatusCode::NOT_FOUND => "Not Found",
        StatusCode::PAYLOAD_TOO_LARGE => "Request Entity Too Large",
        StatusCode::TOO_MANY_REQUESTS => "Too Many Requests",
        StatusCode::SERVICE_UNAVAILABLE => "Service Unavailable",
        StatusCode::BAD_REQUEST => "Bad Request",
        _ => "Internal Server Error",
    };
    let body = json!({ "message": message }).to_string();
    (status, [(CONTENT_TYPE, "application/json")], body).into_response()
}

/// The client's response from the function's answer; `Err` says why the answer is
/// malformed (API Gateway then answers 500).
pub fn from_function(answer: &[u8]) -> Result<Response, String> {
    let mut value: Value =
        serde_json::from_slice(answer).map_err(|e| format!("the answer is not JSON: {e}"))?;
    // Format 2.0 infers a response from valid JSON without a `statusCode`.
    let Some(fields) = value
        .as_object_mut()
        .filter(|v| v.contains_key("statusCode"))
    else {
        let json = [(CONTENT_TYPE, "application/json")];
        return Ok((StatusCode::OK, json, answer.to_vec()).into_response());
    };
    // The type wants `cookies`; a function may leave them out.
    fields.entry("cookies").or_insert_with(|| json!([]));
    let answer: ApiGatewayV2httpResponse =
        serde_json::from_value(value).map_err(|e| format!("a malformed response: {e}"))?;
    let status = u16::try_from(answer.status_code)
        .ok()
        .filter(|code| (100..600).contains(code))
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or_else(|| format!("the status code {}", answer.status_code))?;
    let body = match (&answer.body, answer.is_base64_encoded) {
        (None, _) => Vec::new(),
        (Some(body), false) => body.to_vec(),
        (Some(body), true) => base64::engine::general_purpose::STANDARD
            .decode(body.as_ref())
            .map_err(|e| format!("the body is not base64: {e}"))?,
    };
    // Only the headers the function gave: no content type of axum's own.
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    for (name, value) in answer
        .headers
        .iter()
        .chain(answer.multi_value_headers.iter())
    {
        headers.append(name, value.clone());
    }
    for cookie in &answer.cookies {
        let value = HeaderValue::from_str(cookie).map_err(|_| format!("the cookie {cookie:?}"))?;
        headers.append(SET_COOKIE, value);
    }
    Ok(response)
}
