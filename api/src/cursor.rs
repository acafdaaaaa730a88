//! The feed's cursor: where the next page starts and the query it belongs to,
//! authenticated with the server's key. The window's anchor travels inside it, so
//! the 24-hour window does not slide while the app pages through it.
//!
//! A cursor is client input: the server only believes one it signed itself. Its bytes
//! are a fixed layout (version, anchor, daysAgo, lat, lon, distance, photo id) followed
//! by an HMAC-SHA256 of them, all base64url. Floating-point values travel as their
//! IEEE-754 bits: the next page must start exactly after the last item of this one.
//! Every field is checked again after the signature, so that a cursor signed under
//! other limits (or a bug) still cannot reach the window arithmetic out of bounds.

use crate::feed_window::MAX_DAYS_AGO;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use wisaw_domain::geo::{valid_lat, valid_lon};
use wisaw_domain::model::FeedPosition;
use wisaw_domain::PhotoId;

type HmacSha256 = Hmac<Sha256>;

const VERSION: u8 = 1;
const PAYLOAD_LEN: usize = 1 + 8 + 2 + 8 + 8 + 8 + 16;
const TAG_LEN: usize = 32;

/// The key cursors are signed with. Its `Debug` never shows it.
#[derive(Clone)]
pub struct CursorKey([u8; 32]);

impl CursorKey {
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A key of its own derived from a wider secret (HMAC(secret, "feed-cursor")), so a
    /// cursor's tag can never stand for a signed URL's, or the reverse.
    pub fn derived_from(secret: &[u8]) -> Self {
        Self(wisaw_domain::keys::derived_key(secret, "feed-cursor"))
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key length")
    }
}

impl fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct FeedCursor {
    pub anchor: DateTime<Utc>,
    pub days_ago: u32,
    pub lat: f64,
    pub lon: f64,
    pub after: FeedPosition,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the cursor is not one this feed handed out")]
pub struct BadCursor;

impl FeedCursor {
    pub fn encode(&self, key: &CursorKey) -> String {
        let payload = self.payload();
        let mut mac = key.mac();
        mac.update(&payload);
        let mut bytes = payload.to_vec();
        bytes.extend_from_slice(&mac.finalize().into_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    pub fn decode(text: &str, key: &CursorKey) -> Result<Self, BadCursor> {
        // Checked before decoding, so a huge parameter costs nothing.
        if text.len() > (PAYLOAD_LEN + TAG_LEN).div_ceil(3) * 4 {
            return Err(BadCursor);
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| BadCursor)?;
        if bytes.len() != PAYLOAD_LEN + TAG_LEN {
            return Err(BadCursor);
        }
        let (payload, tag) = bytes.split_at(PAYLOAD_LEN);
        let mut mac = key.mac();
        mac.update(payload);
        // Constant time: a forger learns nothing from how long a refusal takes.
        mac.verify_slice(tag).map_err(|_| BadCursor)?;
        Self::from_payload(payload).ok_or(BadCursor)
    }

    fn payload(&self) -> [u8; PAYLOAD_LEN] {
        let mut out = [0u8; PAYLOAD_LEN];
        let mut at = 0;
        let mut put = |bytes: &[u8]| {
            out[at..at + bytes.len()].copy_from_slice(bytes);
            at += bytes.len();
        };
        put(&[VERSION]);
        put(&self.anchor.timestamp_micros().to_be_bytes());
        // daysAgo is at most MAX_DAYS_AGO; the page handler never signs more.
        put(&u16::try_from(self.days_ago)
            .unwrap_or(u16::MAX)
            .to_be_bytes());
        put(&self.lat.to_bits().to_be_bytes());
        put(&self.lon.to_bits().to_be_bytes());
        put(&self.after.distance_meters.to_bits().to_be_bytes());
        put(self.after.photo_id.0.as_bytes());
        out
    }

    fn from_payload(payload: &[u8]) -> Option<Self> {
        let (&version, rest) = payload.split_first()?;
        if version != VERSION {
            return None;
        }
        let (anchor, rest) = rest.split_at(8);
        let (days_ago, rest) = rest.split_at(2);
        let (lat, rest) = rest.split_at(8);
        let (lon, rest) = rest.split_at(8);
        let (distance, photo_id) = rest.split_at(8);
        let f64_of = |b: &[u8]| Some(f64::from_bits(u64::from_be_bytes(b.try_into().ok()?)));
        let cursor = Self {
            anchor: DateTime::from_timestamp_micros(i64::from_be_bytes(anchor.try_into().ok()?))?,
            days_ago: u32::from(u16::from_be_bytes(days_ago.try_into().ok()?)),
            lat: f64_of(lat)?,
            lon: f64_of(lon)?,
            after: FeedPosition {
                distance_meters: f64_of(distance)?,
                photo_id: PhotoId(uuid::Uuid::from_slice(photo_id).ok()?),
            },
        };
        cursor.is_within_bounds().then_some(cursor)
    }

    fn is_within_bounds(&self) -> bool {
        self.days_ago <= MAX_DAYS_AGO
            && valid_lat(self.lat)
            && valid_lon(self.lon)
            && self.after.distance_meters.is_finite()
            && self.after.distance_meters >= 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> CursorKey {
        CursorKey::derived_from(b"test secret")
    }

    fn sample() -> FeedCursor {
        FeedCursor {
            anchor: "2026-11-26T22:40:00.123456Z".parse().unwrap(),
            days_ago: 3,
            lat: 37.77,
            lon: -122.41,
            after: FeedPosition {
                distance_meters: 812.5000000000001,
                photo_id: "0b6f5c2e-7a8d-4c1e-9f00-123456789abc".parse().unwrap(),
            },
        }
    }

    #[test]
    fn a_cursor_round_trips_exactly_and_is_url_safe() {
        let text = sample().encode(&key());
        assert!(
            text.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "{text}"
        );
        assert_eq!(FeedCursor::decode(&text, &key()), Ok(sample()));
    }

    #[test]
    fn garbage_and_altered_cursors_are_refused() {
        assert_eq!(FeedCursor::decode("not a cursor!", &key()), Err(BadCursor));
        assert_eq!(FeedCursor::decode("", &key()), Err(BadCursor));
        assert_eq!(
            FeedCursor::decode(&"A".repeat(10_000), &key()),
            Err(BadCursor)
        );
        // Any bit flipped, in the payload or in the tag: refused.
        let bytes = URL_SAFE_NO_PAD.decode(sample().encode(&key())).unwrap();
        for at in 0..bytes.len() {
            let mut altered = bytes.clone();
            altered[at] ^= 0x01;
            let text = URL_SAFE_NO_PAD.encode(&altered);
            assert_eq!(FeedCursor::decode(&text, &key()), Err(BadCursor), "{at}");
        }
        // Signed with another key: refused.
        let other = CursorKey::derived_from(b"another secret");
        assert_eq!(
            FeedCursor::decode(&sample().encode(&other), &key()),
            Err(BadCursor)
        );
    }

    #[test]
    fn a_signed_cursor_out_of_bounds_is_refused_all_the_same() {
        let mut nan = sample();
        nan.after.distance_meters = f64::NAN;
        let mut far = sample();
        far.days_ago = MAX_DAYS_AGO + 1;
        let mut off_earth = sample();
        off_earth.lat = 91.0;
        for cursor in [nan, far, off_earth] {
            assert_eq!(
                FeedCursor::decode(&cursor.encode(&key()), &key()),
                Err(BadCursor),
                "{cursor:?}"
            );
        }
    }

    #[test]
    fn the_key_never_shows_in_debug_output() {
        assert_eq!(format!("{:?}", CursorKey::new([7; 32])), "CursorKey(..)");
    }
}
