//! A refused request answered as its service refuses, so that the SDK reads the error's
//! code and message as it would AWS's: S3's XML `<Error>`; the JSON protocol's `__type`
//! and `message` (and for SQS, whose SDK takes the code from `x-amzn-query-error`, that
//! header too); SQS's query protocol's `<ErrorResponse>`; AppSync Events' `errors`.

use super::requests::{NotClassified, Protocol};
use super::sigv4::{AuthFailure, Refusal};
use super::Denied;
use aws_smithy_xml::encode::XmlWriter;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Why the front door did not let a request through.
#[derive(Debug)]
pub(crate) enum Rejection {
    Auth(AuthFailure),
    Denied(Denied),
    NotClassified(NotClassified),
    TooLarge(usize),
    /// The emulator could not be reached.
    Upstream(String),
}

impl Rejection {
    fn message(&self) -> String {
        match self {
            Rejection::Auth(failure) => failure.to_string(),
            Rejection::Denied(denied) => denied.message(),
            Rejection::NotClassified(why) => why.to_string(),
            Rejection::TooLarge(limit) => {
                format!("The request body is larger than the stage reads ({limit} bytes).")
            }
            Rejection::Upstream(why) => why.clone(),
        }
    }

    /// S3's status and code.
    fn s3(&self) -> (StatusCode, &'static str) {
        use AuthFailure as A;
        match self {
            Rejection::Auth(A::Unsigned) => (StatusCode::FORBIDDEN, "AccessDenied"),
            Rejection::Auth(A::UnknownKey(_)) => (StatusCode::FORBIDDEN, "InvalidAccessKeyId"),
            Rejection::Auth(A::BadToken) => (StatusCode::BAD_REQUEST, "InvalidToken"),
            Rejection::Auth(A::WrongRegion { .. }) => {
                (StatusCode::BAD_REQUEST, "AuthorizationHeaderMalformed")
            }
            Rejection::Auth(A::Signature(refusal)) => match refusal {
                Refusal::Mismatch(_) => (StatusCode::FORBIDDEN, "SignatureDoesNotMatch"),
                Refusal::Expired(m) if m.starts_with("Request has expired") => {
                    (StatusCode::FORBIDDEN, "AccessDenied")
                }
                Refusal::Expired(_) => (StatusCode::FORBIDDEN, "RequestTimeTooSkewed"),
                Refusal::Malformed(_) => (StatusCode::BAD_REQUEST, "AuthorizationHeaderMalformed"),
                Refusal::Unsupported(_) => (StatusCode::NOT_IMPLEMENTED, "NotImplemented"),
            },
            Rejection::Denied(_) | Rejection::NotClassified(_) => {
                (StatusCode::FORBIDDEN, "AccessDenied")
            }
            Rejection::TooLarge(_) => (StatusCode::BAD_REQUEST, "EntityTooLarge"),
            Rejection::Upstream(_) => (StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable"),
        }
    }

    /// The JSON protocol's status and `__type`, and SQS's code of the same error (its
    /// query protocol's, which its JSON protocol also sends in `x-amzn-query-error`).
    fn json(&self) -> (StatusCode, &'static str, &'static str) {
        use AuthFailure as A;
        let signature = (
            StatusCode::FORBIDDEN,
            "InvalidSignatureException",
            "SignatureDoesNotMatch",
        );
        match self {
            Rejection::Auth(A::Unsigned) => (
                StatusCode::BAD_REQUEST,
                "MissingAuthenticationTokenException",
                "MissingAuthenticationToken",
            ),
            Rejection::Auth(A::UnknownKey(_) | A::BadToken) => (
                StatusCode::FORBIDDEN,
                "UnrecognizedClientException",
                "InvalidClientTokenId",
            ),
            Rejection::Auth(A::WrongRegion { .. }) => signature,
            Rejection::Auth(A::Signature(refusal)) => match refusal {
                Refusal::Mismatch(_) | Refusal::Unsupported(_) => signature,
                Refusal::Expired(_) => (
                    StatusCode::FORBIDDEN,
                    "InvalidSignatureException",
                    "RequestExpired",
                ),
                Refusal::Malformed(_) => (
                    StatusCode::BAD_REQUEST,
                    "IncompleteSignatureException",
                    "IncompleteSignature",
                ),
            },
            Rejection::Denied(_) | Rejection::NotClassified(_) => (
                StatusCode::BAD_REQUEST,
                "AccessDeniedException",
                "AccessDenied",
            ),
            Rejection::TooLarge(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLargeException",
                "RequestEntityTooLarge",
            ),
            Rejection::Upstream(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailableException",
                "ServiceUnavailable",
            ),
        }
    }

    /// AppSync Events' status and error type.
    fn appsync(&self) -> (StatusCode, &'static str) {
        match self {
            Rejection::Auth(_) | Rejection::Denied(_) => {
                (StatusCode::UNAUTHORIZED, "UnauthorizedException")
            }
            Rejection::NotClassified(NotClassified::Unknown(_)) => {
                (StatusCode::UNAUTHORIZED, "UnauthorizedException")
            }
            Rejection::NotClassified(NotClassified::Malformed(_)) => {
                (StatusCode::BAD_REQUEST, "BadRequestException")
            }
            Rejection::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "LimitExceededException"),
            Rejection::Upstream(_) => (StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable"),
        }
    }

    /// The answer, in `protocol`'s shape. `head`: a HEAD request, answered without a body
    /// (as S3 answers one).
    pub(crate) fn answer(&self, protocol: Protocol, head: bool) -> Response {
        let request_id = uuid::Uuid::new_v4().to_string();
        let message = self.message();
        let mut response = match protocol {
            Protocol::RestXml => {
                let (status, code) = self.s3();
                let mut body = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
                let mut writer = XmlWriter::new(&mut body);
                let mut error = writer.start_el("Error").finish();
                error.start_el("Code").finish().data(code);
                error.start_el("Message").finish().data(&message);
                error.start_el("RequestId").finish().data(&request_id);
                error.finish();
                let mut response = (status, body).into_response();
                set(&mut response, "content-type", "application/xml");
                set(&mut response, "x-amz-request-id", &request_id);
                response
            }
            Protocol::Json { query_compatible } => {
                let (status, kind, query_code) = self.json();
                let body = serde_json::json!({"__type": kind, "message": message});
                let mut response = (status, body.to_string()).into_response();
                let content_type = if query_compatible {
                    "application/x-amz-json-1.0"
                } else {
                    "application/x-amz-json-1.1"
                };
                set(&mut response, "content-type", content_type);
                set(&mut response, "x-amzn-requestid", &request_id);
                if query_compatible {
                    set(
                        &mut response,
                        "x-amzn-query-error",
                        &format!("{query_code};Sender"),
                    );
                }
                response
            }
            Protocol::Query => {
                let (status, _, code) = self.json();
                let status = if status == StatusCode::BAD_REQUEST && code == "AccessDenied" {
                    StatusCode::FORBIDDEN
                } else {
                    status
                };
                let mut body = String::new();
                let mut writer = XmlWriter::new(&mut body);
                let mut answer = writer
                    .start_el("ErrorResponse")
                    .write_ns("http://queue.amazonaws.com/doc/2012-11-05/", None)
                    .finish();
                let mut error = answer.start_el("Error").finish();
                error.start_el("Type").finish().data("Sender");
                error.start_el("Code").finish().data(code);
                error.start_el("Message").finish().data(&message);
                error.finish();
                answer.start_el("RequestId").finish().data(&request_id);
                answer.finish();
                let mut response = (status, body).into_response();
                set(&mut response, "content-type", "text/xml");
                response
            }
            Protocol::AppSyncEvents => {
                let (status, kind) = self.appsync();
                let body = serde_json::json!({
                    "__type": kind,
                    "message": message,
                    "errors": [{"errorType": kind, "message": message}],
                });
                let mut response = (status, body.to_string()).into_response();
                set(&mut response, "content-type", "application/json");
                set(&mut response, "x-amzn-errortype", kind);
                response
            }
        };
        if head {
            *response.body_mut() = axum::body::Body::empty();
        }
        response
    }
}

fn set(response: &mut Response, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}
