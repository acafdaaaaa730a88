//! The feed on Postgres: nearest first straight from a GiST index (KNN), paged by keyset.
//!
//! The order is `ll_to_earth(lat, lon) <-> ll_to_earth(query)`: the straight-line (chord)
//! distance through the Earth between the two points. It grows with the great-circle
//! distance, so it ranks photos the same way, and it is what the index can order by.
//!
//! So the [`FeedPosition::distance_meters`] this store hands out in [`FeedPage::next`] is
//! that chord length: the store's own ordering key, opaque to everyone else, which makes
//! the next page's `(chord, id) > (after)` exact. The distance shown to people
//! ([`FeedItem::distance_meters`]) is the great-circle one of [`distance_meters`], the
//! same function every store uses.
//!
//! A GiST index cannot start a scan at a distance, so page n walks past the photos of
//! the pages before it (in index order, without sorting): cheap for the few pages a
//! phone reads.

use crate::db_error::db_error;
use crate::fetch;
use crate::photo_rows::{photo_from_row, PlainColumns, PHOTO_COLUMNS};
use sqlx::postgres::{PgArguments, PgPool, Postgres};
use sqlx::query::Query;
use sqlx::Row;
use std::cmp::Ordering;
use wisaw_domain::geo::distance_meters;
use wisaw_domain::model::{FeedItem, FeedPage, FeedPosition, FeedQuery, Photo};
use wisaw_domain::ports::PortResult;

/// The ordering key; `$1`, `$2` are the query's latitude and longitude.
const CHORD: &str = "ll_to_earth(lat, lon) <-> ll_to_earth($1, $2)";

struct Ranked {
    chord: f64,
    photo: Photo,
}

/// The SQL's `(chord, id)` order: Postgres compares uuids byte by byte, as `Uuid` does.
fn order(a: &Ranked, b: &Ranked) -> Ordering {
    a.chord
        .total_cmp(&b.chord)
        .then_with(|| a.photo.id.cmp(&b.photo.id))
}

/// The ready photos of the window strictly after `query.after`, nearest first, at most
/// `$5` of them. Photos at the very same distance come in no particular order: the index
/// orders by distance only, so [`page`] breaks those ties.
fn nearest_ready_sql(after: bool) -> String {
    let window = "status = 'ready' AND created_at >= $3 AND created_at < $4";
    let after = if after {
        format!("AND ({CHORD}, id) > ($6, $7)")
    } else {
        String::new()
    };
    format!(
        "SELECT {PHOTO_COLUMNS}, {CHORD} AS chord FROM photos WHERE {window} {after} \
         ORDER BY {CHORD} LIMIT $5"
    )
}

fn nearest_ready<'q>(
    sql: &'q str,
    query: &FeedQuery,
    fetch: usize,
) -> Query<'q, Postgres, PgArguments> {
    let statement = sqlx::query(sql)
        .bind(query.lat)
        .bind(query.lon)
        .bind(query.window_start)
        .bind(query.window_end)
        .bind(i64::try_from(fetch).unwrap_or(i64::MAX));
    match query.after {
        Some(after) => statement.bind(after.distance_meters).bind(after.photo_id.0),
        None => statement,
    }
}

async fn fetch_nearest_ready(
    pool: &PgPool,
    query: &FeedQuery,
    fetch: usize,
) -> PortResult<Vec<Ranked>> {
    let sql = nearest_ready_sql(query.after.is_some());
    fetch::all(pool, nearest_ready(&sql, query, fetch), |row| {
        Ok(Ranked {
            chord: row.real("chord")?,
            photo: photo_from_row(row)?,
        })
    })
    .await
}

/// `EXPLAIN ANALYZE` of the statement behind the first fetch of this page, one line a row.
pub async fn explain_feed_page(pool: &PgPool, query: &FeedQuery) -> PortResult<Vec<String>> {
    let sql = format!(
        "EXPLAIN (ANALYZE, BUFFERS) {}",
        nearest_ready_sql(query.after.is_some())
    );
    let fetch = query.limit.max(1) as usize + 1;
    fetch::all(pool, nearest_ready(&sql, query, fetch), |row| {
        row.try_get::<String, _>(0).map_err(db_error)
    })
    .await
}

/// One page: at most `query.limit` photos (0 reads as 1, so a page always moves forward),
/// with `next` set when more follow.
pub async fn feed_page(pool: &PgPool, query: &FeedQuery) -> PortResult<FeedPage> {
    let limit = query.limit.max(1) as usize;
    // One more than the page shows: it tells whether more follow, and when it is
    // strictly farther than the page's last photo, no photo tied with that one is missing.
    let mut fetch = limit + 1;
    loop {
        let rows = fetch_nearest_ready(pool, query, fetch).await?;
        let complete = rows.len() < fetch || rows[fetch - 1].chord > rows[limit - 1].chord;
        if complete {
            return Ok(page(rows, query, limit));
        }
        // Photos at one spot straddle the page's end: fetch until the tie is whole.
        fetch *= 2;
    }
}

fn page(mut rows: Vec<Ranked>, query: &FeedQuery, limit: usize) -> FeedPage {
    rows.sort_by(order);
    let next = rows
        .get(limit)
        .and(rows.get(limit - 1))
        .map(|last| FeedPosition {
            distance_meters: last.chord,
            photo_id: last.photo.id,
        });
    rows.truncate(limit);
    let items = rows
        .into_iter()
        .map(|ranked| FeedItem {
            distance_meters: distance_meters(
                query.lat,
                query.lon,
                ranked.photo.lat,
                ranked.photo.lon,
            ),
            photo: ranked.photo,
        })
        .collect();
    FeedPage { items, next }
}
