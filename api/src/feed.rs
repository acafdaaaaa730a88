//! `GET /v1/feed`: ready photos of one 24-hour window, nearest first, by pages.
//!
//! The window for `daysAgo = n` is `[anchor − (n+1)·24h, anchor − n·24h)`, where the
//! anchor is the time of the first page's request and travels in the (signed) cursor.
//! A cursor is good for [`CURSOR_LIFETIME`]; its window is computed with checked
//! arithmetic ([`window`]), so no anchor or `daysAgo` can overflow it.

use crate::cursor::{CursorKey, FeedCursor};
use crate::feed_window::{window, MAX_DAYS_AGO};
use crate::photos::{presign_get, ready_image_keys};
use crate::ports::ApiPorts;
use crate::problem::Problem;
use crate::time::rfc3339;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use wisaw_domain::geo::{valid_lat, valid_lon};
use wisaw_domain::model::{FeedPosition, FeedQuery};
use wisaw_domain::PhotoId;

pub const DEFAULT_LIMIT: u32 = 100;
pub const MAX_LIMIT: u32 = 100;
/// How long after the first page its cursor still pages on.
pub const CURSOR_LIFETIME: Duration = Duration::hours(24);
/// How far ahead of this server's clock an anchor may be: another server signed it.
pub const CLOCK_SKEW: Duration = Duration::minutes(5);

/// The query string as sent; every value is checked by [`FeedParams::parse`].
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedQueryString {
    pub lat: Option<String>,
    pub lon: Option<String>,
    pub days_ago: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// The feed's parameters, once valid.
#[derive(Clone, Debug, PartialEq)]
pub struct FeedParams {
    pub lat: f64,
    pub lon: f64,
    pub days_ago: u32,
    pub limit: u32,
    pub cursor: Option<FeedCursor>,
}

/// A whole number in `range`, or `default` when absent.
fn whole_number(
    text: Option<&str>,
    name: &str,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, Problem> {
    let Some(text) = text else {
        return Ok(default);
    };
    text.parse::<u32>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            Problem::bad_request(format!(
                "`{name}` must be a whole number from {} to {}.",
                range.start(),
                range.end()
            ))
        })
}

impl FeedParams {
    pub fn parse(query: &FeedQueryString, key: &CursorKey) -> Result<Self, Problem> {
        let lat = coordinate(query.lat.as_deref(), "lat", valid_lat, "[-90, 90]")?;
        let lon = coordinate(query.lon.as_deref(), "lon", valid_lon, "[-180, 180]")?;
        let days_ago = whole_number(query.days_ago.as_deref(), "daysAgo", 0, 0..=MAX_DAYS_AGO)?;
        let limit = whole_number(
            query.limit.as_deref(),
            "limit",
            DEFAULT_LIMIT,
            1..=MAX_LIMIT,
        )?;
        let cursor = match query.cursor.as_deref() {
            None => None,
            Some(text) => {
                let cursor = FeedCursor::decode(text, key).map_err(|_| {
                    Problem::bad_request("`cursor` is not a cursor this feed handed out.")
                })?;
                if cursor.lat != lat || cursor.lon != lon || cursor.days_ago != days_ago {
                    return Err(Problem::bad_request(
                        "`cursor` belongs to another query: keep lat, lon and daysAgo while paging.",
                    ));
                }
                Some(cursor)
            }
        };
        Ok(Self {
            lat,
            lon,
            days_ago,
            limit,
            cursor,
        })
    }
}

fn coordinate(
    text: Option<&str>,
    name: &str,
    valid: fn(f64) -> bool,
    range: &str,
) -> Result<f64, Problem> {
    text.and_then(|t| t.parse::<f64>().ok())
        .filter(|v| valid(*v))
        .ok_or_else(|| Problem::bad_request(format!("`{name}` is required, a number in {range}.")))
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedResponse {
    pub photos: Vec<FeedPhoto>,
    /// Null on the last page.
    pub next_cursor: Option<String>,
}

/// One feed entry. It never carries the owner's device id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedPhoto {
    pub photo_id: PhotoId,
    pub thumb_url: String,
    pub image_url: String,
    pub lat: f64,
    pub lon: f64,
    pub distance_meters: f64,
    pub created_at: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// The anchor of this page: now for a first page, the cursor's while it is fresh.
fn anchor_of(cursor: Option<&FeedCursor>, now: DateTime<Utc>) -> Result<DateTime<Utc>, Problem> {
    let Some(cursor) = cursor else {
        return Ok(now);
    };
    let fresh = now
        .checked_sub_signed(CURSOR_LIFETIME)
        .is_none_or(|oldest| cursor.anchor >= oldest);
    let not_ahead = now
        .checked_add_signed(CLOCK_SKEW)
        .is_none_or(|latest| cursor.anchor <= latest);
    if fresh && not_ahead {
        Ok(cursor.anchor)
    } else {
        Err(Problem::bad_request(
            "`cursor` has expired (or is not yet valid): start again from the first page.",
        ))
    }
}

pub async fn page(ports: &ApiPorts, params: FeedParams) -> Result<FeedResponse, Problem> {
    page_at(ports, params, Utc::now()).await
}

/// As [`page`], with the first page's anchor given.
pub async fn page_at(
    ports: &ApiPorts,
    params: FeedParams,
    now: DateTime<Utc>,
) -> Result<FeedResponse, Problem> {
    let anchor = anchor_of(params.cursor.as_ref(), now)?;
    let (window_start, window_end) = window(anchor, params.days_ago).ok_or_else(|| {
        Problem::bad_request("`daysAgo` reaches further back than the feed keeps photos.")
    })?;
    let query = FeedQuery {
        lat: params.lat,
        lon: params.lon,
        window_start,
        window_end,
        limit: params.limit,
        after: params.cursor.as_ref().map(|c| c.after),
    };
    let found = ports
        .metadata
        .feed(&query)
        .await
        .map_err(|e| Problem::from_port("reading the feed", e))?;

    let mut photos = Vec::with_capacity(found.items.len());
    for item in found.items {
        let (thumb, display) = ready_image_keys(&item.photo)?;
        photos.push(FeedPhoto {
            photo_id: item.photo.id,
            thumb_url: presign_get(ports, &thumb).await?,
            image_url: presign_get(ports, &display).await?,
            lat: item.photo.lat,
            lon: item.photo.lon,
            distance_meters: item.distance_meters,
            created_at: rfc3339(item.photo.created_at),
            width: item.photo.width,
            height: item.photo.height,
        });
    }
    let next_cursor = found.next.map(|after: FeedPosition| {
        FeedCursor {
            anchor,
            days_ago: params.days_ago,
            lat: params.lat,
            lon: params.lon,
            after,
        }
        .encode(&ports.cursor_key)
    });
    Ok(FeedResponse {
        photos,
        next_cursor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> FeedQueryString {
        let mut q = FeedQueryString::default();
        for (k, v) in pairs {
            let v = Some(v.to_string());
            match *k {
                "lat" => q.lat = v,
                "lon" => q.lon = v,
                "daysAgo" => q.days_ago = v,
                "limit" => q.limit = v,
                "cursor" => q.cursor = v,
                _ => panic!("unknown parameter {k}"),
            }
        }
        q
    }

    #[test]
    fn defaults_and_ranges() {
        let key = CursorKey::derived_from(b"test");
        let p = FeedParams::parse(&query(&[("lat", "37.77"), ("lon", "-122.41")]), &key).unwrap();
        assert_eq!((p.days_ago, p.limit, p.cursor), (0, 100, None));
        for bad in [
            vec![("lon", "1")],
            vec![("lat", "91"), ("lon", "1")],
            vec![("lat", "NaN"), ("lon", "1")],
            vec![("lat", "1"), ("lon", "-180.5")],
            vec![("lat", "1"), ("lon", "1"), ("daysAgo", "-1")],
            vec![("lat", "1"), ("lon", "1"), ("daysAgo", "1.5")],
            vec![("lat", "1"), ("lon", "1"), ("daysAgo", "3651")],
            vec![("lat", "1"), ("lon", "1"), ("limit", "0")],
            vec![("lat", "1"), ("lon", "1"), ("limit", "101")],
            vec![("lat", "1"), ("lon", "1"), ("cursor", "zzz")],
        ] {
            let problem = FeedParams::parse(&query(&bad), &key).unwrap_err();
            assert_eq!(problem.status.as_u16(), 400, "{bad:?}");
        }
    }

    #[test]
    fn a_stale_or_future_anchor_is_a_400() {
        let now: DateTime<Utc> = "2026-11-26T12:00:00Z".parse().unwrap();
        let cursor = |anchor: DateTime<Utc>| FeedCursor {
            anchor,
            days_ago: 0,
            lat: 0.0,
            lon: 0.0,
            after: FeedPosition {
                distance_meters: 0.0,
                photo_id: PhotoId::new_random(),
            },
        };
        let hour = Duration::hours(1);
        assert_eq!(anchor_of(Some(&cursor(now - hour)), now), Ok(now - hour));
        assert_eq!(anchor_of(None, now), Ok(now));
        for anchor in [
            now - CURSOR_LIFETIME - hour,
            now + CLOCK_SKEW + hour,
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MAX_UTC,
        ] {
            let problem = anchor_of(Some(&cursor(anchor)), now).unwrap_err();
            assert_eq!(problem.status.as_u16(), 400, "{anchor}");
        }
    }
}
