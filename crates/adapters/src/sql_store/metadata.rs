//! The metadata store's statements, the same on every database.

use super::{statuses_that_can_become, Dialect, SqlStore};
use crate::db_error::db_error;
use crate::fetch;
use crate::outcome_columns::OutcomeColumns;
use crate::photo_rows::{
    abuse_report_from_row, counts_by_status, event_from_row, missing_photo_or, photo_from_row,
    PlainColumns, ABUSE_REPORT_COLUMNS, EVENT_COLUMNS, PHOTO_COLUMNS,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Encode, Executor, IntoArguments, Type};
use wisaw_domain::contracts::Outcome;
use wisaw_domain::error::PortError;
use wisaw_domain::events::{announced_as, event_id, OutboxEvent};
use wisaw_domain::ids::{DeviceId, PhotoId};
use wisaw_domain::model::{
    AbuseReport, CreatePhoto, FeedPage, FeedQuery, FiledReport, NewAbuseReport, NewPhoto, Photo,
};
use wisaw_domain::ports::{MetadataStore, PortResult};
use wisaw_domain::status::PhotoStatus;

impl<D> SqlStore<D>
where
    D: Dialect,
    for<'c> &'c mut D::Connection: Executor<'c, Database = D>,
    for<'q> D::Arguments<'q>: IntoArguments<'q, D>,
    for<'q> bool: Encode<'q, D> + Type<D>,
{
    /// Distinct reporters of any photo of `owner`; with `counted_only`, only those
    /// whose reports count.
    async fn reporters_against(&self, owner: DeviceId, counted_only: bool) -> PortResult<u64> {
        let row = sqlx::query(
            "SELECT COUNT(DISTINCT r.reporter_device_id) AS reporters FROM abuse_reports r \
             JOIN photos p ON p.id = r.photo_id WHERE p.device_id = $1 AND (r.counts OR NOT $2)",
        )
        .bind(D::uuid(owner.0))
        .bind(counted_only)
        .fetch_one(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(row.integer("reporters")?.max(0) as u64)
    }
}

/// The one INSERT of an announcement: with its outcome, or late (see `record_event`).
async fn insert_event<'e, D, E>(
    executor: E,
    photo: PhotoId,
    event_type: &str,
    attempt: u32,
    recorded_at: DateTime<Utc>,
) -> PortResult<()>
where
    D: Dialect,
    E: Executor<'e, Database = D>,
    for<'q> D::Arguments<'q>: IntoArguments<'q, D>,
    for<'q> &'q str: Encode<'q, D> + Type<D>,
    for<'q> String: Encode<'q, D> + Type<D>,
{
    sqlx::query(
        "INSERT INTO photo_events (event_id, photo_id, event_type, recorded_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(event_id(photo, event_type, attempt))
    .bind(D::uuid(photo.0))
    .bind(event_type)
    .bind(D::time(recorded_at))
    .execute(executor)
    .await
    .map_err(|e| missing_photo_or(e, photo))?;
    Ok(())
}

#[async_trait]
impl<D> MetadataStore for SqlStore<D>
where
    D: Dialect,
    for<'c> &'c mut D::Connection: Executor<'c, Database = D>,
    for<'q> D::Arguments<'q>: IntoArguments<'q, D>,
    for<'q> &'q str: Encode<'q, D> + Type<D>,
    for<'q> Option<&'q str>: Encode<'q, D>,
    for<'q> String: Encode<'q, D> + Type<D>,
    for<'q> i64: Encode<'q, D> + Type<D>,
    for<'q> Option<i64>: Encode<'q, D>,
    for<'q> f64: Encode<'q, D> + Type<D>,
    for<'q> bool: Encode<'q, D> + Type<D>,
{
    async fn create_photo(&self, photo: &NewPhoto) -> PortResult<CreatePhoto> {
        let content_length = i64::try_from(photo.content_length)
            .map_err(|_| PortError::Invalid("content length out of range".into()))?;
        D::create_photo(&self.pool, photo, content_length).await
    }

    async fn get_photo(&self, id: PhotoId) -> PortResult<Option<Photo>> {
        let row = sqlx::query(&format!("SELECT {PHOTO_COLUMNS} FROM photos WHERE id = $1"))
            .bind(D::uuid(id.0))
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
             WHERE id = $3 AND status IN ({}) \
             AND NOT (status = 'processing' AND execution_name IS NOT DISTINCT FROM $1) \
             RETURNING {PHOTO_COLUMNS}",
            statuses_that_can_become(PhotoStatus::Processing)
        ))
        .bind(execution_name)
        .bind(D::time(Utc::now()))
        .bind(D::uuid(id.0))
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
             WHERE id = $9 AND status IN ({}) \
             AND NOT (status = $1 AND reason_code IS NOT DISTINCT FROM $2 \
                      AND reason IS NOT DISTINCT FROM $3 AND width IS NOT DISTINCT FROM $4 \
                      AND height IS NOT DISTINCT FROM $5 AND thumb_key IS NOT DISTINCT FROM $6 \
                      AND display_key IS NOT DISTINCT FROM $7) \
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
        .bind(D::time(Utc::now()))
        .bind(D::uuid(id.0))
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
        let deleted = sqlx::query("DELETE FROM photos WHERE id = $1 RETURNING id")
            .bind(D::uuid(id.0))
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(deleted.is_some())
    }

    async fn add_abuse_report(&self, report: &NewAbuseReport) -> PortResult<FiledReport> {
        let window_start = report
            .filed_at
            .checked_sub_signed(report.address_window)
            .ok_or_else(|| PortError::Invalid("abuse report window out of range".into()))?;
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        D::take_address_turn(&mut tx, report.client_address.as_deref()).await?;
        // `WHERE true` lets SQLite tell the SELECT's end from the ON CONFLICT clause.
        let filed = sqlx::query(
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
             WHERE true \
             ON CONFLICT (photo_id, reporter_device_id) DO NOTHING \
             RETURNING reporter_standing, counts",
        )
        .bind(D::uuid(report.photo_id.0))
        .bind(D::uuid(report.reporter.0))
        .bind(D::time(report.filed_at))
        .bind(report.client_address.as_deref())
        .bind(D::time(window_start))
        .bind(i64::from(report.reporters_per_address))
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| missing_photo_or(e, report.photo_id))?;
        tx.commit().await.map_err(db_error)?;
        match filed {
            Some(row) => Ok(FiledReport::new(
                row.flag("reporter_standing")?,
                row.flag("counts")?,
            )),
            None => Ok(FiledReport::AlreadyFiled),
        }
    }

    async fn distinct_reporters_against(&self, owner: DeviceId) -> PortResult<u64> {
        self.reporters_against(owner, false).await
    }

    async fn counted_reporters_against(&self, owner: DeviceId) -> PortResult<u64> {
        self.reporters_against(owner, true).await
    }

    async fn feed(&self, query: &FeedQuery) -> PortResult<FeedPage> {
        D::feed(&self.pool, query).await
    }

    async fn abuse_reports(&self, photo: PhotoId) -> PortResult<Vec<AbuseReport>> {
        let sql = format!(
            "SELECT {ABUSE_REPORT_COLUMNS} FROM abuse_reports WHERE photo_id = $1 \
             ORDER BY created_at, reporter_device_id"
        );
        let query = sqlx::query(&sql).bind(D::uuid(photo.0));
        fetch::all(&self.pool, query, abuse_report_from_row).await
    }

    async fn count_by_status(&self) -> PortResult<Vec<(PhotoStatus, u64)>> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS photos FROM photos GROUP BY status")
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        counts_by_status(&rows)
    }

    async fn photo_events(&self, photo: PhotoId) -> PortResult<Vec<OutboxEvent>> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM photo_events WHERE photo_id = $1 \
             ORDER BY recorded_at, event_id"
        );
        let query = sqlx::query(&sql).bind(D::uuid(photo.0));
        fetch::all(&self.pool, query, event_from_row).await
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
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM photo_events \
             WHERE sent_at IS NULL AND recorded_at < $1 \
             ORDER BY attempts, recorded_at, event_id LIMIT $2"
        );
        let query = sqlx::query(&sql)
            .bind(D::time(recorded_before))
            .bind(i64::from(limit));
        fetch::all(&self.pool, query, event_from_row).await
    }

    async fn mark_event_sent(&self, event_id: &str) -> PortResult<bool> {
        let marked = sqlx::query(
            "UPDATE photo_events SET sent_at = $1 WHERE event_id = $2 AND sent_at IS NULL \
             RETURNING event_id",
        )
        .bind(D::time(Utc::now()))
        .bind(event_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(marked.is_some())
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
