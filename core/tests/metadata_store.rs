//! The SQLite metadata store, on a real database file.

use chrono::{DateTime, Duration, TimeZone, Utc};
use wisaw_core::adapters::sqlite::SqliteMetadataStore;
use wisaw_core::contracts::Outcome;
use wisaw_core::geo::distance_meters;
use wisaw_core::model::{CreatePhoto, FeedQuery, NewPhoto, Photo};
use wisaw_core::ports::MetadataStore;
use wisaw_core::{DeviceId, PhotoId, PhotoStatus, PortError};

async fn store() -> (tempfile::TempDir, SqliteMetadataStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteMetadataStore::open(dir.path().join("meta.db"))
        .await
        .unwrap();
    (dir, store)
}

fn new_photo(device: DeviceId, lat: f64, lon: f64, created_at: DateTime<Utc>) -> NewPhoto {
    NewPhoto {
        id: PhotoId::new_random(),
        device_id: device,
        lat,
        lon,
        content_type: "image/jpeg".into(),
        content_length: 1234,
        created_at,
    }
}

fn ready(id: PhotoId) -> Outcome {
    Outcome::Ready {
        width: 4032,
        height: 3024,
        thumb_key: id.thumb_key(),
        display_key: id.display_key(),
    }
}

/// Stored times keep microseconds.
fn to_micro_precision(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(time.timestamp_micros()).unwrap()
}

async fn created(store: &SqliteMetadataStore, photo: &NewPhoto) -> Photo {
    match store.create_photo(photo).await.unwrap() {
        CreatePhoto::Created(row) => row,
        CreatePhoto::Existing(_) => panic!("{} existed already", photo.id),
    }
}

#[tokio::test]
async fn create_is_insert_if_absent() {
    let (_dir, store) = store().await;
    let photo = new_photo(DeviceId::new_random(), 37.77, -122.42, Utc::now());
    let row = created(&store, &photo).await;
    assert_eq!(row.status, PhotoStatus::AwaitingUpload);
    assert_eq!(
        (row.lat, row.lon, row.content_length),
        (37.77, -122.42, 1234)
    );
    assert_eq!(row.created_at, to_micro_precision(photo.created_at));

    // Same id from another device, with other values: the first row stands.
    let mut again = new_photo(DeviceId::new_random(), 1.0, 2.0, Utc::now());
    again.id = photo.id;
    assert_eq!(
        store.create_photo(&again).await.unwrap(),
        CreatePhoto::Existing(row.clone())
    );
    assert_eq!(store.get_photo(photo.id).await.unwrap(), Some(row));
    assert_eq!(store.get_photo(PhotoId::new_random()).await.unwrap(), None);
}

#[tokio::test]
async fn the_lifecycle_guards_every_move() {
    let (_dir, store) = store().await;
    let photo = new_photo(DeviceId::new_random(), 0.0, 0.0, Utc::now());
    let id = photo.id;
    created(&store, &photo).await;

    // Not uploaded yet: no outcome can be recorded.
    let (row, changed) = store.record_outcome(id, &ready(id)).await.unwrap().unwrap();
    assert!(!changed);
    assert_eq!(row.status, PhotoStatus::AwaitingUpload);

    let row = store.mark_processing(id, "exec-1").await.unwrap().unwrap();
    assert_eq!(row.status, PhotoStatus::Processing);
    assert_eq!(row.execution_name.as_deref(), Some("exec-1"));
    // The same execution again leaves the row untouched.
    let again = store.mark_processing(id, "exec-1").await.unwrap().unwrap();
    assert_eq!(again, row);

    let failed = Outcome::Failed {
        error: "Wisaw.Transient".into(),
        cause: "store down".into(),
    };
    let (row, changed) = store.record_outcome(id, &failed).await.unwrap().unwrap();
    assert!(changed);
    assert_eq!(row.status, PhotoStatus::Failed);
    assert_eq!(row.reason_code.as_deref(), Some("Wisaw.Transient"));
    assert_eq!(row.reason.as_deref(), Some("store down"));

    // A replay takes a failed photo back to processing, clearing the failure.
    let row = store
        .mark_processing(id, "exec-1-replay-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, PhotoStatus::Processing);
    assert_eq!(row.execution_name.as_deref(), Some("exec-1-replay-1"));
    assert_eq!((row.reason_code, row.reason), (None, None));

    let (row, changed) = store.record_outcome(id, &ready(id)).await.unwrap().unwrap();
    assert!(changed);
    assert_eq!(row.status, PhotoStatus::Ready);
    assert_eq!((row.width, row.height), (Some(4032), Some(3024)));
    assert_eq!(row.thumb_key, Some(id.thumb_key()));
    assert_eq!(row.display_key, Some(id.display_key()));

    // Ready is final: neither processing again nor another outcome.
    let after = store.mark_processing(id, "exec-2").await.unwrap().unwrap();
    assert_eq!(after, row);
    let rejected = Outcome::Rejected {
        reason_code: "corrupt".into(),
        reason: "Broken.".into(),
    };
    let (after, changed) = store.record_outcome(id, &rejected).await.unwrap().unwrap();
    assert!(!changed);
    assert_eq!(after, row);

    assert!(store
        .mark_processing(PhotoId::new_random(), "x")
        .await
        .unwrap()
        .is_none());
    assert!(store
        .record_outcome(PhotoId::new_random(), &ready(id))
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn repeating_an_outcome_changes_nothing_not_even_updated_at() {
    let (_dir, store) = store().await;
    let photo = new_photo(DeviceId::new_random(), 0.0, 0.0, Utc::now());
    let id = photo.id;
    created(&store, &photo).await;
    store.mark_processing(id, "e").await.unwrap();
    let rejected = Outcome::Rejected {
        reason_code: "corrupt".into(),
        reason: "Broken.".into(),
    };
    let (first, changed) = store.record_outcome(id, &rejected).await.unwrap().unwrap();
    assert!(changed);
    assert_eq!(first.status, PhotoStatus::Rejected);
    assert_eq!(first.reason_code.as_deref(), Some("corrupt"));
    assert_eq!(first.width, None);

    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let (second, changed) = store.record_outcome(id, &rejected).await.unwrap().unwrap();
    assert!(!changed);
    assert_eq!(second, first, "updated_at included");

    // The same status with other values is a change.
    let other = Outcome::Rejected {
        reason_code: "empty".into(),
        reason: "Empty.".into(),
    };
    let (third, changed) = store.record_outcome(id, &other).await.unwrap().unwrap();
    assert!(changed);
    assert_eq!(third.reason_code.as_deref(), Some("empty"));
    assert!(third.updated_at > first.updated_at);
}

/// A small deterministic generator, so a failing case can be replayed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[tokio::test]
async fn the_feed_pages_nearest_first_exactly_like_a_full_sort() {
    let (_dir, store) = store().await;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let window_start = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    let window_end = window_start + Duration::hours(24);
    let (lat, lon) = (37.7749, -122.4194);
    let device = DeviceId::new_random();
    let mut all = Vec::new();
    for i in 0..300 {
        // Some photos share a spot, so the id has to break ties.
        let (plat, plon) = if i % 10 == 0 {
            (37.78, -122.41)
        } else {
            (
                lat + (rng.next() - 0.5) * 2.0,
                lon + (rng.next() - 0.5) * 2.0,
            )
        };
        // About a fifth fall outside the window, on either side.
        let offset = Duration::seconds(((rng.next() * 1.4 - 0.2) * 86_400.0) as i64);
        let photo = new_photo(device, plat, plon, window_start + offset);
        created(&store, &photo).await;
        if rng.next() < 0.8 {
            store.mark_processing(photo.id, "e").await.unwrap();
            store
                .record_outcome(photo.id, &ready(photo.id))
                .await
                .unwrap();
        }
        all.push(store.get_photo(photo.id).await.unwrap().unwrap());
    }
    // The edges of the window: start included, end excluded.
    for created_at in [window_start, window_end] {
        let photo = new_photo(device, lat, lon, created_at);
        created(&store, &photo).await;
        store.mark_processing(photo.id, "e").await.unwrap();
        store
            .record_outcome(photo.id, &ready(photo.id))
            .await
            .unwrap();
        all.push(store.get_photo(photo.id).await.unwrap().unwrap());
    }

    let mut expected: Vec<(f64, PhotoId)> = all
        .iter()
        .filter(|p| p.status == PhotoStatus::Ready)
        .filter(|p| p.created_at >= window_start && p.created_at < window_end)
        .map(|p| (distance_meters(lat, lon, p.lat, p.lon), p.id))
        .collect();
    expected.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    assert!(
        expected.len() > 150,
        "the window should hold most photos: {}",
        expected.len()
    );
    assert!(expected.iter().any(|(_, id)| all
        .iter()
        .any(|p| p.id == *id && p.created_at == window_start)));

    let mut query = FeedQuery {
        lat,
        lon,
        window_start,
        window_end,
        limit: 17,
        after: None,
    };
    let mut paged = Vec::new();
    let mut pages = 0;
    loop {
        let page = store.feed(&query).await.unwrap();
        pages += 1;
        assert!(page.items.len() <= 17);
        for item in &page.items {
            assert_eq!(item.photo.status, PhotoStatus::Ready);
            paged.push((item.distance_meters, item.photo.id));
        }
        match page.next {
            Some(next) => {
                let last = page.items.last().unwrap();
                assert_eq!(
                    (next.distance_meters, next.photo_id),
                    (last.distance_meters, last.photo.id)
                );
                query.after = Some(next);
            }
            None => break,
        }
    }
    assert_eq!(paged, expected);
    assert_eq!(pages, expected.len().div_ceil(17));
}

#[tokio::test]
async fn reporters_are_counted_once_per_device_across_an_owners_photos() {
    let (_dir, store) = store().await;
    let (owner, other_owner) = (DeviceId::new_random(), DeviceId::new_random());
    let p1 = created(&store, &new_photo(owner, 0.0, 0.0, Utc::now()))
        .await
        .id;
    let p2 = created(&store, &new_photo(owner, 0.0, 0.0, Utc::now()))
        .await
        .id;
    let p3 = created(&store, &new_photo(other_owner, 0.0, 0.0, Utc::now()))
        .await
        .id;
    let (r1, r2) = (DeviceId::new_random(), DeviceId::new_random());

    assert!(store.add_abuse_report(p1, r1).await.unwrap());
    assert!(
        !store.add_abuse_report(p1, r1).await.unwrap(),
        "one report per device and photo"
    );
    assert!(store.add_abuse_report(p2, r1).await.unwrap());
    assert!(store.add_abuse_report(p2, r2).await.unwrap());
    assert!(store.add_abuse_report(p3, r2).await.unwrap());
    assert_eq!(store.distinct_reporters_against(owner).await.unwrap(), 2);
    assert_eq!(
        store.distinct_reporters_against(other_owner).await.unwrap(),
        1
    );
    assert_eq!(
        store
            .distinct_reporters_against(DeviceId::new_random())
            .await
            .unwrap(),
        0
    );

    let missing = store.add_abuse_report(PhotoId::new_random(), r1).await;
    assert!(
        matches!(missing, Err(PortError::NotFound(_))),
        "{missing:?}"
    );
}

#[tokio::test]
async fn deleting_a_photo_takes_its_reports_and_claims_along() {
    let (_dir, store) = store().await;
    let owner = DeviceId::new_random();
    let p1 = created(&store, &new_photo(owner, 0.0, 0.0, Utc::now()))
        .await
        .id;
    let p2 = created(&store, &new_photo(owner, 0.0, 0.0, Utc::now()))
        .await
        .id;
    store
        .add_abuse_report(p1, DeviceId::new_random())
        .await
        .unwrap();
    store
        .add_abuse_report(p2, DeviceId::new_random())
        .await
        .unwrap();
    assert!(store.claim_notification(p1, "photo.ready").await.unwrap());
    assert_eq!(store.distinct_reporters_against(owner).await.unwrap(), 2);

    assert!(store.delete_photo(p1).await.unwrap());
    assert!(!store.delete_photo(p1).await.unwrap());
    assert_eq!(store.get_photo(p1).await.unwrap(), None);
    assert_eq!(store.distinct_reporters_against(owner).await.unwrap(), 1);
    let left: (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM abuse_reports WHERE photo_id = ?1), \
                (SELECT COUNT(*) FROM notifications_sent WHERE photo_id = ?1)",
    )
    .bind(p1.to_string())
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(left, (0, 0));
    assert!(store.get_photo(p2).await.unwrap().is_some());
}

#[tokio::test]
async fn a_notification_is_claimed_once_until_released() {
    let (_dir, store) = store().await;
    let id = created(
        &store,
        &new_photo(DeviceId::new_random(), 0.0, 0.0, Utc::now()),
    )
    .await
    .id;
    assert!(store.claim_notification(id, "photo.ready").await.unwrap());
    assert!(!store.claim_notification(id, "photo.ready").await.unwrap());
    assert!(
        store
            .claim_notification(id, "photo.rejected")
            .await
            .unwrap(),
        "per event type"
    );
    store.release_notification(id, "photo.ready").await.unwrap();
    assert!(store.claim_notification(id, "photo.ready").await.unwrap());
    // Releasing what was never claimed is harmless.
    store
        .release_notification(PhotoId::new_random(), "photo.ready")
        .await
        .unwrap();
}

#[tokio::test]
async fn rows_survive_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("meta.db");
    let photo = new_photo(DeviceId::new_random(), 1.5, 2.5, Utc::now());
    let row = {
        let store = SqliteMetadataStore::open(&path).await.unwrap();
        let row = created(&store, &photo).await;
        store.pool().close().await;
        row
    };
    let store = SqliteMetadataStore::open(&path).await.unwrap();
    assert_eq!(store.get_photo(photo.id).await.unwrap(), Some(row));
}
