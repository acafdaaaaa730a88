//! The feed: ready photos of one time window, nearest first, in pages that join up
//! exactly, checked against a brute-force sort.

use super::backend::Backend;
use super::fixtures::{new_photo, ready_photo, Rng};
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::collections::HashSet;
use wisaw_domain::geo::distance_meters;
use wisaw_domain::model::{FeedItem, FeedPage, FeedQuery, Photo};
use wisaw_domain::ports::MetadataStore;
use wisaw_domain::{DeviceId, PhotoId, PhotoStatus};

fn window_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap()
}

fn query(lat: f64, lon: f64, limit: u32) -> FeedQuery {
    FeedQuery {
        lat,
        lon,
        window_start: window_start(),
        window_end: window_start() + Duration::hours(24),
        limit,
        after: None,
    }
}

/// What the feed must answer, computed the slow way: every ready photo of the window,
/// by great-circle distance, then by id.
fn brute_force<'a>(photos: impl IntoIterator<Item = &'a Photo>, query: &FeedQuery) -> Vec<PhotoId> {
    let mut found: Vec<(f64, PhotoId)> = photos
        .into_iter()
        .filter(|p| p.status == PhotoStatus::Ready)
        .filter(|p| p.created_at >= query.window_start && p.created_at < query.window_end)
        .map(|p| (distance_meters(query.lat, query.lon, p.lat, p.lon), p.id))
        .collect();
    found.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    found.into_iter().map(|(_, id)| id).collect()
}

/// One page, checked for what every page promises.
async fn read_page(store: &dyn MetadataStore, query: &FeedQuery) -> FeedPage {
    let page = store.feed(query).await.unwrap();
    let limit = query.limit.max(1) as usize;
    assert!(page.items.len() <= limit, "{} > {limit}", page.items.len());
    for item in &page.items {
        let photo = &item.photo;
        assert_eq!(photo.status, PhotoStatus::Ready);
        assert!(photo.created_at >= query.window_start && photo.created_at < query.window_end);
        assert_eq!(
            item.distance_meters,
            distance_meters(query.lat, query.lon, photo.lat, photo.lon),
            "the distance shown is the great-circle one"
        );
    }
    if let Some(next) = page.next {
        assert_eq!(page.items.len(), limit, "only a full page has a next one");
        assert_eq!(next.photo_id, page.items.last().unwrap().photo.id);
    }
    page
}

/// Every page from `query.after` on; returns the items and how many pages it took.
async fn read_all_pages(store: &dyn MetadataStore, mut query: FeedQuery) -> (Vec<FeedItem>, usize) {
    let (mut items, mut pages) = (Vec::new(), 0);
    loop {
        let page = read_page(store, &query).await;
        items.extend(page.items);
        pages += 1;
        assert!(pages <= 100_000, "the feed never ends");
        match page.next {
            Some(after) => query.after = Some(after),
            None => return (items, pages),
        }
    }
}

fn ids(items: &[FeedItem]) -> Vec<PhotoId> {
    items.iter().map(|item| item.photo.id).collect()
}

/// Equal lists, or a message pointing at the first difference.
fn assert_same_photos(actual: &[PhotoId], expected: &[PhotoId], context: &str) {
    if let Some(i) =
        (0..actual.len().max(expected.len())).find(|&i| actual.get(i) != expected.get(i))
    {
        panic!(
            "{context}: first difference at position {i} of {} (expected {}): got {:?}, expected {:?}",
            actual.len(),
            expected.len(),
            actual.get(i),
            expected.get(i)
        );
    }
    let distinct: HashSet<_> = actual.iter().collect();
    assert_eq!(
        distinct.len(),
        actual.len(),
        "{context}: a photo came twice"
    );
}

pub async fn the_feed_pages_nearest_first_exactly_like_a_full_sort(backend: Backend) {
    let store = backend.store();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
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
        let photo = new_photo(device, plat, plon, window_start() + offset);
        if rng.next() < 0.8 {
            all.push(ready_photo(store, &photo).await);
        } else {
            store.create_photo(&photo).await.unwrap();
            all.push(store.get_photo(photo.id).await.unwrap().unwrap());
        }
    }
    // The edges of the window: start included, end excluded.
    let q = query(lat, lon, 17);
    for created_at in [q.window_start, q.window_end] {
        all.push(ready_photo(store, &new_photo(device, lat, lon, created_at)).await);
    }

    let expected = brute_force(&all, &q);
    assert!(
        expected.len() > 150,
        "the window should hold most photos: {}",
        expected.len()
    );
    assert!(expected.contains(&all[300].id) && !expected.contains(&all[301].id));

    let (items, pages) = read_all_pages(store, q).await;
    assert_same_photos(&ids(&items), &expected, "limit 17");
    assert_eq!(pages, expected.len().div_ceil(17));
    for item in &items {
        let stored = all.iter().find(|p| p.id == item.photo.id).unwrap();
        assert_eq!(&item.photo, stored);
    }
}

/// `count` photos anywhere on Earth, created across four days around the day the
/// queries look at, most of them ready; some crowd on a few spots so that ties on the
/// distance straddle page boundaries.
fn photos_around_the_world(rng: &mut Rng, count: usize) -> Vec<Photo> {
    let crowded_spots = [
        (48.8584, 2.2945, 150),
        (-22.9519, -43.2105, 40),
        (35.6586, 139.7454, 40),
    ];
    let spot_of = |i: usize| {
        let mut first = 0;
        for &(lat, lon, size) in &crowded_spots {
            if (first..first + size).contains(&i) {
                return Some((lat, lon));
            }
            first += size;
        }
        None
    };
    let devices: Vec<DeviceId> = (0..50).map(|_| DeviceId(rng.uuid())).collect();
    (0..count)
        .map(|i| {
            let (lat, lon) = spot_of(i).unwrap_or_else(|| rng.point_on_earth());
            let crowded = spot_of(i).is_some();
            let micros = if crowded {
                // Inside the window, so the whole crowd is in the feed.
                (rng.next() * 86_400e6) as i64
            } else {
                ((rng.next() * 4.0 - 1.0) * 86_400e6) as i64
            };
            let created_at = window_start() + Duration::microseconds(micros);
            let id = PhotoId(rng.uuid());
            let roll = rng.next();
            let status = match roll {
                _ if crowded || roll < 0.8 => PhotoStatus::Ready,
                _ if roll < 0.85 => PhotoStatus::AwaitingUpload,
                _ if roll < 0.9 => PhotoStatus::Processing,
                _ if roll < 0.95 => PhotoStatus::Rejected,
                _ => PhotoStatus::Failed,
            };
            let is_ready = status == PhotoStatus::Ready;
            let refused = matches!(status, PhotoStatus::Rejected | PhotoStatus::Failed);
            Photo {
                id,
                device_id: devices[i % devices.len()],
                lat,
                lon,
                status,
                content_type: "image/jpeg".into(),
                content_length: 1_000 + i as u64,
                reason_code: refused.then(|| "corrupt".to_string()),
                reason: refused.then(|| "The file is damaged.".to_string()),
                width: is_ready.then_some(4032),
                height: is_ready.then_some(3024),
                thumb_key: is_ready.then(|| id.thumb_key()),
                display_key: is_ready.then(|| id.display_key()),
                execution_name: (status != PhotoStatus::AwaitingUpload).then(|| id.to_string()),
                created_at,
                updated_at: created_at + Duration::seconds(3),
            }
        })
        .collect()
}

pub async fn the_feed_matches_a_brute_force_sort_of_ten_thousand_photos(backend: Backend) {
    let store = backend.store();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let photos = photos_around_the_world(&mut rng, 10_000);
    backend.insert_photos(&photos).await;
    for photo in photos.iter().step_by(997) {
        assert_eq!(
            store.get_photo(photo.id).await.unwrap().as_ref(),
            Some(photo)
        );
    }

    let points = [
        (37.7749, -122.4194, 100),
        (48.8584, 2.2945, 100), // in the largest crowd: 150 photos at distance 0
        (-33.8688, 151.2093, 100),
        (89.99, 45.0, 100),
        (-12.0, 179.95, 100),
        (0.0, 0.0, 37),
        (35.6586, 139.7454, 37),
    ];
    for (lat, lon, limit) in points {
        let q = query(lat, lon, limit);
        let expected = brute_force(&photos, &q);
        assert!(expected.len() > 2_000, "{}", expected.len());
        let (items, pages) = read_all_pages(store, q).await;
        let context = format!("from ({lat}, {lon}) by {limit}");
        assert_same_photos(&ids(&items), &expected, &context);
        assert_eq!(pages, expected.len().div_ceil(limit as usize), "{context}");
    }
}

pub async fn a_photo_inserted_between_pages_is_neither_repeated_nor_skips_another(
    backend: Backend,
) {
    let store = backend.store();
    let (lat, lon) = (48.8566, 2.3522);
    let at = |north: f64| (lat + north, lon);
    let in_window = window_start() + Duration::hours(6);
    let device = DeviceId::new_random();
    let mut all = Vec::new();
    // Sixty photos northwards, one every 0.001° (about 111 m).
    for i in 0..60 {
        let (plat, plon) = at(0.001 * f64::from(i + 1));
        all.push(ready_photo(store, &new_photo(device, plat, plon, in_window)).await);
    }

    let mut q = query(lat, lon, 10);
    let first = read_page(store, &q).await;
    let first_ids = ids(&first.items);
    assert_same_photos(&first_ids, &brute_force(&all, &q)[..10], "first page");
    let cursor = first.next.expect("more pages");
    let last = &first.items[9].photo;

    // Then, before the next page is asked for:
    let near = ready_photo(store, &new_photo(device, at(0.0045).0, lon, in_window)).await;
    let far = ready_photo(store, &new_photo(device, at(0.0305).0, lon, in_window)).await;
    // Two at the very spot of the page's last photo, one on each side of it by id.
    let beside = |id: u128| {
        let mut photo = new_photo(device, last.lat, last.lon, in_window);
        photo.id = PhotoId(uuid::Uuid::from_u128(id));
        photo
    };
    let tie_before = ready_photo(store, &beside(last.id.0.as_u128() - 1)).await;
    let tie_after = ready_photo(store, &beside(last.id.0.as_u128() + 1)).await;

    q.after = Some(cursor);
    let (rest, _) = read_all_pages(store, q.clone()).await;
    let rest_ids = ids(&rest);
    assert_eq!(
        rest_ids.first(),
        Some(&tie_after.id),
        "continues right after the cursor"
    );
    assert!(rest_ids.contains(&far.id));
    for absent in [near.id, tie_before.id] {
        assert!(!rest_ids.contains(&absent), "before the cursor: {absent}");
    }

    // Exactly the photos that come after the first page in today's full order.
    let mut everything = all.clone();
    everything.extend([far, tie_after]);
    q.after = None;
    let mut expected = brute_force(&everything, &q);
    expected.drain(..10);
    assert_same_photos(&rest_ids, &expected, "the pages after the insert");
    let seen: HashSet<_> = first_ids.iter().chain(&rest_ids).collect();
    assert_eq!(seen.len(), 10 + rest_ids.len(), "no photo twice");
}

pub async fn a_limit_of_zero_reads_as_one_so_paging_moves_forward(backend: Backend) {
    let store = backend.store();
    let device = DeviceId::new_random();
    let in_window = window_start() + Duration::hours(1);
    let mut all = Vec::new();
    for north in [0.3, 0.1, 0.2] {
        all.push(ready_photo(store, &new_photo(device, 10.0 + north, 20.0, in_window)).await);
    }
    let q = query(10.0, 20.0, 0);
    let (items, pages) = read_all_pages(store, q.clone()).await;
    assert_eq!(pages, 3);
    assert_same_photos(&ids(&items), &brute_force(&all, &q), "limit 0");

    let empty = store
        .feed(&FeedQuery {
            window_start: q.window_start - Duration::days(7),
            window_end: q.window_start - Duration::days(6),
            ..q
        })
        .await
        .unwrap();
    assert!(empty.items.is_empty() && empty.next.is_none());
}

/// Postgres only: a page is an index scan ordered by distance, not a sort of the window.
pub async fn the_feed_is_read_from_the_spatial_index(backend: Backend) {
    let store = backend.postgres_store().expect("a Postgres store");
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    backend
        .insert_photos(&photos_around_the_world(&mut rng, 10_000))
        .await;

    let mut q = query(37.7749, -122.4194, 100);
    let first = store.explain_feed(&q).await.unwrap().join("\n");
    q.after = backend.store().feed(&q).await.unwrap().next;
    let second = store.explain_feed(&q).await.unwrap().join("\n");
    for plan in [&first, &second] {
        println!("{plan}\n");
        assert!(
            plan.contains("Index Scan using photos_ready_nearby"),
            "{plan}"
        );
        assert!(plan.contains("Order By: "), "ordered by the index: {plan}");
        assert!(!plan.contains("Sort Key"), "no sort of the window: {plan}");
    }
}
