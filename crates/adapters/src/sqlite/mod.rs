//! The metadata store on SQLite: the local stack's stand-in for Postgres.
//!
//! Every write is one SQL statement (an outcome: with its announcement, in one
//! transaction) guarded by the photo's current status, so two
//! workers racing on the same photo cannot both move it, and repeating a write that
//! already happened changes nothing (not even `updated_at`).
//!
//! A failed outcome is stored with `reason_code` = the error name (e.g. `Wisaw.Transient`,
//! `States.Timeout`) and `reason` = its cause, as Step Functions reports them.
//!
//! The same database keeps the audit log of dead-letter replays ([`ReplayAudit`]).

mod feed;
mod rows;

use crate::db_error::db_error;
use crate::sqlite_file::{migrate, open_sqlite_file, to_micros};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rows::{
    abuse_report_from_row, counts_by_status, encode_photos, event_from_row, missing_photo_or,
    photo_from_row, replay_from_row, ABUSE_REPORT_COLUMNS, EVENT_COLUMNS, PHOTO_COLUMNS,
    REPLAY_COLUMNS,
};
use sqlx::sqlite::SqlitePool;
use std::path::Path;
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

pub use feed::rank_page;

use super::outcome_columns::OutcomeColumns;

#[derive(Clone, Debug)]
pub struct SqliteMetadataStore {
    pool: SqlitePool,
}

/// The statuses a photo may be in to move to `next`, as an SQL list of literals.
/// They come from [`PhotoStatus::as_str`], never from input, so inlining them is safe.
fn statuses_that_can_become(next: PhotoStatus) -> String {
    PhotoStatus::ALL
        .into_iter()
        .filter(|status| status.can_become(next))
        .map(|status| format!("'{}'", status.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl SqliteMetadataStore {
    /// Opens (or creates) the database file and brings its schema up to date.
    pub async fn open(path: impl AsRef<Path>) -> PortResult<Self> {
        Self::from_pool(open_sqlite_file(path.as_ref()).await?).await
    }

    /// Uses an existing pool (it should have foreign keys on, as [`Self::open`] sets them)
    /// and brings its schema up to date.
    pub async fn from_pool(pool: SqlitePool) -> PortResult<Self> {
        migrate(&pool, sqlx::migrate!("./migrations/sqlite")).await?;
        Ok(Self { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Distinct reporters of any photo of `owner`; with `counted_only`, only those
    /// whose reports count.
    async fn reporters_against(&self, owner: DeviceId, counted_only: bool) -> PortResult<u64> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(DISTINCT r.reporter_device_id) FROM abuse_reports r \
             JOIN photos p ON p.id = r.photo_id WHERE p.device_id = ? AND (r.counts OR NOT ?)",
        )
        .bind(owner.to_string())
        .bind(counted_only)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(count.max(0) as u64)
    }
}

#[async_trait]
impl MetadataStore for SqliteMetadataStore {
    async fn create_photo(&self, photo: &NewPhoto) -> PortResult<CreatePhoto> {
        let content_length = i64::try_from(photo.content_length)
            .map_err(|_| PortError::Invalid("content length out of range".into()))?;
        // The INSERT takes the database's write lock even when it inserts nothing, and the
        // transaction keeps it: a concurrent DELETE cannot slip between it and the read.
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let created = sqlx::query(&format!(
            "INSERT INTO photos (id, device_id, lat, lon, status, content_type, content_length, \
             created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (id) DO NOTHING RETURNING {PHOTO_COLUMNS}"
        ))
        .bind(photo.id.to_string())
        .bind(photo.device_id.to_string())
        .bind(photo.lat)
        .bind(photo.lon)
        .bind(PhotoStatus::AwaitingUpload.as_str())
        .bind(&photo.content_type)
        .bind(content_length)
        .bind(to_micros(photo.created_at))
        .bind(to_micros(photo.created_at))
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
        let outcome = match created {
            Some(row) => CreatePhoto::Created(photo_from_row(&row)?),
            None => {
                let existing =
                    sqlx::query(&format!("SELECT {PHOTO_COLUMNS} FROM photos WHERE id = ?"))
                        .bind(photo.id.to_string())
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_error)?
                        .ok_or_else(|| {
                            PortError::Invalid(format!(
                                "photo {} both exists and does not, under one write lock",
                                photo.id
                            ))
                        })?;
                CreatePhoto::Existing(photo_from_row(&existing)?)
            }
        };
        tx.commit().await.map_err(db_error)?;
        Ok(outcome)
    }

    async fn get_photo(&self, id: PhotoId) -> PortResult<Option<Photo>> {
        let row = sqlx::query(&format!("SELECT {PHOTO_COLUMNS} FROM photos WHERE id = ?"))
            .bind(id.to_string())
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
        sqlx::query(&format!(
            "UPDATE photos SET status = 'processing', execution_name = ?1, reason_code = NULL, \
             reason = NULL, updated_at = ?2 \
             WHERE id = ?3 AND status IN ({}) \
             AND NOT (status = 'processing' AND execution_name IS ?1)",
            statuses_that_can_become(PhotoStatus::Processing)
        ))
        .bind(execution_name)
        .bind(to_micros(Utc::now()))
        .bind(id.to_string())
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        self.get_photo(id).await
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
            "UPDATE photos SET status = ?1, reason_code = ?2, reason = ?3, width = ?4, height = ?5, \
             thumb_key = ?6, display_key = ?7, updated_at = ?8 \
             WHERE id = ?9 AND status IN ({}) \
             AND NOT (status = ?1 AND reason_code IS ?2 AND reason IS ?3 AND width IS ?4 \
                      AND height IS ?5 AND thumb_key IS ?6 AND display_key IS ?7) \
             RETURNING {PHOTO_COLUMNS}",
            statuses_that_can_become(columns.status)
        ))
        .bind(columns.status.as_str())
        .bind(columns.reason_code)
        .bind(columns.reason)
        .bind(columns.width)
        .bind(columns.height)
        .bind(columns.thumb_key)
        .bind(columns.display_key)
        .bind(to_micros(Utc::now()))
        .bind(id.to_string())
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
        let result = sqlx::query("DELETE FROM photos WHERE id = ?")
            .bind(id.to_string())
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
        // One statement: SQLite runs one writer at a time, so the quota cannot be
        // overrun by reports racing each other.
        let filed: Option<(bool, bool)> = sqlx::query_as(
            "INSERT INTO abuse_reports \
             (photo_id, reporter_device_id, created_at, client_address, reporter_standing, counts) \
             SELECT ?1, ?2, ?3, ?4, s.standing, s.standing AND ( \
                 EXISTS (SELECT 1 FROM abuse_reports a WHERE a.client_address IS ?4 \
                         AND a.counts AND a.created_at >= ?5 AND a.reporter_device_id = ?2) \
                 OR (SELECT COUNT(DISTINCT a.reporter_device_id) FROM abuse_reports a \
                     WHERE a.client_address IS ?4 AND a.counts AND a.created_at >= ?5) < ?6) \
             FROM (SELECT EXISTS (SELECT 1 FROM photos p WHERE p.device_id = ?2 \
                   AND p.status = 'ready' AND p.updated_at <= ?3) AS standing) s \
             WHERE true \
             ON CONFLICT (photo_id, reporter_device_id) DO NOTHING \
             RETURNING reporter_standing, counts",
        )
        .bind(report.photo_id.to_string())
        .bind(report.reporter.to_string())
        .bind(to_micros(report.filed_at))
        .bind(report.client_address.as_deref())
        .bind(to_micros(window_start))
        .bind(i64::from(report.reporters_per_address))
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| missing_photo_or(e, report.photo_id))?;
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
        let rows = sqlx::query(&format!(
            "SELECT {PHOTO_COLUMNS} FROM photos \
             WHERE status = 'ready' AND created_at >= ? AND created_at < ?"
        ))
        .bind(to_micros(query.window_start))
        .bind(to_micros(query.window_end))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let candidates = rows
            .iter()
            .map(photo_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rank_page(candidates, query))
    }

    async fn abuse_reports(&self, photo: PhotoId) -> PortResult<Vec<AbuseReport>> {
        let rows = sqlx::query(&format!(
            "SELECT {ABUSE_REPORT_COLUMNS} FROM abuse_reports WHERE photo_id = ? \
             ORDER BY created_at, reporter_device_id"
        ))
        .bind(photo.to_string())
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
            "SELECT {EVENT_COLUMNS} FROM photo_events WHERE photo_id = ? \
             ORDER BY recorded_at, event_id"
        ))
        .bind(photo.to_string())
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
             WHERE sent_at IS NULL AND recorded_at < ? \
             ORDER BY attempts, recorded_at, event_id LIMIT ?"
        ))
        .bind(to_micros(recorded_before))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(event_from_row).collect()
    }

    async fn mark_event_sent(&self, event_id: &str) -> PortResult<bool> {
        let result = sqlx::query(
            "UPDATE photo_events SET sent_at = ? WHERE event_id = ? AND sent_at IS NULL",
        )
        .bind(to_micros(Utc::now()))
        .bind(event_id)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(result.rows_affected() > 0)
    }

    async fn mark_event_failed(&self, event_id: &str) -> PortResult<()> {
        sqlx::query("UPDATE photo_events SET attempts = attempts + 1 WHERE event_id = ?")
            .bind(event_id)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}

#[async_trait]
impl ReplayAudit for SqliteMetadataStore {
    async fn save_replay(&self, record: &ReplayRecord) -> PortResult<()> {
        let photos = encode_photos(record)?;
        sqlx::query(&format!(
            "INSERT INTO replays ({REPLAY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET operator = excluded.operator, \
             started_at = excluded.started_at, finished_at = excluded.finished_at, \
             selection = excluded.selection, forced = excluded.forced, rate = excluded.rate, \
             photos = excluded.photos"
        ))
        .bind(record.id.to_string())
        .bind(&record.operator)
        .bind(to_micros(record.started_at))
        .bind(record.finished_at.map(to_micros))
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
            "SELECT {REPLAY_COLUMNS} FROM replays ORDER BY started_at DESC, id DESC LIMIT ?"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.iter().map(replay_from_row).collect()
    }

    async fn replay(&self, id: uuid::Uuid) -> PortResult<Option<ReplayRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {REPLAY_COLUMNS} FROM replays WHERE id = ?"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.as_ref().map(replay_from_row).transpose()
    }
}

/// The one INSERT of an announcement: with its outcome, or late (see `record_event`).
async fn insert_event<'e, E: sqlx::SqliteExecutor<'e>>(
    executor: E,
    photo: PhotoId,
    event_type: &str,
    attempt: u32,
    recorded_at: DateTime<Utc>,
) -> PortResult<()> {
    sqlx::query(
        "INSERT INTO photo_events (event_id, photo_id, event_type, recorded_at) \
         VALUES (?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(event_id(photo, event_type, attempt))
    .bind(photo.to_string())
    .bind(event_type)
    .bind(to_micros(recorded_at))
    .execute(executor)
    .await
    .map_err(|e| missing_photo_or(e, photo))?;
    Ok(())
}
