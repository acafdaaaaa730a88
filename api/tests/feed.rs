//! `GET /v1/feed` through the router: validation, the window, and paging.

use crate::common::{mentions, Harness};
use chrono::{Duration, Utc};
use serde_json::Value;
use std::collections::HashSet;
use wisaw_domain::{DeviceId, PhotoId};

const HERE: (f64, f64) = (37.77, -122.41);

fn feed_uri(extra: &str) -> String {
    format!("/v1/feed?lat={}&lon={}{extra}", HERE.0, HERE.1)
}

#[tokio::test]
async fn bad_parameters_are_400_problems() {
    let h = Harness::new().await;
    for query in [
        "",
        "?lat=37.7",
        "?lon=-122",
        "?lat=91&lon=0",
        "?lat=0&lon=181",
        "?lat=abc&lon=0",
        "?lat=0&lon=0&daysAgo=-1",
        "?lat=0&lon=0&daysAgo=1.5",
        "?lat=0&lon=0&daysAgo=x",
        "?lat=0&lon=0&daysAgo=100000",
        "?lat=0&lon=0&limit=0",
        "?lat=0&lon=0&limit=101",
        "?lat=0&lon=0&limit=ten",
        "?lat=0&lon=0&cursor=not-a-cursor",
    ] {
        h.get_refused(&format!("/v1/feed{query}"), 400).await;
    }
    let empty = h.get(&feed_uri("&daysAgo=3650&limit=100")).await;
    assert_eq!(empty.status.as_u16(), 200, "{}", empty.body);
    assert_eq!(empty.body["photos"], Value::Array(vec![]));
    assert!(empty.body["nextCursor"].is_null() && empty.body.get("nextCursor").is_some());
}

#[tokio::test]
async fn pages_go_nearest_first_within_a_fixed_window_and_never_show_the_device() {
    let h = Harness::new().await;
    let device = DeviceId::new_random();
    let hour_ago = Utc::now() - Duration::hours(1);
    let mut ready = Vec::new();
    // Five ready photos, each farther north than the previous.
    for k in [3, 1, 5, 2, 4] {
        let photo = h
            .create_photo(device, HERE.0 + 0.001 * f64::from(k), HERE.1, hour_ago)
            .await;
        h.make_ready(&photo).await;
        ready.push((k, photo.id));
    }
    ready.sort();
    let expected: Vec<PhotoId> = ready.iter().map(|(_, id)| *id).collect();
    // Not ready, or outside today's window: never on today's pages.
    h.create_photo(device, HERE.0, HERE.1, hour_ago).await;
    let yesterday = h
        .create_photo(device, HERE.0, HERE.1, Utc::now() - Duration::hours(30))
        .await;
    h.make_ready(&yesterday).await;

    let mut seen = Vec::new();
    let mut distances = Vec::new();
    let mut uri = feed_uri("&daysAgo=0&limit=2");
    let mut pages = 0;
    loop {
        let answer = h.get(&uri).await;
        assert_eq!(answer.status.as_u16(), 200, "{}", answer.body);
        assert!(!mentions(&answer.body, "deviceId"), "{}", answer.body);
        assert!(
            !mentions(&answer.body, &device.to_string()),
            "{}",
            answer.body
        );
        pages += 1;
        if pages == 1 {
            // A photo taken after the first page must not slip into the later ones.
            let late = h
                .create_photo(
                    device,
                    HERE.0 + 0.5,
                    HERE.1,
                    Utc::now() + Duration::seconds(2),
                )
                .await;
            h.make_ready(&late).await;
        }
        for item in answer.body["photos"].as_array().unwrap() {
            for field in ["thumbUrl", "imageUrl", "createdAt"] {
                assert!(item[field].is_string(), "{field} in {item}");
            }
            assert_eq!(
                (item["width"].as_u64(), item["height"].as_u64()),
                (Some(4032), Some(3024))
            );
            assert_eq!(item["lon"], HERE.1);
            seen.push(
                item["photoId"]
                    .as_str()
                    .unwrap()
                    .parse::<PhotoId>()
                    .unwrap(),
            );
            distances.push(item["distanceMeters"].as_f64().unwrap());
        }
        match answer.body["nextCursor"].as_str() {
            Some(cursor) => uri = feed_uri(&format!("&daysAgo=0&limit=2&cursor={cursor}")),
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(seen, expected);
    assert_eq!(pages, 3);
    assert!(distances.windows(2).all(|w| w[0] < w[1]), "{distances:?}");
    assert!((distances[0] - 111.0).abs() < 2.0, "{distances:?}");

    let yesterday_page = h.get(&feed_uri("&daysAgo=1")).await.body;
    let ids: HashSet<&str> = yesterday_page["photos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["photoId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, HashSet::from([yesterday.id.to_string().as_str()]));
}

#[tokio::test]
async fn a_cursor_only_serves_the_query_it_came_from() {
    let h = Harness::new().await;
    let device = DeviceId::new_random();
    for k in 0..3 {
        let photo = h
            .create_photo(
                device,
                HERE.0 + 0.001 * f64::from(k),
                HERE.1,
                Utc::now() - Duration::minutes(5),
            )
            .await;
        h.make_ready(&photo).await;
    }
    let first = h.get(&feed_uri("&limit=1")).await;
    let cursor = first.body["nextCursor"]
        .as_str()
        .expect("more pages")
        .to_string();

    let same = h.get(&feed_uri(&format!("&limit=1&cursor={cursor}"))).await;
    assert_eq!(same.status.as_u16(), 200, "{}", same.body);
    assert_ne!(
        same.body["photos"][0]["photoId"],
        first.body["photos"][0]["photoId"]
    );

    h.get_refused(
        &format!("/v1/feed?lat=10&lon={}&limit=1&cursor={cursor}", HERE.1),
        400,
    )
    .await;
    h.get_refused(
        &format!("/v1/feed?lat={}&lon=10&limit=1&cursor={cursor}", HERE.0),
        400,
    )
    .await;
    h.get_refused(
        &feed_uri(&format!("&daysAgo=1&limit=1&cursor={cursor}")),
        400,
    )
    .await;
    let mut altered = cursor.clone();
    altered.insert(3, '!');
    h.get_refused(&feed_uri(&format!("&limit=1&cursor={altered}")), 400)
        .await;
}

/// A cursor as the feed used to hand them out: base64url JSON a client could write.
fn unsigned_cursor(anchor: chrono::DateTime<Utc>, days_ago: u32, photo: PhotoId) -> String {
    use base64::Engine;
    let json = serde_json::json!({
        "anchor": anchor, "daysAgo": days_ago,
        "latBits": HERE.0.to_bits(), "lonBits": HERE.1.to_bits(),
        "afterDistanceBits": 0f64.to_bits(), "afterPhotoId": photo.to_string(),
    });
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json.to_string())
}

#[tokio::test]
async fn a_forged_cursor_is_a_400_never_a_panic() {
    let h = Harness::new().await;
    let earliest = chrono::DateTime::<Utc>::MIN_UTC;
    for (anchor, days_ago) in [
        (earliest, 0),
        (earliest + Duration::days(2000), 3650),
        (chrono::DateTime::<Utc>::MAX_UTC, 0),
        (Utc::now() - Duration::minutes(1), 0),
    ] {
        let cursor = unsigned_cursor(anchor, days_ago, PhotoId::new_random());
        let uri = feed_uri(&format!("&daysAgo={days_ago}&cursor={cursor}"));
        h.get_refused(&uri, 400).await;
    }
}

#[tokio::test]
async fn a_cursor_signed_with_another_key_or_stale_is_a_400() {
    use wisaw_api::cursor::FeedCursor;
    use wisaw_api::CursorKey;
    use wisaw_domain::model::FeedPosition;
    let h = Harness::new().await;
    let cursor = |anchor, key: &CursorKey| {
        FeedCursor {
            anchor,
            days_ago: 3650,
            lat: HERE.0,
            lon: HERE.1,
            after: FeedPosition {
                distance_meters: 0.0,
                photo_id: PhotoId::new_random(),
            },
        }
        .encode(key)
    };
    let ours = crate::common::cursor_key();
    let fresh = cursor(Utc::now() - Duration::minutes(1), &ours);
    let page = h
        .get(&feed_uri(&format!("&daysAgo=3650&cursor={fresh}")))
        .await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.body);

    let theirs = cursor(Utc::now(), &CursorKey::derived_from(b"another server"));
    let stale = cursor(Utc::now() - Duration::days(2), &ours);
    let ahead = cursor(Utc::now() + Duration::hours(1), &ours);
    let oldest = cursor(chrono::DateTime::<Utc>::MIN_UTC, &ours);
    for bad in [theirs, stale, ahead, oldest] {
        h.get_refused(&feed_uri(&format!("&daysAgo=3650&cursor={bad}")), 400)
            .await;
    }
}
