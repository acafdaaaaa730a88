//! A phone's HTTP calls against a running API, with the checks every test makes.

use serde_json::Value;
use std::time::Duration;
use wisaw_api::photos::PhotoStatusResponse;
use wisaw_api::tickets::{TicketRequest, TicketResponse};
use wisaw_domain::DeviceId;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Checks an RFC 9457 answer with this status and returns its body.
pub async fn assert_problem(response: reqwest::Response, status: u16) -> Value {
    let url = response.url().clone();
    let answered = response.status().as_u16();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body: Value = response.json().await.unwrap();
    check_problem(
        answered,
        content_type.as_deref(),
        &body,
        status,
        url.as_str(),
    );
    body
}

/// The one check of a problem answer, however it was received (over HTTP, or from the
/// router in process): this status, `application/problem+json`, and a body with the
/// same status and a non-empty `type`, `title` and `detail`.
pub fn check_problem(
    answered: u16,
    content_type: Option<&str>,
    body: &Value,
    status: u16,
    context: &str,
) {
    assert_eq!(answered, status, "{context}: {body}");
    assert_eq!(content_type, Some(PROBLEM_JSON), "{context}: {body}");
    assert_eq!(body["status"], status, "{context}: {body}");
    for member in ["type", "title", "detail"] {
        assert!(
            body[member].as_str().is_some_and(|text| !text.is_empty()),
            "{context}: a problem without {member}: {body}"
        );
    }
}

/// `POST /v1/uploads` for a new photo of `device`; the answer must be 201.
pub async fn ask_ticket(
    client: &reqwest::Client,
    base_url: &str,
    device: uuid::Uuid,
    content_type: &str,
    len: usize,
    lat: f64,
    lon: f64,
) -> TicketResponse {
    let request = TicketRequest {
        photo_id: None,
        device_id: DeviceId(device),
        content_type: content_type.to_string(),
        content_length: len as i64,
        lat,
        lon,
    };
    let response = client
        .post(format!("{base_url}/v1/uploads"))
        .json(&request)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "ticket refused");
    response.json().await.unwrap()
}

pub async fn put_as_ticket_says(client: &reqwest::Client, ticket: &TicketResponse, body: Vec<u8>) {
    let upload = ticket.upload.as_ref().expect("the ticket has its upload");
    let mut request = client.put(&upload.url);
    for (name, value) in &upload.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let response = request.body(body).send().await.unwrap();
    assert!(
        response.status().is_success(),
        "upload refused: {}",
        response.status()
    );
}

/// What a phone does to upload: a ticket for `bytes` from `device` at (`lat`, `lon`),
/// then the PUT it says. Returns the ticket.
pub async fn upload_as_phone(
    client: &reqwest::Client,
    base_url: &str,
    device: uuid::Uuid,
    content_type: &str,
    bytes: Vec<u8>,
    (lat, lon): (f64, f64),
) -> TicketResponse {
    let ticket = ask_ticket(
        client,
        base_url,
        device,
        content_type,
        bytes.len(),
        lat,
        lon,
    )
    .await;
    put_as_ticket_says(client, &ticket, bytes).await;
    ticket
}

pub async fn photo_status(
    client: &reqwest::Client,
    base_url: &str,
    photo_id: &str,
) -> PhotoStatusResponse {
    let document = status_document(client, base_url, photo_id).await;
    serde_json::from_value(document).expect("a status answer")
}

/// `GET /v1/photos/{id}` as the JSON on the wire, for what a typed answer cannot show
/// (a member that must be absent).
pub async fn status_document(client: &reqwest::Client, base_url: &str, photo_id: &str) -> Value {
    let response = client
        .get(format!("{base_url}/v1/photos/{photo_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

pub async fn wait_final(
    client: &reqwest::Client,
    base_url: &str,
    photo_id: &str,
    patience: Duration,
) -> PhotoStatusResponse {
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        let status = photo_status(client, base_url, photo_id).await;
        if status.status.is_settled() {
            return status;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "photo {photo_id} still {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
