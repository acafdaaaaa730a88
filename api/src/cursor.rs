//! The feed's opaque cursor: base64url JSON of where the next page starts and
//! of the query it belongs to. The window's anchor travels inside it, so the
//! 24-hour window does not slide while the app pages through it.
//!
//! Floating-point values travel as their IEEE-754 bits: the next page must
//! start exactly after the last item of this one, and decimal text does not
//! always give back the very same `f64`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use wisaw_core::model::FeedPosition;
use wisaw_core::PhotoId;

#[derive(Clone, Debug, PartialEq)]
pub struct FeedCursor {
    pub anchor: DateTime<Utc>,
    pub days_ago: u32,
    pub lat: f64,
    pub lon: f64,
    pub after: FeedPosition,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Wire {
    anchor: DateTime<Utc>,
    days_ago: u32,
    lat_bits: u64,
    lon_bits: u64,
    after_distance_bits: u64,
    after_photo_id: PhotoId,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the cursor is not one this feed handed out")]
pub struct BadCursor;

impl FeedCursor {
    pub fn encode(&self) -> String {
        let wire = Wire {
            anchor: self.anchor,
            days_ago: self.days_ago,
            lat_bits: self.lat.to_bits(),
            lon_bits: self.lon.to_bits(),
            after_distance_bits: self.after.distance_meters.to_bits(),
            after_photo_id: self.after.photo_id,
        };
        // Serializing plain numbers, strings and a timestamp cannot fail.
        let json = serde_json::to_vec(&wire).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    pub fn decode(text: &str) -> Result<Self, BadCursor> {
        let json = URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|_| BadCursor)?;
        let wire: Wire = serde_json::from_slice(&json).map_err(|_| BadCursor)?;
        let cursor = Self {
            anchor: wire.anchor,
            days_ago: wire.days_ago,
            lat: f64::from_bits(wire.lat_bits),
            lon: f64::from_bits(wire.lon_bits),
            after: FeedPosition {
                distance_meters: f64::from_bits(wire.after_distance_bits),
                photo_id: wire.after_photo_id,
            },
        };
        if cursor.after.distance_meters.is_finite() && cursor.after.distance_meters >= 0.0 {
            Ok(cursor)
        } else {
            Err(BadCursor)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let text = sample().encode();
        assert!(
            text.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "{text}"
        );
        assert_eq!(FeedCursor::decode(&text).unwrap(), sample());
    }

    #[test]
    fn garbage_and_altered_cursors_are_refused() {
        assert_eq!(FeedCursor::decode("not a cursor!"), Err(BadCursor));
        assert_eq!(
            FeedCursor::decode(&URL_SAFE_NO_PAD.encode(b"{\"x\":1}")),
            Err(BadCursor)
        );
        let mut nan = sample();
        nan.after.distance_meters = f64::NAN;
        assert_eq!(FeedCursor::decode(&nan.encode()), Err(BadCursor));
    }
}
