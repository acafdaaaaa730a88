//! The local blob store over HTTP, as S3 serves presigned URLs: `PUT /blobs/{key}`
//! checks the ticket's signature, expiry, content type and length before a byte is
//! written, stores the object, then puts the ObjectCreated event on the ingest
//! queue (as S3's notification does in AWS); `GET /blobs/{key}` serves a signed GET.
//! Every answer that is not the object is problem+json, as the API's are: a missing
//! object is 404 (S3's NoSuchKey), another method 405, a key that is not UTF-8 400.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use axum::Router;
use std::collections::HashMap;
use std::sync::Arc;
use tokio_util::io::ReaderStream;
use wisaw_adapters::blobs_fs::{LocalBlobStore, UploadError};
use wisaw_api::extract::{ApiPath, ApiQuery};
use wisaw_api::Problem;
use wisaw_domain::ingest::S3Notification;
use wisaw_domain::ports::{BlobStore, Queue};
use wisaw_domain::PortError;

#[derive(Clone)]
struct BlobRoutes {
    blobs: Arc<LocalBlobStore>,
    ingest: Arc<dyn Queue>,
}

type SignedQuery = ApiQuery<HashMap<String, String>>;

pub fn router(blobs: Arc<LocalBlobStore>, ingest: Arc<dyn Queue>) -> Router {
    Router::new()
        .route(
            "/blobs/{*key}",
            put(upload).get(download).fallback(method_not_allowed),
        )
        .with_state(BlobRoutes { blobs, ingest })
}

async fn upload(
    State(routes): State<BlobRoutes>,
    ApiPath(key): ApiPath<String>,
    ApiQuery(query): SignedQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let content_length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let ticket = match routes.blobs.verify_put(
        &key,
        &query,
        content_type,
        content_length,
        chrono::Utc::now(),
    ) {
        Ok(ticket) => ticket,
        Err(refusal) => return refused(refusal.status_code(), refusal.code(), refusal.to_string()),
    };
    let size = match routes
        .blobs
        .write_upload(&key, &ticket, body.into_data_stream())
        .await
    {
        Ok(size) => size,
        // The disk's own words (paths, errno) are for the log, not for the phone.
        Err(UploadError::Store(error)) => {
            return Problem::from_port("storing an upload", error).into_response()
        }
        Err(error) => return refused(error.status_code(), "upload-refused", error.to_string()),
    };
    // Only once the event is durable is the upload acknowledged: if this fails the
    // phone retries the PUT, which overwrites the object and sends the event again.
    let event = S3Notification::object_created(
        routes.blobs.bucket(),
        &key,
        size,
        &chrono::Utc::now().to_rfc3339(),
    );
    let body = serde_json::to_string(&event).expect("an S3 notification serialises");
    if let Err(error) = routes.ingest.send(&body).await {
        tracing::error!(%error, key, "stored an upload but could not queue its event");
        return Problem::from_port("queueing an upload event", error).into_response();
    }
    tracing::info!(key, size, "upload stored");
    StatusCode::OK.into_response()
}

async fn download(
    State(routes): State<BlobRoutes>,
    ApiPath(key): ApiPath<String>,
    ApiQuery(query): SignedQuery,
) -> Response {
    if let Err(refusal) = routes.blobs.verify_get(&key, &query, chrono::Utc::now()) {
        return refused(refusal.status_code(), refusal.code(), refusal.to_string());
    }
    match routes.blobs.open(&key).await {
        Ok((file, meta)) => (
            [
                (header::CONTENT_TYPE, meta.content_type),
                (header::CONTENT_LENGTH, meta.content_length.to_string()),
                (header::CACHE_CONTROL, "private, max-age=3600".to_string()),
            ],
            Body::from_stream(ReaderStream::new(file)),
        )
            .into_response(),
        // A signed URL outlives the object when its photo is deleted.
        Err(PortError::NotFound(_)) => Problem::new(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "Not found",
            format!("There is no object {key}."),
        )
        .into_response(),
        Err(error) => Problem::from_port("reading a blob", error).into_response(),
    }
}

async fn method_not_allowed() -> Problem {
    Problem::method_not_allowed()
}

fn refused(status: u16, code: &'static str, detail: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    Problem::new(status, code, "Upload or download refused", detail).into_response()
}
