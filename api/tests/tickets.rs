//! `POST /v1/uploads` through the router.

use crate::common::{mentions, Harness};
use serde_json::{json, Value};
use std::net::SocketAddr;
use wisaw_domain::ports::MetadataStore;
use wisaw_domain::{DeviceId, PhotoId, PhotoStatus};

fn ticket_body(device: DeviceId) -> Value {
    json!({ "deviceId": device.to_string(), "contentType": "image/jpeg",
            "contentLength": 2483112, "lat": 37.7749, "lon": -122.4194 })
}

/// A ticket request with a photo id the phone chose.
fn ticket_body_for(device: DeviceId, id: PhotoId) -> Value {
    let mut body = ticket_body(device);
    body["photoId"] = json!(id.to_string());
    body
}

#[tokio::test]
async fn a_new_ticket_is_201_with_the_contract_shape_and_an_awaiting_photo() {
    let h = Harness::new().await;
    let device = DeviceId::new_random();
    let answer = h.post_json("/v1/uploads", &ticket_body(device)).await;

    assert_eq!(answer.status.as_u16(), 201, "{}", answer.body);
    let body = &answer.body;
    assert_eq!(body["status"], "awaiting_upload");
    let id: PhotoId = body["photoId"].as_str().unwrap().parse().unwrap();
    let upload = &body["upload"];
    assert_eq!(upload["method"], "PUT");
    assert!(
        upload["url"].as_str().unwrap().contains(&id.upload_key()),
        "{upload}"
    );
    assert_eq!(upload["headers"]["Content-Type"], "image/jpeg");
    let expires: chrono::DateTime<chrono::Utc> =
        upload["expiresAt"].as_str().unwrap().parse().unwrap();
    assert!(upload["expiresAt"].as_str().unwrap().ends_with('Z'));
    let ahead = expires - chrono::Utc::now();
    assert!(ahead > chrono::Duration::minutes(14) && ahead <= chrono::Duration::minutes(16));
    assert!(!mentions(body, &device.to_string()));

    let photo = h.metadata.get_photo(id).await.unwrap().unwrap();
    assert_eq!(photo.status, PhotoStatus::AwaitingUpload);
    assert_eq!((photo.device_id, photo.content_length), (device, 2483112));
    assert_eq!(photo.content_type, "image/jpeg");
}

#[tokio::test]
async fn a_ticket_names_the_devices_event_channel_without_its_id() {
    let h = Harness::new().await;
    let device = DeviceId::new_random();
    let first = h.post_json("/v1/uploads", &ticket_body(device)).await;
    let second = h.post_json("/v1/uploads", &ticket_body(device)).await;
    let stranger = h
        .post_json("/v1/uploads", &ticket_body(DeviceId::new_random()))
        .await;
    let events = &first.body["events"];
    assert_eq!(events["realtimeUrl"], h.ports.events.realtime_url.as_str());
    assert_eq!(events["httpUrl"], h.ports.events.http_url.as_str());
    let channel = events["channel"].as_str().unwrap();
    assert_eq!(channel, h.ports.channels.channel_of(device));
    assert!(channel.starts_with("/devices/"), "{channel}");
    assert_eq!(h.ports.channels.check_channel(channel), Ok(()));
    // One channel per device, for every photo; another device's is another.
    assert_eq!(second.body["events"]["channel"], channel);
    assert_ne!(stranger.body["events"]["channel"], channel);
    // The device id cannot be read from it, in any spelling.
    for spelling in [device.to_string(), device.0.simple().to_string()] {
        assert!(!channel.contains(&spelling));
        assert!(!mentions(&first.body, &spelling));
    }
}

#[tokio::test]
async fn the_same_photo_id_is_200_for_its_device_and_409_for_another() {
    let h = Harness::new().await;
    let device = DeviceId::new_random();
    let id = PhotoId::new_random();
    let body = ticket_body_for(device, id);

    let first = h.post_json("/v1/uploads", &body).await;
    assert_eq!(first.status.as_u16(), 201, "{}", first.body);
    assert_eq!(first.body["photoId"], id.to_string());

    let again = h.post_json("/v1/uploads", &body).await;
    assert_eq!(again.status.as_u16(), 200, "{}", again.body);
    assert_eq!(again.body["photoId"], id.to_string());
    assert_eq!(again.body["status"], "awaiting_upload");
    assert_eq!(again.body["upload"]["method"], "PUT");

    let mut other = body.clone();
    other["deviceId"] = json!(DeviceId::new_random().to_string());
    h.post_refused("/v1/uploads", &other, 409).await;

    let mut resized = body.clone();
    resized["contentLength"] = json!(1234);
    h.post_refused("/v1/uploads", &resized, 409).await;
}

#[tokio::test]
async fn a_repeat_after_the_upload_answers_the_status_without_a_ticket() {
    let h = Harness::new().await;
    let device = DeviceId::new_random();
    let id = PhotoId::new_random();
    let body = ticket_body_for(device, id);
    assert_eq!(h.post_json("/v1/uploads", &body).await.status.as_u16(), 201);
    h.metadata
        .mark_processing(id, &id.execution_name(0))
        .await
        .unwrap();

    let again = h.post_json("/v1/uploads", &body).await;
    assert_eq!(again.status.as_u16(), 200, "{}", again.body);
    assert_eq!(again.body["status"], "processing");
    assert!(again.body.get("upload").is_none(), "{}", again.body);
}

#[tokio::test]
async fn content_type_and_length_are_checked() {
    let h = Harness::new().await;
    let device = DeviceId::new_random();
    let with = |field: &str, value: Value| {
        let mut body = ticket_body(device);
        body[field] = value;
        body
    };

    h.post_refused("/v1/uploads", &with("contentType", json!("image/gif")), 415)
        .await;
    h.post_refused(
        "/v1/uploads",
        &with("contentType", json!("text/plain")),
        415,
    )
    .await;
    let max = 25 * 1024 * 1024;
    h.post_refused("/v1/uploads", &with("contentLength", json!(max + 1)), 413)
        .await;
    let at_max = h
        .post_json("/v1/uploads", &with("contentLength", json!(max)))
        .await;
    assert_eq!(at_max.status.as_u16(), 201, "{}", at_max.body);
    h.post_refused("/v1/uploads", &with("contentLength", json!(0)), 400)
        .await;
    h.post_refused("/v1/uploads", &with("contentLength", json!(-5)), 400)
        .await;
    h.post_refused("/v1/uploads", &with("contentLength", json!(1.5)), 400)
        .await;
}

#[tokio::test]
async fn coordinates_and_malformed_bodies_are_400() {
    let h = Harness::new().await;
    let device = DeviceId::new_random();
    for (field, value) in [
        ("lat", json!(90.5)),
        ("lat", json!(-91)),
        ("lon", json!(180.01)),
        ("lon", json!(-181)),
        ("lat", json!("north")),
        ("deviceId", json!("not-a-uuid")),
        ("photoId", json!("nope")),
    ] {
        let mut body = ticket_body(device);
        body[field] = value;
        h.post_refused("/v1/uploads", &body, 400).await;
    }
    let mut missing = ticket_body(device);
    missing.as_object_mut().unwrap().remove("lon");
    h.post_refused("/v1/uploads", &missing, 400).await;

    h.post_raw("/v1/uploads", "application/json", "{\"deviceId\": ".into())
        .await
        .assert_problem(400);
    h.post_raw("/v1/uploads", "application/json", "[1, 2]".into())
        .await
        .assert_problem(400);
    // A JSON body without the JSON content type is still our 400, not axum's text.
    h.post_raw("/v1/uploads", "text/plain", ticket_body(device).to_string())
        .await
        .assert_problem(400);

    let edges = json!({ "deviceId": device.to_string(), "contentType": "image/png",
                        "contentLength": 1, "lat": -90, "lon": 180 });
    assert_eq!(
        h.post_json("/v1/uploads", &edges).await.status.as_u16(),
        201
    );
}

/// A new owner, and where the abuse reports on the photo of its first ticket are filed.
async fn an_owner_and_where_its_photo_is_reported(h: &Harness) -> (DeviceId, String) {
    let owner = DeviceId::new_random();
    let first = h.post_json("/v1/uploads", &ticket_body(owner)).await;
    let photo = first.body["photoId"].as_str().unwrap().to_string();
    (owner, format!("/v1/photos/{photo}/abuse-reports"))
}

/// Files a report of `reporter`'s from the client address `ip`; it is taken (201),
/// whether it counts or not.
async fn file_a_report(h: &Harness, uri: &str, reporter: DeviceId, ip: [u8; 4]) {
    let report = json!({ "deviceId": reporter.to_string() });
    let client = SocketAddr::from((ip, 40000));
    let filed = h.post_json_from(uri, &report, client).await;
    assert_eq!(filed.status.as_u16(), 201, "{}", filed.body);
}

#[tokio::test]
async fn a_device_reported_by_more_than_three_devices_with_standing_is_refused() {
    let h = Harness::new().await;
    let (owner, uri) = an_owner_and_where_its_photo_is_reported(&h).await;

    for n in 1..=4 {
        let reporter = h.device_with_a_ready_photo().await;
        file_a_report(&h, &uri, reporter, [198, 51, 100, n]).await;
        let next = h.post_json("/v1/uploads", &ticket_body(owner)).await;
        if n <= 3 {
            assert_eq!(next.status.as_u16(), 201, "{n} reporters: {}", next.body);
        } else {
            next.assert_problem(403);
        }
    }
    // Other devices are not affected.
    let other = h
        .post_json("/v1/uploads", &ticket_body(DeviceId::new_random()))
        .await;
    assert_eq!(other.status.as_u16(), 201);
}

#[tokio::test]
async fn made_up_reporters_cannot_ban_anyone() {
    let h = Harness::new().await;
    let (owner, uri) = an_owner_and_where_its_photo_is_reported(&h).await;

    // Ten made-up device ids, each from an address of its own: none has standing.
    for n in 1..=10 {
        file_a_report(&h, &uri, DeviceId::new_random(), [203, 0, 113, n]).await;
    }
    // Six real devices, all from one address: only three count.
    for _ in 0..6 {
        let reporter = h.device_with_a_ready_photo().await;
        file_a_report(&h, &uri, reporter, [192, 0, 2, 1]).await;
    }
    let next = h.post_json("/v1/uploads", &ticket_body(owner)).await;
    assert_eq!(next.status.as_u16(), 201, "{}", next.body);
    assert_eq!(
        h.metadata.distinct_reporters_against(owner).await.unwrap(),
        16
    );
    assert_eq!(
        h.metadata.counted_reporters_against(owner).await.unwrap(),
        3
    );
}

#[tokio::test]
async fn a_content_length_is_any_json_integer_but_never_a_fraction() {
    let h = Harness::new().await;
    let device = DeviceId::new_random();
    let body = |length: &str| {
        format!(
            r#"{{"deviceId":"{device}","contentType":"image/jpeg","contentLength":{length},"lat":1,"lon":2}}"#
        )
    };
    for whole in ["97.0", "97", "9.7e1", "970e-1"] {
        let answer = h
            .post_raw("/v1/uploads", "application/json", body(whole))
            .await;
        assert_eq!(answer.status.as_u16(), 201, "{whole}: {}", answer.body);
        let id: PhotoId = answer.body["photoId"].as_str().unwrap().parse().unwrap();
        let photo = h.metadata.get_photo(id).await.unwrap().unwrap();
        assert_eq!(photo.content_length, 97, "{whole}");
    }
    for bad in ["97.5", "1e400", "9.3e18", "-0.5", "\"97\""] {
        h.post_raw("/v1/uploads", "application/json", body(bad))
            .await
            .assert_problem(400);
    }
}
