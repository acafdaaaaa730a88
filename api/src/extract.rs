//! axum's extractors, with their rejections turned into our problem answers:
//! a malformed body, a missing JSON content type, a bad path id or a bad query
//! string is a 400 in `application/problem+json`, never axum's plain text.

use crate::problem::Problem;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use serde::de::DeserializeOwned;

/// A JSON body.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        Json::<T>::from_request(req, state)
            .await
            .map(|Json(value)| Self(value))
            .map_err(json_problem)
    }
}

fn json_problem(rejection: JsonRejection) -> Problem {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => Problem::bad_request(
            "The body must be JSON, sent with `Content-Type: application/json`.",
        ),
        JsonRejection::JsonSyntaxError(_) | JsonRejection::JsonDataError(_) => {
            Problem::bad_request(rejection.body_text())
        }
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Problem::payload_too_large("The request body is too large.")
        }
        other => Problem::bad_request(other.body_text()),
    }
}

/// Path parameters (photo ids).
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| Self(value))
            .map_err(path_problem)
    }
}

fn path_problem(rejection: PathRejection) -> Problem {
    if rejection.status().is_server_error() {
        tracing::error!(rejection = %rejection.body_text(), "path parameters do not match the route");
        return Problem::internal();
    }
    Problem::bad_request(rejection.body_text())
}

/// A query string.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| Self(value))
            .map_err(|rejection: QueryRejection| Problem::bad_request(rejection.body_text()))
    }
}
