//! The `api` Lambda handler fed API Gateway HTTP API (payload v2) events, parsed by
//! lambda_http as in Lambda, answered by the real router over SQLite and a local
//! blob store.

use crate::common::Harness;
use lambda_http::{Body, Request, Response};
use serde_json::Value;
use wisaw_api::lambda::answer;
use wisaw_api::router;
use wisaw_testkit::fixtures::event_fixture;

const PHOTO_A: &str = "0b6f5c2e-7a8d-4c1e-9f00-123456789abc";

fn fixture(name: &str) -> Value {
    event_fixture(env!("CARGO_MANIFEST_DIR"), name)
}

fn request(event: &Value) -> Request {
    lambda_http::request::from_str(&event.to_string()).expect("an API Gateway v2 event")
}

struct Answer {
    status: u16,
    content_type: Option<String>,
    body: Value,
}

impl Answer {
    /// A problem document (RFC 9457) with this status.
    fn assert_problem(&self, status: u16) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(
            self.content_type.as_deref(),
            Some("application/problem+json")
        );
    }
}

async fn send(h: &Harness, event: &Value) -> Answer {
    let response: Response<Body> = answer(router(h.ports.clone()), request(event))
        .await
        .unwrap();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    let body = match response.body() {
        Body::Empty => Value::Null,
        Body::Text(text) => serde_json::from_str(text).unwrap(),
        Body::Binary(bytes) => serde_json::from_slice(bytes).unwrap(),
        other => panic!("unexpected body {other:?}"),
    };
    Answer {
        status: response.status().as_u16(),
        content_type,
        body,
    }
}

#[tokio::test]
async fn a_ticket_then_the_photo_status() {
    let h = Harness::new().await;

    let ticket = send(&h, &fixture("apigw_v2_create_ticket.json")).await;
    assert_eq!(ticket.status, 201, "{}", ticket.body);
    assert_eq!(ticket.content_type.as_deref(), Some("application/json"));
    assert_eq!(ticket.body["photoId"], PHOTO_A);
    assert_eq!(ticket.body["status"], "awaiting_upload");
    assert_eq!(ticket.body["upload"]["method"], "PUT");
    assert_eq!(
        ticket.body["upload"]["headers"]["Content-Type"],
        "image/jpeg"
    );

    // The phone retries the call: same photo, a fresh ticket, 200.
    let again = send(&h, &fixture("apigw_v2_create_ticket.json")).await;
    assert_eq!(again.status, 200, "{}", again.body);

    let status = send(&h, &fixture("apigw_v2_photo_status.json")).await;
    assert_eq!(status.status, 200, "{}", status.body);
    assert_eq!(status.body["photoId"], PHOTO_A);
    assert_eq!(status.body["status"], "awaiting_upload");
    assert_eq!(status.body["lat"], 37.7749);
}

#[tokio::test]
async fn an_unknown_photo_is_a_problem_404() {
    let h = Harness::new().await;
    let status = send(&h, &fixture("apigw_v2_photo_status.json")).await;
    status.assert_problem(404);
}

#[tokio::test]
async fn a_bad_ticket_request_is_a_problem_400() {
    let h = Harness::new().await;
    let bad = send(&h, &fixture("apigw_v2_create_ticket_bad_latitude.json")).await;
    bad.assert_problem(400);
    assert_eq!(bad.body["status"], 400);
    assert_eq!(bad.body["type"], "urn:wisaw:problem:bad-request");
    assert!(bad.body["detail"].as_str().is_some_and(|d| !d.is_empty()));
}

#[tokio::test]
async fn the_feed_reads_the_raw_query_string() {
    let h = Harness::new().await;
    let feed = send(&h, &fixture("apigw_v2_feed.json")).await;
    assert_eq!(feed.status, 200, "{}", feed.body);
    assert_eq!(feed.body["photos"], Value::Array(vec![]));
    assert_eq!(feed.body["nextCursor"], Value::Null);

    let mut bad = fixture("apigw_v2_feed.json");
    bad["rawQueryString"] = "lat=91&lon=-122.41".into();
    bad["queryStringParameters"] = serde_json::json!({ "lat": "91", "lon": "-122.41" });
    let refused = send(&h, &bad).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
}

/// The $default route sends everything else to the router, which answers as the
/// contract says instead of API Gateway's own `{"message":"Not Found"}`.
#[tokio::test]
async fn unmatched_paths_and_methods_are_problem_answers() {
    let h = Harness::new().await;
    let mut unknown = fixture("apigw_v2_feed.json");
    unknown["routeKey"] = "$default".into();
    unknown["rawPath"] = "/v2/feed".into();
    unknown["requestContext"]["http"]["path"] = "/v2/feed".into();
    let answer = send(&h, &unknown).await;
    assert_eq!(answer.status, 404, "{}", answer.body);
    assert_eq!(
        answer.content_type.as_deref(),
        Some("application/problem+json")
    );

    let mut wrong_method = fixture("apigw_v2_feed.json");
    wrong_method["routeKey"] = "$default".into();
    wrong_method["requestContext"]["http"]["method"] = "PUT".into();
    let answer = send(&h, &wrong_method).await;
    assert_eq!(answer.status, 405, "{}", answer.body);
}

/// The fixture's POST, re-aimed at `path` with `body`, from `source_ip`.
fn post_event(path: &str, body: &Value, source_ip: &str) -> Value {
    let mut event = fixture("apigw_v2_create_ticket.json");
    event["rawPath"] = path.into();
    event["routeKey"] = "$default".into();
    event["requestContext"]["routeKey"] = "$default".into();
    event["requestContext"]["http"]["path"] = path.into();
    event["requestContext"]["http"]["sourceIp"] = source_ip.into();
    event["headers"]["x-forwarded-for"] = source_ip.into();
    event["headers"]
        .as_object_mut()
        .unwrap()
        .remove("content-length");
    event["body"] = body.to_string().into();
    event
}

/// Reports count per client address, and in Lambda the address is API Gateway's
/// `sourceIp`: four reporters from four addresses all count (had the address been lost,
/// they would share one quota of three, and the owner would not be refused).
#[tokio::test]
async fn reporters_are_told_apart_by_api_gateways_source_ip() {
    let h = Harness::new().await;
    let owner = wisaw_domain::DeviceId::new_random();
    let ticket = |photo: uuid::Uuid| {
        serde_json::json!({ "photoId": photo, "deviceId": owner, "contentType": "image/jpeg",
                            "contentLength": 1000, "lat": 1.0, "lon": 2.0 })
    };
    let first = uuid::Uuid::new_v4();
    let created = send(
        &h,
        &post_event("/v1/uploads", &ticket(first), "198.51.100.1"),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);

    for n in 1..=4 {
        let reporter = h.device_with_a_ready_photo().await;
        let report = serde_json::json!({ "deviceId": reporter });
        let path = format!("/v1/photos/{first}/abuse-reports");
        let filed = send(&h, &post_event(&path, &report, &format!("203.0.113.{n}"))).await;
        assert_eq!(filed.status, 201, "{}", filed.body);
    }
    let refused = send(
        &h,
        &post_event("/v1/uploads", &ticket(uuid::Uuid::new_v4()), "198.51.100.1"),
    )
    .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(
        refused.content_type.as_deref(),
        Some("application/problem+json")
    );
}
