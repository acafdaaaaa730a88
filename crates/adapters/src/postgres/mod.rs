//! The metadata store on Postgres: production's store (RDS), with the same semantics
//! as the SQLite one.
//!
//! Every write is one SQL statement (an outcome: with its announcement, in one
//! transaction) guarded by the photo's current status, so two
//! workers racing on the same photo cannot both move it, and repeating a write that
//! already happened changes nothing (not even `updated_at`).
//!
//! A failed outcome is stored with `reason_code` = the error name (e.g. `Wisaw.Transient`,
//! `States.Timeout`) and `reason` = its cause, as Step Functions reports them.
//!
//! The feed is served by a GiST index; see [`feed`] for its order and its cursor.
//!
//! The same database keeps the audit log of dead-letter replays ([`ReplayAudit`]).

pub mod config;
mod feed;
mod rows;

use super::outcome_columns::OutcomeColumns;
use crate::db_error::db_error;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rows::{
    abuse_report_from_row, counts_by_status, encode_photos, event_from_row, missing_photo_or,
    photo_from_row, replay_from_row, ABUSE_REPORT_COLUMNS, EVENT_COLUMNS, PHOTO_COLUMNS,
    REPLAY_COLUMNS,
};
use sqlx::migrate::MigrateError;
use sqlx::postgres::PgPool;
use sqlx::Row;
use wisaw_domain::contracts::Outcome;
use wisaw_domain::error::PortError;
use wisaw_domain::events::{announced_as, event_id, OutboxEvent};
use wisaw_domain::ids::{DeviceId, PhotoId};
use wisaw_domain::model::{
    AbuseReport, CreatePhoto, FeedPage, FeedQuery, FiledReport, NewAbuseReport, NewPhoto, Photo,
};
use wisaw_domain::ports::{MetadataStore, PortResult, ReplayAudit};
use wisaw_domain::replay::ReplayRecord;
use wisaw_domain::status::PhotoStatus;

pub use config::PostgresSettings;

#[derive(Clone, Debug)]
pub struct PostgresMetadataStore {
    pool: PgPool,
}

/// The statuses a photo may be in to move to `next`.
fn statuses_that_can_become(next: PhotoStatus) -> Vec<&'static str> {
    PhotoStatus::ALL
        .into_iter()
        .filter(|status| status.can_become(next))
        .map(PhotoStatus::as_str)
        .collect()
}

impl PostgresMetadataStore {
    /// Opens a pool as the settings say and brings the schema up to date.
    pub async fn connect(settings: &PostgresSettings) -> PortResult<Self> {
        let pool = settings
            .pool_options()
            .connect_with(settings.connect_options().clone())
            .await
            .map_err(db_error)?;
        Self::from_pool(pool).await
    }

    /// Uses an existing pool and brings its schema up to date.
    pub async fn from_pool(pool: PgPool) -> PortResult<Self> {
        let mut migrator = sqlx::migrate!("./migrations/postgres");
        // Every cold start of a function connects here; once a deployment has migrated
        // the schema, one query says so, instead of the migrator's lock and checksum pass
        // (half of a function's init, bench/lambda_harness.py).
        if applied_already(&pool, &migrator).await {
            return Ok(Self { pool });
        }
        // During a deployment older instances still run next to newer ones: a migration
        // they do not know yet must not stop them.
        migrator.set_ignore_missing(true);
        migrator.run(&pool).await.map_err(|e| match e {
            // A dropped connection is worth a retry; a broken migration is not.
            MigrateError::Execute(e) | MigrateError::ExecuteMigration(e, _) => db_error(e),
            other => PortError::Invalid(format!("migrating the database: {other}")),
        })?;
        Ok(Self { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Distinct reporters of any photo of `owner`; with `counted_only`, only those
    /// whose reports count.
    async fn reporters_against(&self, owner: DeviceId, counted_only: bool) -> PortResult<u64> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(DISTINCT r.reporter_device_id) FROM abuse_reports r \
             JOIN photos p ON p.id = r.photo_id WHERE p.device_id = $1 AND (r.counts OR NOT $2)",
        )
        .bind(owner.0)
        .bind(counted_only)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(count.max(0) as u64)
    }

    /// How Postgres runs (and how long it takes) the first statement of this feed page,
    /// `EXPLAIN ANALYZE` line by line: for an operator asking why the feed is slow.
    pub async fn explain_feed(&self, query: &FeedQuery) -> PortResult<Vec<String>> {
        feed::explain_feed_page(&self.pool, query).await
    }
}

/// Whether every migration this build knows has been applied (an error, such as no
/// migrations table yet, is a no: the migrator then runs and says what is wrong).
async fn applied_already(pool: &PgPool, migrator: &sqlx::migrate::Migrator) -> bool {
    let versions: Vec<i64> = migrator.iter().map(|migration| migration.version).collect();
    let applied: Result<i64, _> = sqlx::query_scalar(
        "SELECT count(*) FROM _sqlx_migrations WHERE success AND version = ANY($1)",
    )
    .bind(&versions)
    .fetch_one(pool)
    .await;
    matches!(applied, Ok(count) if count == versions.len() as i64)
}

#[async_trait]
impl MetadataStore for PostgresMetadataStore {
    async fn create_photo(&self, photo: &NewPhoto) -> PortResult<CreatePhoto> {
        let content_length = i64::try_from(photo.content_length)
            .map_err(|_| PortError::Invalid("content length out of range".into()))?;
        // One statement that always returns the row: `DO UPDATE` (a no-op assignment)
        // locks and returns an existing row, and when a concurrent DELETE takes that row
        // first, Postgres retries the insert itself. A second statement to read the
        // existing row could find it deleted in between. `xmax = 0` holds only for a
        // row this statement inserted.
        let row = sqlx::query(&format!(
            "INSERT INTO photos (id, device_id, lat, lon, status, content_type, content_length, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
             ON CONFLICT (id) DO UPDATE SET updated_at = photos.updated_at \
             RETURNING {PHOTO_COLUMNS}, (xmax = 0) AS inserted"
        ))
        .bind(photo.id.0)
        .bind(photo.device_id.0)
        .bind(photo.lat)
        .bind(photo.lon)
        .bind(PhotoStatus::AwaitingUpload.as_str())
        .bind(&photo.content_type)
        .bind(content_length)
        .bind(photo.created_at)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        let stored = photo_from_row(&row)?;
        Ok(if row.try_get::<bool, _>("inserted").map_err(db_error)? {
            CreatePhoto::Created(stored)
        } else {
            CreatePhoto::Existing(stored)
        })
    }

    async fn get_photo(&self, id: PhotoId) -> PortResult<Option<Photo>> {
        let row = sqlx::query(&format!("SELECT {PHOTO_COLUMNS} FROM photos WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        row.as_ref().map(photo_from_row).transpose()
    }

    async fn mark_processing(
        &self,
        id: PhotoId,
        execution_name: &str,
    ) -> PortResult<Option<Photo>> {
        // Already processing under this very execution: a rerun, leave the row alone.
        let updated = sqlx::query(&format!(
            "UPDATE photos SET status = 'processing', execution_name = $1, reason_code = NULL, \
             reason = NULL, updated_at = $2 \
             WHERE id = $3 AND status = ANY($4) \
             AND NOT (status = 'processing' AND execution_name IS NOT DISTINCT FROM $1) \
             RETURNING {PHOTO_COLUMNS}"
        ))
        .bind(execution_name)
        .bind(Utc::now())
        .bind(id.0)
        .bind(statuses_that_can_become(PhotoStatus::Processing))
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        match updated {
            Some(row) => photo_from_row(&row).map(Some),
            // Unchanged: read it afresh (a new snapshot), as it is now.
            None => self.get_photo(id).await,
        }
    }

    async fn record_outcome(
        &self,
        id: PhotoId,
        outcome: &Outcome,
        attempt: u32,
    ) -> PortResult<Option<(Photo, bool)>> {
        let columns = OutcomeColumns::of(outcome);
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        // One statement: the status guard and the "same values already" check cannot race.
        let updated = sqlx::query(&format!(
            "UPDATE photos SET status = $1, reason_code = $2, reason = $3, width = $4, \
             height = $5, thumb_key = $6, display_key = $7, updated_at = $8 \
             WHERE id = $9 AND status = ANY($10) \
             AND NOT (status = $1 AND reason_code IS NOT DISTINCT FROM $2 \
                      AND reason IS NOT DISTINCT FROM $3 AND width IS NOT DISTINCT FROM $4 \
                      AND height IS NOT DISTINCT FROM $5 AND thumb_key IS NOT DISTINCT FROM $6 \
                      AND display_key IS NOT DISTINCT FROM $7) \
             RETURNING {PHOTO_COLUMNS}"
        ))
        .bind(columns.status.as_str())
        .bind(columns.reason_code)
        .bind(columns.reason)
        .bind(columns.width)
        .bind(columns.height)
        .bind(columns.thumb_key)
        .bind(columns.display_key)
        .bind(Utc::now())
        .bind(id.0)
        .bind(statuses_that_can_become(columns.status))
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
        let Some(row) = updated else {
            tx.rollback().await.map_err(db_error)?;
            return Ok(self.get_photo(id).await?.map(|photo| (photo, false)));
        };
        let photo = photo_from_row(&row)?;
        if let Some(event_type) = announced_as(photo.status) {
            insert_event(&mut *tx, id, event_type, attempt, photo.updated_at).await?;
        }
        tx.commit().await.map_err(db_error)?;
        Ok(Some((photo, true)))
    }

    async fn delete_photo(&self, id: PhotoId) -> PortResult<bool> {
        // Reports and announcements go with it (ON DELETE CASCADE).
        let result = sqlx::query("DELETE FROM photos WHERE id = $1")
            .bind(id.0)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(result.rows_affected() > 0)
    }

    async fn add_abuse_report(&self, report: &NewAbuseReport) -> PortResult<FiledReport> {
        let window_start = report
            .filed_at
            .checked_sub_signed(report.address_window)
            .ok_or_else(|| PortError::Invalid("abuse report window out of range".into()))?;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        // Reports from one address take turns, so that two racing ones cannot both see
        // room left in its quota.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended(coalesce($1, ''), 0))")
            .bind(report.client_address.as_deref())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        let filed: Option<(bool, bool)> = sqlx::query_as(
            "INSERT INTO abuse_reports \
             (photo_id, reporter_device_id, created_at, client_address, reporter_standing, counts) \
             SELECT $1, $2, $3, $4, s.standing, s.standing AND ( \
                 EXISTS (SELECT 1 FROM abuse_reports a \
                         WHERE a.client_address IS NOT DISTINCT FROM $4 \
                         AND a.counts AND a.created_at >= $5 AND a.reporter_device_id = $2) \
                 OR (SELECT COUNT(DISTINCT a.reporter_device_id) FROM abuse_reports a \
                     WHERE a.client_address IS NOT DISTINCT FROM $4 \
                     AND a.counts AND a.created_at >= $5) < $6) \
             FROM (SELECT EXISTS (SELECT 1 FROM photos p WHERE p.device_id = $2 \
                   AND p.status = 'ready' AND p.updated_at <= $3) AS standing) s \
             ON CONFLICT (photo_id, reporter_device_id) DO NOTHING \
             RETURNING reporter_standing, counts",
        )
        .bind(report.photo_id.0)
        .bind(report.reporter.0)
        .bind(report.filed_at)
        .bind(report.client_address.as_deref())
        .bind(window_start)
        .bind(i64::from(report.reporters_per_address))
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| missing_photo_or(e, report.photo_id))?;
        tx.commit().await.map_err(db_error)?;
        Ok(
            filed.map_or(FiledReport::AlreadyFiled, |(standing, counts)| {
                FiledReport::new(standing, counts)
            }),
        )
    }

    async fn distinct_reporters_against(&self, owner: DeviceId) -> PortResult<u64> {
        self.reporters_against(owner, false).await
    }

    async fn counted_reporters_against(&self, owner: DeviceId) -> PortResult<u64> {
        self.reporters_against(owner, true).await
    }

    async fn feed(&self, query: &FeedQuery) -> PortResult<FeedPage> {
        feed::feed_page(&self.pool, query).await
    }

    async fn abuse_reports(&self, photo: PhotoId) -> PortResult<Vec<AbuseReport>> {
        let rows = sqlx::query(&format!(
            "SELECT {ABUSE_REPORT_COLUMNS} FROM abuse_reports WHERE photo_id = $1 \
             ORDER BY created_at, reporter_device_id"
        ))
        .bind(photo.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(abuse_report_from_row).collect()
    }

    async fn count_by_status(&self) -> PortResult<Vec<(PhotoStatus, u64)>> {
        let rows = sqlx::query_as("SELECT status, COUNT(*) FROM photos GROUP BY status")
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        counts_by_status(rows)
    }

    async fn photo_events(&self, photo: PhotoId) -> PortResult<Vec<OutboxEvent>> {
        let rows = sqlx::query(&format!(
            "SELECT {EVENT_COLUMNS} FROM photo_events WHERE photo_id = $1 \
             ORDER BY recorded_at, event_id"
        ))
        .bind(photo.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(event_from_row).collect()
    }

    async fn record_event(
        &self,
        photo: PhotoId,
        event_type: &str,
        attempt: u32,
        recorded_at: DateTime<Utc>,
    ) -> PortResult<()> {
        insert_event(&self.pool, photo, event_type, attempt, recorded_at).await
    }

    async fn unsent_events(
        &self,
        recorded_before: DateTime<Utc>,
        limit: u32,
    ) -> PortResult<Vec<OutboxEvent>> {
        let rows = sqlx::query(&format!(
            "SELECT {EVENT_COLUMNS} FROM photo_events \
             WHERE sent_at IS NULL AND recorded_at < $1 \
             ORDER BY attempts, recorded_at, event_id LIMIT $2"
        ))
        .bind(recorded_before)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(event_from_row).collect()
    }

    async fn mark_event_sent(&self, event_id: &str) -> PortResult<bool> {
        let result = sqlx::query(
            "UPDATE photo_events SET sent_at = $1 WHERE event_id = $2 AND sent_at IS NULL",
        )
        .bind(Utc::now())
        .bind(event_id)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(result.rows_affected() > 0)
    }

    async fn mark_event_failed(&self, event_id: &str) -> PortResult<()> {
        sqlx::query("UPDATE photo_events SET attempts = attempts + 1 WHERE event_id = $1")
            .bind(event_id)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}

#[async_trait]
impl ReplayAudit for PostgresMetadataStore {
    async fn save_replay(&self, record: &ReplayRecord) -> PortResult<()> {
        let photos = encode_photos(record)?;
        sqlx::query(&format!(
            "INSERT INTO replays ({REPLAY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (id) DO UPDATE SET operator = EXCLUDED.operator, \
             started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at, \
             selection = EXCLUDED.selection, forced = EXCLUDED.forced, rate = EXCLUDED.rate, \
             photos = EXCLUDED.photos"
        ))
        .bind(record.id)
        .bind(&record.operator)
        .bind(record.started_at)
        .bind(record.finished_at)
        .bind(&record.selection)
        .bind(record.forced)
        .bind(record.rate)
        .bind(photos)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn replays(&self, limit: u32) -> PortResult<Vec<ReplayRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {REPLAY_COLUMNS} FROM replays ORDER BY started_at DESC, id DESC LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(replay_from_row).collect()
    }

    async fn replay(&self, id: uuid::Uuid) -> PortResult<Option<ReplayRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {REPLAY_COLUMNS} FROM replays WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.as_ref().map(replay_from_row).transpose()
    }
}

/// The one INSERT of an announcement: with its outcome, or late (see `record_event`).
async fn insert_event<'e, E: sqlx::PgExecutor<'e>>(
    executor: E,
    photo: PhotoId,
    event_type: &str,
    attempt: u32,
    recorded_at: DateTime<Utc>,
) -> PortResult<()> {
    sqlx::query(
        "INSERT INTO photo_events (event_id, photo_id, event_type, recorded_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(event_id(photo, event_type, attempt))
    .bind(photo.0)
    .bind(event_type)
    .bind(recorded_at)
    .execute(executor)
    .await
    .map_err(|e| missing_photo_or(e, photo))?;
    Ok(())
}
