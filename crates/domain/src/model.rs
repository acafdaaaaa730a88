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

/// An abuse report as the API files it, with what decides whether it counts against
/// the photo's owner (see [`crate::ports::MetadataStore::add_abuse_report`]).
#[derive(Clone, Debug, PartialEq)]
pub struct NewAbuseReport {
    pub photo_id: PhotoId,
    pub reporter: DeviceId,
    /// The client address the report came from, as [`client_address_bucket`] writes it;
    /// `None` when the address is unknown (all unknown addresses share one quota).
    pub client_address: Option<String>,
    pub filed_at: DateTime<Utc>,
    /// At most this many distinct reporters from one client address count ...
    pub reporters_per_address: u32,
    /// ... within this long before `filed_at`.
    pub address_window: chrono::Duration,
}

/// A filed abuse report, as an operator reads it on the photo's page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AbuseReport {
    pub reporter: DeviceId,
    pub filed_at: DateTime<Utc>,
    /// Whether the reporter had a ready photo of its own when it reported.
    pub reporter_standing: bool,
    /// Whether it counts against the photo's owner.
    pub counts: bool,
}

/// What filing a report did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FiledReport {
    /// A new report that counts against the photo's owner.
    Counted,
    /// A new report, kept, that does not count: the reporter had no photo of its own
    /// ready when it filed the report.
    WithoutStanding,
    /// A new report, kept, that does not count: its client address already brought as
    /// many counted reporters as the quota allows within the window.
    OverAddressQuota,
    /// This device had reported this photo already; nothing changed.
    AlreadyFiled,
}

impl FiledReport {
    /// A new report, from the two facts a store records with it.
    pub fn new(reporter_standing: bool, counts: bool) -> Self {
        match (reporter_standing, counts) {
            (true, true) => Self::Counted,
            (false, _) => Self::WithoutStanding,
            (true, false) => Self::OverAddressQuota,
        }
    }

    pub fn counts(self) -> bool {
        self == Self::Counted
    }
}

/// The quota key of a client address: an IPv4 address as it is, an IPv6 address by its
/// /64 network (one subscriber line usually holds a whole /64).
pub fn client_address_bucket(address: std::net::IpAddr) -> String {
    match address.to_canonical() {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => {
            let network = u128::from(v6) & !((1u128 << 64) - 1);
            format!("{}/64", std::net::Ipv6Addr::from(network))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::client_address_bucket;

    #[test]
    fn ipv6_clients_share_a_quota_per_64_network() {
        let bucket = |s: &str| client_address_bucket(s.parse().unwrap());
        assert_eq!(bucket("203.0.113.7"), "203.0.113.7");
        assert_eq!(bucket("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(bucket("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(
            bucket("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            bucket("2001:db8:1:2::")
        );
        assert_ne!(bucket("2001:db8:1:3::1"), bucket("2001:db8:1:2::1"));
    }
}
