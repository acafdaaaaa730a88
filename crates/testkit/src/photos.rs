//! Photo rows as a ticket creates them.

use chrono::{DateTime, Utc};
use std::collections::HashMap;
use wisaw_domain::model::NewPhoto;
use wisaw_domain::{DeviceId, PhotoId};

/// A new photo of a new device, now, at (1, 2); change what a test cares about with
/// `NewPhoto { lat: …, ..new_photo(…) }`.
pub fn new_photo(content_type: &str, content_length: u64) -> NewPhoto {
    NewPhoto {
        id: PhotoId::new_random(),
        device_id: DeviceId::new_random(),
        lat: 1.0,
        lon: 2.0,
        content_type: content_type.to_string(),
        content_length,
        created_at: Utc::now(),
    }
}

/// A new JPEG photo of `device`, taken at a place and a time.
pub fn new_photo_at(device: DeviceId, lat: f64, lon: f64, created_at: DateTime<Utc>) -> NewPhoto {
    NewPhoto {
        device_id: device,
        lat,
        lon,
        created_at,
        ..new_photo("image/jpeg", 1234)
    }
}

/// The decoded query of a signed URL, by parameter name.
pub fn signed_query(url: &str) -> HashMap<String, String> {
    let url = reqwest::Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    url.query_pairs().into_owned().collect()
}
