//! A handler that panics answers a 500 problem, never a dropped connection.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::routing::get;
use axum::Router;
use tower::ServiceExt;
use wisaw_api::router::catch_panics;

async fn boom() -> &'static str {
    panic!("a bug in a handler")
}

#[tokio::test]
async fn a_panicking_handler_is_a_500_problem() {
    let app = Router::new()
        .route("/boom", get(boom))
        .layer(catch_panics());
    let response = app
        .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body["status"], 500);
    assert_eq!(body["type"], "urn:wisaw:problem:internal");
    assert!(!body.to_string().contains("a bug in a handler"), "{body}");
}
