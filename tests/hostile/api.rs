//! Hostile input: the mobile API, against a running local stack. A forged feed cursor
//! is a 400, not a panic and a dropped connection; requests racing a photo's DELETE
//! answer what the contract names; made-up devices cannot ban anyone; a whole number
//! written `97.0` is a whole number; the API serves its own OpenAPI description.

use crate::support::images::{jpeg, two_tone};
use crate::support::{assert_problem, put_as_ticket_says, Store, TestStack};
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use wisaw_api::tickets::TicketResponse;
use wisaw_domain::PhotoStatus;

on_every_store!(
    a_forged_cursor_is_a_400_and_a_real_one_pages_ten_years_back,
    a_report_or_a_repeated_ticket_racing_a_delete_is_never_a_5xx,
    made_up_reporters_cannot_ban_anyone,
    a_content_length_of_97_0_is_97,
);

/// A cursor as a client can write one: base64url JSON naming any anchor it likes.
fn forged_cursor(anchor: DateTime<Utc>, days_ago: u32) -> String {
    let json = json!({
        "anchor": anchor, "daysAgo": days_ago,
        "latBits": 0f64.to_bits(), "lonBits": 0f64.to_bits(),
        "afterDistanceBits": 0f64.to_bits(), "afterPhotoId": uuid::Uuid::new_v4(),
    });
    base64url(json.to_string().as_bytes())
}

/// Unpadded base64url (RFC 4648 §5), as the feed's cursors are written.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (k, b)| n | u32::from(*b) << (16 - 8 * k));
        for k in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * k) & 63) as usize]));
        }
    }
    out
}

async fn feed(stack: &TestStack, query: &str) -> reqwest::Response {
    stack
        .client
        .get(format!("{}/v1/feed?lat=0&lon=0{query}", stack.base_url))
        .send()
        .await
        .expect("an answer, not a dropped connection")
}

async fn a_forged_cursor_is_a_400_and_a_real_one_pages_ten_years_back(store: Store) {
    let stack = TestStack::start(store).await;
    let earliest = DateTime::<Utc>::MIN_UTC;
    for (anchor, days_ago) in [
        (earliest, 0),
        (earliest + Duration::days(2000), 3650),
        (DateTime::<Utc>::MAX_UTC, 3650),
        (Utc::now(), 0),
    ] {
        let cursor = forged_cursor(anchor, days_ago);
        let answer = feed(&stack, &format!("&daysAgo={days_ago}&cursor={cursor}")).await;
        assert_problem(answer, 400).await;
    }

    // Two ready photos, one page each: the cursor the feed hands out pages on.
    for lat in [0.001, 0.002] {
        let photo = stack
            .upload(&jpeg(&two_tone(64, 48)), "image/jpeg", lat, 0.0)
            .await;
        assert_eq!(stack.wait_final(&photo).await.status, PhotoStatus::Ready);
    }
    let first: Value = feed(&stack, "&limit=1").await.json().await.unwrap();
    let cursor = first["nextCursor"].as_str().expect("a second page");
    let second = feed(&stack, &format!("&limit=1&cursor={cursor}")).await;
    assert_eq!(second.status(), 200);
    let second: Value = second.json().await.unwrap();
    assert_ne!(
        second["photos"][0]["photoId"],
        first["photos"][0]["photoId"]
    );
    // Altered by one character: refused.
    let mut altered: Vec<char> = cursor.chars().collect();
    altered[10] = if altered[10] == 'A' { 'B' } else { 'A' };
    let altered: String = altered.into_iter().collect();
    assert_problem(
        feed(&stack, &format!("&limit=1&cursor={altered}")).await,
        400,
    )
    .await;
    // The oldest window the contract allows answers.
    assert_eq!(feed(&stack, "&daysAgo=3650").await.status(), 200);
    stack.finish().await;
}

async fn a_report_or_a_repeated_ticket_racing_a_delete_is_never_a_5xx(store: Store) {
    let stack = TestStack::start(store).await;
    let base = stack.base_url.clone();
    for _ in 0..40 {
        let device = uuid::Uuid::new_v4();
        let photo = uuid::Uuid::new_v4();
        let ticket = json!({ "photoId": photo, "deviceId": device, "contentType": "image/jpeg",
                             "contentLength": 1000, "lat": 1.0, "lon": 2.0 });
        let first = stack
            .client
            .post(format!("{base}/v1/uploads"))
            .json(&ticket)
            .send()
            .await
            .unwrap();
        assert_eq!(first.status(), 201);

        let delete = stack
            .client
            .delete(format!("{base}/v1/photos/{photo}"))
            .header("X-Device-Id", device.to_string())
            .send();
        let report = stack
            .client
            .post(format!("{base}/v1/photos/{photo}/abuse-reports"))
            .json(&json!({ "deviceId": uuid::Uuid::new_v4() }))
            .send();
        let again = stack
            .client
            .post(format!("{base}/v1/uploads"))
            .json(&ticket)
            .send();
        let (delete, report, again) = tokio::join!(delete, report, again);
        let (delete, report, again) = (delete.unwrap(), report.unwrap(), again.unwrap());
        assert!(
            matches!(delete.status().as_u16(), 204 | 404),
            "DELETE: {}",
            delete.status()
        );
        let status = report.status().as_u16();
        assert!(matches!(status, 201 | 404), "report: {status}");
        if status == 404 {
            assert_problem(report, 404).await;
        }
        let status = again.status().as_u16();
        assert!(
            matches!(status, 200 | 201),
            "repeated ticket: {status} {}",
            again.text().await.unwrap()
        );
    }
    stack.finish().await;
}

async fn made_up_reporters_cannot_ban_anyone(store: Store) {
    let stack = TestStack::start(store).await;
    let owner = uuid::Uuid::new_v4();
    let (bytes, ticket) = stack.photo_ticket(owner, (64, 48), (10.0, 10.0)).await;
    let photo = ticket.photo_id.to_string();
    let report = |reporter: uuid::Uuid| {
        stack
            .client
            .post(format!(
                "{}/v1/photos/{photo}/abuse-reports",
                stack.base_url
            ))
            .json(&json!({ "deviceId": reporter }))
            .send()
    };

    // Four made-up device ids: no photo of theirs was ever ready.
    for _ in 0..4 {
        assert_eq!(report(uuid::Uuid::new_v4()).await.unwrap().status(), 201);
    }
    // Four real devices, each with a ready photo, all from this one address: three count.
    for _ in 0..4 {
        let reporter = uuid::Uuid::new_v4();
        let ticket = stack
            .ticket(reporter, "image/jpeg", bytes.len(), (1.0, 1.0))
            .await;
        put_as_ticket_says(&stack.client, &ticket, bytes.clone()).await;
        let id = &ticket.photo_id.to_string();
        assert_eq!(stack.wait_final(id).await.status, PhotoStatus::Ready);
        assert_eq!(report(reporter).await.unwrap().status(), 201);
    }
    // The owner still gets tickets.
    stack
        .ticket(owner, "image/jpeg", bytes.len(), (10.0, 10.0))
        .await;
    stack.finish().await;
}

async fn a_content_length_of_97_0_is_97(store: Store) {
    let stack = TestStack::start(store).await;
    let body = |length: &str| {
        format!(
            r#"{{"deviceId":"{}","contentType":"image/jpeg","contentLength":{length},"lat":1,"lon":2}}"#,
            uuid::Uuid::new_v4()
        )
    };
    let post = |text: String| {
        stack
            .client
            .post(format!("{}/v1/uploads", stack.base_url))
            .header("content-type", "application/json")
            .body(text)
            .send()
    };
    let answer = post(body("97.0")).await.unwrap();
    assert_eq!(answer.status(), 201);
    let ticket: TicketResponse = answer.json().await.unwrap();
    // The ticket binds exactly 97 bytes.
    put_as_ticket_says(&stack.client, &ticket, vec![0xff; 97]).await;

    assert_problem(post(body("97.5")).await.unwrap(), 400).await;
    stack.finish().await;
}

#[tokio::test]
async fn the_api_serves_its_openapi_description() {
    let stack = TestStack::start(Store::Sqlite).await;
    let answer = stack
        .client
        .get(format!("{}/openapi.json", stack.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "application/json");
    let description: Value = answer.json().await.unwrap();
    assert!(description["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/v1/uploads",
        "/v1/photos/{photoId}",
        "/v1/photos/{photoId}/abuse-reports",
        "/v1/feed",
    ] {
        assert!(description["paths"][path].is_object(), "{path}");
    }
    stack.finish().await;
}
