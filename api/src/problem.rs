//! Errors as the contract wants them: `application/problem+json` (RFC 9457)
//! with `type`, `title`, `status` and `detail`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use wisaw_domain::PortError;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// One problem answer. `slug` names the problem type; the `type` member is
/// `urn:wisaw:problem:{slug}`, stable for programs to match on.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub status: StatusCode,
    pub slug: &'static str,
    pub title: &'static str,
    pub detail: String,
}

/// A problem answer's body, as clients read it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProblemBody {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
}

impl Problem {
    pub fn new(
        status: StatusCode,
        slug: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            slug,
            title,
            detail: detail.into(),
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Bad request",
            detail,
        )
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", "Conflict", detail)
    }

    pub fn unsupported_media_type(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            detail,
        )
    }

    pub fn payload_too_large(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Payload too large",
            detail,
        )
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method not allowed",
            "This resource does not support that method.",
        )
    }

    /// A failure behind a port. The cause is logged; the answer says only
    /// whether trying again later may help.
    ///
    /// `NotFound` is the one port answer a client caused: what it asked about is
    /// not there (or was deleted while the request ran, as when a photo goes
    /// between loading it and writing its report), so it is the client's 404.
    pub fn from_port(context: &str, error: PortError) -> Self {
        if let PortError::NotFound(what) = &error {
            tracing::info!(%what, "{context}: not found");
            return Self::not_found("The resource does not exist, or no longer does.");
        }
        if error.is_transient() {
            tracing::warn!(cause = %error, "{context}: a backing service is unavailable");
            return Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                "The service is briefly unavailable; try again shortly.",
            );
        }
        tracing::error!(%error, "{context}: unexpected port error");
        Self::internal()
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal server error",
            "Something went wrong on our side.",
        )
    }

    pub fn type_uri(&self) -> String {
        format!("urn:wisaw:problem:{}", self.slug)
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(ProblemBody {
            problem_type: self.type_uri(),
            title: self.title.to_string(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
        })
        .unwrap_or(serde_json::Value::Null)
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.title,
            self.detail
        )
    }
}

impl std::error::Error for Problem {}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = self.to_json().to_string();
        let mut response = (self.status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
        );
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_failures_answer_404_503_or_500_without_leaking_the_cause() {
        let down = Problem::from_port("test", PortError::Unavailable("db at 10.0.0.7".into()));
        let response = down.clone().into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            PROBLEM_CONTENT_TYPE
        );
        assert!(response.headers().contains_key(header::RETRY_AFTER));
        assert!(!down.detail.contains("10.0.0.7"));

        let gone = Problem::from_port("test", PortError::NotFound("photo 0b6f in db".into()));
        assert_eq!(gone.status, StatusCode::NOT_FOUND);
        assert!(!gone.detail.contains("db"));

        let broken = Problem::from_port("test", PortError::Invalid("constraint xyz".into()));
        assert_eq!(broken.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!broken.to_json().to_string().contains("xyz"));
    }

    #[test]
    fn the_body_has_the_rfc_9457_members() {
        let json = Problem::conflict("taken").to_json();
        assert_eq!(json["type"], "urn:wisaw:problem:conflict");
        assert_eq!(json["title"], "Conflict");
        assert_eq!(json["status"], 409);
        assert_eq!(json["detail"], "taken");
    }
}
