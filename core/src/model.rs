//! The photo record and the feed, as the metadata store keeps them.

use crate::ids::{DeviceId, PhotoId};
use crate::status::PhotoStatus;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A photo row. `device_id` is private: it never leaves the API in a feed or status answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Photo {
    pub id: PhotoId,
    pub device_id: DeviceId,
    pub lat: f64,
    pub lon: f64,
    pub status: PhotoStatus,
    pub content_type: String,
    pub content_length: u64,
    pub reason_code: Option<String>,
    pub reason: Option<String>,
    /// Upright dimensions of the original, once ready.
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub thumb_key: Option<String>,
    pub display_key: Option<String>,
    /// The latest execution that processed this photo.
    pub execution_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a ticket request creates.
#[derive(Clone, Debug, PartialEq)]
pub struct NewPhoto {
    pub id: PhotoId,
    pub device_id: DeviceId,
    pub lat: f64,
    pub lon: f64,
    pub content_type: String,
    pub content_length: u64,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum CreatePhoto {
    /// A new row was written.
    Created(Photo),
    /// A photo with that id already existed (from this device or another); it is returned unchanged.
    Existing(Photo),
}

/// Where a feed page starts: after this (distance, id) in nearest-first order.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeedPosition {
    pub distance_meters: f64,
    pub photo_id: PhotoId,
}

/// Ready photos created in `[window_start, window_end)`, ordered by distance from
/// (`lat`, `lon`), then by photo id, starting after `after`.
#[derive(Clone, Debug, PartialEq)]
pub struct FeedQuery {
    pub lat: f64,
    pub lon: f64,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub limit: u32,
    pub after: Option<FeedPosition>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FeedItem {
    pub photo: Photo,
    pub distance_meters: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FeedPage {
    pub items: Vec<FeedItem>,
    /// Set when more photos follow.
    pub next: Option<FeedPosition>,
}
