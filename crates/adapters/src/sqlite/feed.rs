//! Ranking one time window of ready photos for the feed. SQLite has no trigonometry
//! by default, so the window is selected by index and the distances computed here,
//! with the same function every store uses.

use std::cmp::Ordering;
use wisaw_domain::geo::distance_meters;
use wisaw_domain::model::{FeedItem, FeedPage, FeedPosition, FeedQuery, Photo};

/// Nearest first, then by photo id, so equal distances still have one order.
fn order(a: &FeedPosition, b: &FeedPosition) -> Ordering {
    a.distance_meters
        .total_cmp(&b.distance_meters)
        .then_with(|| a.photo_id.cmp(&b.photo_id))
}

fn position(item: &FeedItem) -> FeedPosition {
    FeedPosition {
        distance_meters: item.distance_meters,
        photo_id: item.photo.id,
    }
}

/// One page of `candidates` (already restricted to the query's window and to ready photos):
/// those strictly after `query.after`, at most `query.limit` (0 reads as 1, so a page always
/// moves forward), with `next` set when more follow.
pub fn rank_page(candidates: Vec<Photo>, query: &FeedQuery) -> FeedPage {
    let mut items: Vec<FeedItem> = candidates
        .into_iter()
        .map(|photo| FeedItem {
            distance_meters: distance_meters(query.lat, query.lon, photo.lat, photo.lon),
            photo,
        })
        .filter(|item| {
            query
                .after
                .as_ref()
                .is_none_or(|after| order(&position(item), after) == Ordering::Greater)
        })
        .collect();
    items.sort_by(|a, b| order(&position(a), &position(b)));
    let limit = query.limit.max(1) as usize;
    let more = items.len() > limit;
    items.truncate(limit);
    let next = if more {
        items.last().map(position)
    } else {
        None
    };
    FeedPage { items, next }
}
