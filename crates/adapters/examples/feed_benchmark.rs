//! Feed latency on a large Postgres table: loads N photos (clustered around
//! cities, like real uploads, plus a worldwide background) into a schema of
//! its own, then times the metadata store's own `feed` call, the code path
//! the API runs, and prints p50/p90/p99 and the query plan.
//!
//! cargo run --release -p wisaw-adapters --features postgres --example feed_benchmark -- \
//!     --database-url postgres://postgres@127.0.0.1:5432/test --photos 1000000

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Instant;
use wisaw_adapters::postgres::{PostgresMetadataStore, PostgresSettings};
use wisaw_domain::model::FeedQuery;
use wisaw_domain::ports::MetadataStore;

const SCHEMA: &str = "feed_benchmark";
const BATCH: usize = 10_000;

/// Where people take photos: (lat, lon) of some large cities.
const CITIES: [(f64, f64); 24] = [
    (37.7749, -122.4194),
    (40.7128, -74.0060),
    (51.5074, -0.1278),
    (48.8566, 2.3522),
    (35.6762, 139.6503),
    (-33.8688, 151.2093),
    (19.4326, -99.1332),
    (-23.5505, -46.6333),
    (55.7558, 37.6173),
    (28.6139, 77.2090),
    (31.2304, 121.4737),
    (1.3521, 103.8198),
    (30.0444, 31.2357),
    (-1.2921, 36.8219),
    (52.5200, 13.4050),
    (41.9028, 12.4964),
    (34.0522, -118.2437),
    (43.6532, -79.3832),
    (-34.6037, -58.3816),
    (37.5665, 126.9780),
    (25.2048, 55.2708),
    (6.5244, 3.3792),
    (59.3293, 18.0686),
    (-36.8485, 174.7633),
];

struct Args {
    database_url: String,
    photos: usize,
    queries: usize,
    days: i64,
}

fn parse_args() -> Args {
    let mut args = Args {
        database_url: "postgres://postgres@127.0.0.1:5432/test".into(),
        photos: 1_000_000,
        queries: 2_000,
        days: 30,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--database-url" => args.database_url = value,
            "--photos" => args.photos = value.parse().expect("--photos N"),
            "--queries" => args.queries = value.parse().expect("--queries N"),
            "--days" => args.days = value.parse().expect("--days N"),
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

/// A point near a city (about 10 km spread) or, one time in four, anywhere on Earth.
fn random_place(rng: &mut StdRng) -> (f64, f64) {
    if rng.random_bool(0.25) {
        let lat = (rng.random_range(-1.0f64..1.0)).asin().to_degrees();
        return (lat, rng.random_range(-180.0..180.0));
    }
    let (lat, lon) = CITIES[rng.random_range(0..CITIES.len())];
    let spread = 0.1;
    (
        (lat + rng.random_range(-spread..spread)).clamp(-90.0, 90.0),
        (lon + rng.random_range(-spread..spread)).clamp(-180.0, 180.0),
    )
}

async fn load(pool: &sqlx::PgPool, rng: &mut StdRng, args: &Args, now: DateTime<Utc>) {
    let started = Instant::now();
    let mut loaded = 0;
    while loaded < args.photos {
        let n = BATCH.min(args.photos - loaded);
        let (mut ids, mut devices, mut lats, mut lons, mut statuses, mut created) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        for _ in 0..n {
            let (lat, lon) = random_place(rng);
            ids.push(uuid::Uuid::new_v4());
            devices.push(uuid::Uuid::new_v4());
            lats.push(lat);
            lons.push(lon);
            statuses.push(if rng.random_bool(0.9) {
                "ready"
            } else {
                "rejected"
            });
            created.push(now - Duration::seconds(rng.random_range(0..args.days * 86_400)));
        }
        sqlx::query(
            "INSERT INTO photos (id, device_id, lat, lon, status, content_type, content_length,
                                 width, height, thumb_key, display_key, created_at, updated_at)
             SELECT id, device, lat, lon, status, 'image/jpeg', 3000000, 4032, 3024,
                    'photos/' || id || '/thumb.webp', 'photos/' || id || '/display.webp', created, created
             FROM UNNEST($1::uuid[], $2::uuid[], $3::float8[], $4::float8[], $5::text[], $6::timestamptz[])
                  AS t(id, device, lat, lon, status, created)",
        )
        .bind(&ids)
        .bind(&devices)
        .bind(&lats)
        .bind(&lons)
        .bind(&statuses)
        .bind(&created)
        .execute(pool)
        .await
        .expect("loading photos");
        loaded += n;
    }
    sqlx::query("ANALYZE photos").execute(pool).await.unwrap();
    println!(
        "loaded {} photos in {:.1} s",
        args.photos,
        started.elapsed().as_secs_f64()
    );
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let mut rng = StdRng::seed_from_u64(20261126);
    let now = Utc::now();

    let admin = sqlx::PgPool::connect(&args.database_url)
        .await
        .expect("connecting");
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        .execute(&admin)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE SCHEMA {SCHEMA}"))
        .execute(&admin)
        .await
        .unwrap();
    let separator = if args.database_url.contains('?') {
        '&'
    } else {
        '?'
    };
    let url = format!(
        "{}{separator}options=-c%20search_path%3D{SCHEMA}%2Cpublic",
        args.database_url
    );
    let settings = PostgresSettings::from_url(&url)
        .unwrap()
        .with_max_connections(1);
    let store = PostgresMetadataStore::connect(&settings)
        .await
        .expect("connecting the store");
    load(store.pool(), &mut rng, &args, now).await;

    // The API's query: the 24 hours `daysAgo` days back, 100 a page; one in ten
    // follows its cursor to the next page.
    let make_query = |rng: &mut StdRng| {
        let (lat, lon) = random_place(rng);
        let days_ago = if rng.random_bool(0.7) {
            0
        } else {
            rng.random_range(1..args.days.min(7))
        };
        let window_end = now - Duration::days(days_ago);
        FeedQuery {
            lat,
            lon,
            window_start: window_end - Duration::days(1),
            window_end,
            limit: 100,
            after: None,
        }
    };
    for _ in 0..100 {
        store.feed(&make_query(&mut rng)).await.unwrap();
    }
    let mut latencies = Vec::with_capacity(args.queries);
    let mut returned = 0usize;
    for i in 0..args.queries {
        let mut query = make_query(&mut rng);
        if i % 10 == 9 {
            query.after = store.feed(&query).await.unwrap().next;
        }
        let started = Instant::now();
        let page = store.feed(&query).await.unwrap();
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        returned += page.items.len();
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "feed over {} photos, {} queries: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {:.1} photos a page",
        args.photos,
        args.queries,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.90),
        percentile(&latencies, 0.99),
        latencies.last().unwrap(),
        returned as f64 / args.queries as f64
    );

    let plan = store
        .explain_feed(&FeedQuery {
            lat: 37.7749,
            lon: -122.4194,
            window_start: now - Duration::days(1),
            window_end: now,
            limit: 100,
            after: None,
        })
        .await
        .unwrap();
    println!("\nEXPLAIN (ANALYZE, BUFFERS) of the first page at San Francisco, daysAgo=0:");
    for line in plan {
        println!("  {line}");
    }
    sqlx::query(&format!("DROP SCHEMA {SCHEMA} CASCADE"))
        .execute(&admin)
        .await
        .unwrap();
}
