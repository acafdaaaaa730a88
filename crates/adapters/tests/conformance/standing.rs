//! Which abuse reports count against a photo's owner: only those of reporters with
//! standing, and a few new reporters per client address and day.

use super::backend::Backend;
use super::fixtures::{
    filed, new_photo, photo_of, ready_photo, report, report_from, to_micro_precision,
};
use chrono::{Duration, Utc};
use wisaw_domain::model::{AbuseReport, FiledReport};
use wisaw_domain::ports::MetadataStore;
use wisaw_domain::{DeviceId, PhotoId};

/// A device with a photo of its own that reached `ready`.
async fn device_with_standing(store: &dyn MetadataStore) -> DeviceId {
    let device = DeviceId::new_random();
    ready_photo(store, &new_photo(device, 0.0, 0.0, Utc::now())).await;
    device
}

pub async fn made_up_reporters_are_kept_but_do_not_count(backend: Backend) {
    let store = backend.store();
    let owner = DeviceId::new_random();
    let photo = photo_of(store, owner).await;
    for _ in 0..4 {
        assert_eq!(
            filed(store, &report(photo, DeviceId::new_random())).await,
            FiledReport::WithoutStanding
        );
    }
    // A reporter whose own photo never got past awaiting_upload has no standing either.
    let uploader = DeviceId::new_random();
    photo_of(store, uploader).await;
    assert_eq!(
        filed(store, &report(photo, uploader)).await,
        FiledReport::WithoutStanding
    );
    assert_eq!(store.distinct_reporters_against(owner).await.unwrap(), 5);
    assert_eq!(store.counted_reporters_against(owner).await.unwrap(), 0);
}

pub async fn standing_is_a_photo_ready_before_the_report(backend: Backend) {
    let store = backend.store();
    let owner = DeviceId::new_random();
    let photo = photo_of(store, owner).await;
    let reporter = device_with_standing(store).await;

    // Filed (as of its time) before the reporter's photo was ready: no standing.
    let mut early = report(photo, reporter);
    early.filed_at = Utc::now() - Duration::hours(1);
    assert_eq!(filed(store, &early).await, FiledReport::WithoutStanding);
    assert_eq!(store.counted_reporters_against(owner).await.unwrap(), 0);

    let second = photo_of(store, owner).await;
    assert_eq!(
        filed(store, &report(second, reporter)).await,
        FiledReport::Counted
    );
    assert_eq!(
        filed(store, &report(second, reporter)).await,
        FiledReport::AlreadyFiled
    );
    assert_eq!(store.counted_reporters_against(owner).await.unwrap(), 1);
}

pub async fn one_address_brings_at_most_three_counted_reporters_a_day(backend: Backend) {
    let store = backend.store();
    let owner = DeviceId::new_random();
    let (photo, other_photo) = (photo_of(store, owner).await, photo_of(store, owner).await);
    let mut reporters = Vec::new();
    for _ in 0..5 {
        reporters.push(device_with_standing(store).await);
    }
    let from = |reporter, address: Option<&str>| report_from(photo, reporter, address);

    for (k, reporter) in reporters.iter().enumerate() {
        let answer = filed(store, &from(*reporter, Some("203.0.113.7"))).await;
        let expected = if k < 3 {
            FiledReport::Counted
        } else {
            FiledReport::OverAddressQuota
        };
        assert_eq!(answer, expected, "reporter {k}");
    }
    assert_eq!(store.counted_reporters_against(owner).await.unwrap(), 3);

    // A reporter already counted from that address still counts there.
    let again = report_from(other_photo, reporters[0], Some("203.0.113.7"));
    assert_eq!(filed(store, &again).await, FiledReport::Counted);
    // Another address has a quota of its own; so has "unknown".
    let elsewhere = report_from(other_photo, reporters[3], Some("198.51.100.1"));
    assert_eq!(filed(store, &elsewhere).await, FiledReport::Counted);
    let unknown = report_from(other_photo, reporters[4], None);
    assert_eq!(filed(store, &unknown).await, FiledReport::Counted);
    assert_eq!(store.counted_reporters_against(owner).await.unwrap(), 5);

    // A day later, the first address has room again.
    let newcomer = device_with_standing(store).await;
    let mut tomorrow = report_from(other_photo, newcomer, Some("203.0.113.7"));
    tomorrow.filed_at = Utc::now() + Duration::hours(25);
    assert_eq!(filed(store, &tomorrow).await, FiledReport::Counted);
    // ... while today's quota there stays spent.
    let late = report_from(
        photo,
        device_with_standing(store).await,
        Some("203.0.113.7"),
    );
    assert_eq!(filed(store, &late).await, FiledReport::OverAddressQuota);
}

pub async fn a_photos_reports_are_read_oldest_first_with_their_standing(backend: Backend) {
    let store = backend.store();
    let owner = DeviceId::new_random();
    let (photo, other_photo) = (photo_of(store, owner).await, photo_of(store, owner).await);
    assert_eq!(store.abuse_reports(photo).await.unwrap(), []);

    let (counted, unknown, over_quota) = (
        device_with_standing(store).await,
        DeviceId::new_random(),
        device_with_standing(store).await,
    );
    // Filed in this order, dated in another: the list follows the dates.
    let now = to_micro_precision(Utc::now());
    let mut filings = Vec::new();
    for (reporter, hours, expected) in [
        (counted, 3, FiledReport::Counted),
        (unknown, 1, FiledReport::WithoutStanding),
        (over_quota, 2, FiledReport::OverAddressQuota),
    ] {
        let mut filing = report_from(photo, reporter, Some("203.0.113.7"));
        filing.filed_at = now + Duration::hours(hours);
        filing.reporters_per_address = 1;
        assert_eq!(filed(store, &filing).await, expected);
        filings.push(filing);
    }
    // Filed again: nothing more to read.
    assert_eq!(filed(store, &filings[0]).await, FiledReport::AlreadyFiled);
    filed(store, &report(other_photo, unknown)).await;

    let read = |reporter, hours, reporter_standing, counts| AbuseReport {
        reporter,
        filed_at: now + Duration::hours(hours),
        reporter_standing,
        counts,
    };
    assert_eq!(
        store.abuse_reports(photo).await.unwrap(),
        [
            read(unknown, 1, false, false),
            read(over_quota, 2, true, false),
            read(counted, 3, true, true),
        ]
    );
    assert_eq!(store.abuse_reports(other_photo).await.unwrap().len(), 1);
    assert_eq!(
        store.abuse_reports(PhotoId::new_random()).await.unwrap(),
        []
    );

    assert!(store.delete_photo(photo).await.unwrap());
    assert_eq!(store.abuse_reports(photo).await.unwrap(), []);
}
