//! The replays' audit log, the same on every database.

use super::{Dialect, SqlStore};
use crate::db_error::db_error;
use crate::fetch;
use crate::replay_rows::{encode_photos, replay_from_row, REPLAY_COLUMNS};
use async_trait::async_trait;
use sqlx::{Encode, Executor, IntoArguments, Type};
use wisaw_domain::ports::{PortResult, ReplayAudit};
use wisaw_domain::replay::ReplayRecord;

#[async_trait]
impl<D> ReplayAudit for SqlStore<D>
where
    D: Dialect,
    for<'c> &'c mut D::Connection: Executor<'c, Database = D>,
    for<'q> D::Arguments<'q>: IntoArguments<'q, D>,
    for<'q> String: Encode<'q, D> + Type<D>,
    for<'q> Option<D::Time>: Encode<'q, D>,
    for<'q> i64: Encode<'q, D> + Type<D>,
    for<'q> f64: Encode<'q, D> + Type<D>,
    for<'q> bool: Encode<'q, D> + Type<D>,
{
    async fn save_replay(&self, record: &ReplayRecord) -> PortResult<()> {
        let photos = encode_photos(record)?;
        sqlx::query(&format!(
            "INSERT INTO replays ({REPLAY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (id) DO UPDATE SET operator = excluded.operator, \
             started_at = excluded.started_at, finished_at = excluded.finished_at, \
             selection = excluded.selection, forced = excluded.forced, rate = excluded.rate, \
             photos = excluded.photos"
        ))
        .bind(D::uuid(record.id))
        .bind(&record.operator)
        .bind(D::time(record.started_at))
        .bind(record.finished_at.map(D::time))
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
        let sql = format!(
            "SELECT {REPLAY_COLUMNS} FROM replays ORDER BY started_at DESC, id DESC LIMIT $1"
        );
        let query = sqlx::query(&sql).bind(i64::from(limit));
        fetch::all(&self.pool, query, replay_from_row).await
    }

    async fn replay(&self, id: uuid::Uuid) -> PortResult<Option<ReplayRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {REPLAY_COLUMNS} FROM replays WHERE id = $1"
        ))
        .bind(D::uuid(id))
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)?;
        row.as_ref().map(replay_from_row).transpose()
    }
}
