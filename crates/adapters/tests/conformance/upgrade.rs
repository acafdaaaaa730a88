//! The outbox migration on a store of the release before it: every outcome already
//! recorded gets its announcement, sent where `notifications_sent` said it was
//! published, waiting (for the sweep) where it was not.

use chrono::{DateTime, Utc};
use sqlx::migrate::Migrator;
use std::borrow::Cow;
use wisaw_adapters::postgres::{PostgresMetadataStore, PostgresSettings};
use wisaw_adapters::sqlite::SqliteMetadataStore;
use wisaw_adapters::sqlite_file::open_sqlite_file;
use wisaw_domain::events::OutboxEvent;
use wisaw_domain::ports::MetadataStore;
use wisaw_domain::PhotoId;
use wisaw_testkit::TestSchema;

const OUTBOX: i64 = 20261201000301;

/// The migrations of the release before the outbox.
fn before_the_outbox(all: Migrator) -> Migrator {
    let mut migrator = all;
    migrator.migrations = Cow::Owned(
        migrator
            .migrations
            .iter()
            .filter(|m| m.version < OUTBOX)
            .cloned()
            .collect(),
    );
    migrator
}

/// The photos of the old release: (id, status, execution name, published at).
struct Old {
    announced: PhotoId,
    replayed: PhotoId,
    rejected: PhotoId,
    processing: PhotoId,
    published_at: DateTime<Utc>,
}

impl Old {
    fn new() -> Self {
        Self {
            announced: PhotoId::new_random(),
            replayed: PhotoId::new_random(),
            rejected: PhotoId::new_random(),
            processing: PhotoId::new_random(),
            published_at: DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).unwrap(),
        }
    }

    fn photos(&self) -> [(PhotoId, &'static str, String); 4] {
        [
            (self.announced, "ready", self.announced.to_string()),
            (
                self.replayed,
                "ready",
                format!("{}-replay-2", self.replayed),
            ),
            (self.rejected, "rejected", self.rejected.to_string()),
            (self.processing, "processing", self.processing.to_string()),
        ]
    }

    async fn check(&self, store: &dyn MetadataStore) {
        let one = |events: Vec<OutboxEvent>| {
            assert_eq!(events.len(), 1, "{events:?}");
            events.into_iter().next().unwrap()
        };
        let announced = one(store.photo_events(self.announced).await.unwrap());
        assert_eq!(
            announced.event_id,
            format!("{}:photo.ready:0", self.announced)
        );
        assert_eq!(announced.sent_at, Some(self.published_at));
        let replayed = one(store.photo_events(self.replayed).await.unwrap());
        assert_eq!(
            replayed.event_id,
            format!("{}:photo.ready:2", self.replayed)
        );
        assert_eq!(replayed.sent_at, None, "never published: the sweep's");
        let rejected = one(store.photo_events(self.rejected).await.unwrap());
        assert_eq!(
            rejected.event_id,
            format!("{}:photo.rejected:0", self.rejected)
        );
        assert_eq!(rejected.sent_at, None);
        assert!(store
            .photo_events(self.processing)
            .await
            .unwrap()
            .is_empty());
        let waiting: Vec<PhotoId> = store
            .unsent_events(Utc::now() + chrono::Duration::seconds(1), 10)
            .await
            .unwrap()
            .iter()
            .map(|e| e.photo_id)
            .collect();
        assert_eq!(waiting.len(), 2, "{waiting:?}");
    }
}

#[tokio::test]
async fn upgrading_sqlite_gives_every_recorded_outcome_its_announcement() {
    let dir = tempfile::tempdir().unwrap();
    let pool = open_sqlite_file(&dir.path().join("meta.db")).await.unwrap();
    before_the_outbox(sqlx::migrate!("./migrations/sqlite"))
        .run(&pool)
        .await
        .unwrap();
    let old = Old::new();
    let micros = old.published_at.timestamp_micros();
    for (id, status, execution) in old.photos() {
        sqlx::query(
            "INSERT INTO photos (id, device_id, lat, lon, status, content_type, content_length, \
             execution_name, created_at, updated_at) VALUES (?, ?, 0, 0, ?, 'image/jpeg', 1, ?, ?, ?)",
        )
        .bind(id.to_string())
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(status)
        .bind(execution)
        .bind(micros)
        .bind(micros)
        .execute(&pool)
        .await
        .unwrap();
    }
    sqlx::query("INSERT INTO notifications_sent (photo_id, event_type, claimed_at) VALUES (?, 'photo.ready', ?)")
        .bind(old.announced.to_string())
        .bind(micros)
        .execute(&pool)
        .await
        .unwrap();

    let store = SqliteMetadataStore::from_pool(pool).await.unwrap();
    old.check(&store).await;
}

#[tokio::test]
async fn upgrading_postgres_gives_every_recorded_outcome_its_announcement() {
    let Some(schema) = TestSchema::create("upgrade").await else {
        println!("skipped on Postgres");
        return;
    };
    let settings = PostgresSettings::from_url(schema.base_url())
        .unwrap()
        .with_search_path(&format!("{},public", schema.name))
        .with_max_connections(2);
    let pool = settings
        .pool_options()
        .connect_with(settings.connect_options().clone())
        .await
        .unwrap();
    before_the_outbox(sqlx::migrate!("./migrations/postgres"))
        .run(&pool)
        .await
        .unwrap();
    let old = Old::new();
    for (id, status, execution) in old.photos() {
        sqlx::query(
            "INSERT INTO photos (id, device_id, lat, lon, status, content_type, content_length, \
             execution_name, created_at, updated_at) VALUES ($1, $2, 0, 0, $3, 'image/jpeg', 1, $4, $5, $5)",
        )
        .bind(id.0)
        .bind(uuid::Uuid::new_v4())
        .bind(status)
        .bind(execution)
        .bind(old.published_at)
        .execute(&pool)
        .await
        .unwrap();
    }
    sqlx::query("INSERT INTO notifications_sent (photo_id, event_type, claimed_at) VALUES ($1, 'photo.ready', $2)")
        .bind(old.announced.0)
        .bind(old.published_at)
        .execute(&pool)
        .await
        .unwrap();

    let store = PostgresMetadataStore::from_pool(pool).await.unwrap();
    old.check(&store).await;
}
