//! Photos and outcomes the cases build on.

use chrono::{DateTime, Utc};
use wisaw_domain::contracts::Outcome;
use wisaw_domain::model::{CreatePhoto, FiledReport, NewAbuseReport, NewPhoto, Photo};
use wisaw_domain::ports::MetadataStore;
use wisaw_domain::{DeviceId, PhotoId};

pub use wisaw_testkit::photos::new_photo_at as new_photo;

/// A report filed now from an unknown address, under the API's default quota.
pub fn report(photo: PhotoId, reporter: DeviceId) -> NewAbuseReport {
    report_from(photo, reporter, None)
}

pub fn report_from(photo: PhotoId, reporter: DeviceId, address: Option<&str>) -> NewAbuseReport {
    NewAbuseReport {
        photo_id: photo,
        reporter,
        client_address: address.map(str::to_string),
        filed_at: Utc::now(),
        reporters_per_address: 3,
        address_window: chrono::Duration::hours(24),
    }
}

pub fn ready(id: PhotoId) -> Outcome {
    Outcome::Ready {
        width: 4032,
        height: 3024,
        thumb_key: id.thumb_key(),
        display_key: id.display_key(),
    }
}

pub fn rejected(code: &str) -> Outcome {
    Outcome::Rejected {
        reason_code: code.into(),
        reason: format!("Refused: {code}."),
    }
}

/// Stored times keep microseconds.
pub fn to_micro_precision(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(time.timestamp_micros()).unwrap()
}

/// A photo of a new device, at (0, 0), taken now.
pub fn a_new_photo() -> NewPhoto {
    new_photo(DeviceId::new_random(), 0.0, 0.0, Utc::now())
}

/// Records `outcome` (attempt 0) for a photo that exists: the row after, and whether
/// the outcome changed it.
pub async fn recorded(store: &dyn MetadataStore, id: PhotoId, outcome: &Outcome) -> (Photo, bool) {
    store.record_outcome(id, outcome, 0).await.unwrap().unwrap()
}

/// A photo of `owner`'s, at (0, 0), created now.
pub async fn photo_of(store: &dyn MetadataStore, owner: DeviceId) -> PhotoId {
    created(store, &new_photo(owner, 0.0, 0.0, Utc::now()))
        .await
        .id
}

pub async fn created(store: &dyn MetadataStore, photo: &NewPhoto) -> Photo {
    match store.create_photo(photo).await.unwrap() {
        CreatePhoto::Created(row) => row,
        CreatePhoto::Existing(_) => panic!("{} existed already", photo.id),
    }
}

/// Through the whole pipeline's writes: created, processing, ready.
pub async fn ready_photo(store: &dyn MetadataStore, photo: &NewPhoto) -> Photo {
    created(store, photo).await;
    store.mark_processing(photo.id, "e").await.unwrap();
    let (row, changed) = recorded(store, photo.id, &ready(photo.id)).await;
    assert!(changed);
    row
}

/// Files a report: how it counts.
pub async fn filed(store: &dyn MetadataStore, report: &NewAbuseReport) -> FiledReport {
    store.add_abuse_report(report).await.unwrap()
}

/// A small deterministic generator, so a failing case can be replayed.
pub struct Rng(pub u64);

impl Rng {
    /// Uniform in [0, 1).
    pub fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn uuid(&mut self) -> uuid::Uuid {
        let mut bytes = [0u8; 16];
        for chunk in bytes.chunks_mut(4) {
            chunk.copy_from_slice(&((self.next() * 4_294_967_296.0) as u32).to_le_bytes());
        }
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }

    /// A point uniformly distributed on the sphere, in degrees.
    pub fn point_on_earth(&mut self) -> (f64, f64) {
        let lat = (2.0 * self.next() - 1.0).asin().to_degrees();
        let lon = 360.0 * self.next() - 180.0;
        (lat, lon)
    }
}
