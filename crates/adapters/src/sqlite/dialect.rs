//! SQLite's part of the metadata store: UUIDs kept as text, times as unix microseconds
//! (see [`crate::sqlite_file::to_micros`]), and its own insert-if-absent and feed.

use super::feed::rank_page;
use crate::db_error::db_error;
use crate::photo_rows::{corrupt, photo_from_row, PlainColumns, StoredColumns, PHOTO_COLUMNS};
use crate::sql_store::Dialect;
use crate::sqlite_file::{from_micros, to_micros};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnection, SqliteRow};
use sqlx::{Pool, Sqlite};
use uuid::Uuid;
use wisaw_domain::error::PortError;
use wisaw_domain::model::{CreatePhoto, FeedPage, FeedQuery, NewPhoto};
use wisaw_domain::ports::PortResult;
use wisaw_domain::status::PhotoStatus;

#[async_trait]
impl Dialect for Sqlite {
    type Uuid = String;
    type Time = i64;

    fn uuid(id: Uuid) -> String {
        id.to_string()
    }

    fn time(time: DateTime<Utc>) -> i64 {
        to_micros(time)
    }

    async fn create_photo(
        pool: &Pool<Sqlite>,
        photo: &NewPhoto,
        content_length: i64,
    ) -> PortResult<CreatePhoto> {
        // The INSERT takes the database's write lock even when it inserts nothing, and the
        // transaction keeps it: a concurrent DELETE cannot slip between it and the read.
        let mut tx = pool.begin().await.map_err(db_error)?;
        let created = sqlx::query(&format!(
            "INSERT INTO photos (id, device_id, lat, lon, status, content_type, content_length, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
             ON CONFLICT (id) DO NOTHING RETURNING {PHOTO_COLUMNS}"
        ))
        .bind(Self::uuid(photo.id.0))
        .bind(Self::uuid(photo.device_id.0))
        .bind(photo.lat)
        .bind(photo.lon)
        .bind(PhotoStatus::AwaitingUpload.as_str())
        .bind(&photo.content_type)
        .bind(content_length)
        .bind(Self::time(photo.created_at))
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
        let outcome = match created {
            Some(row) => CreatePhoto::Created(photo_from_row(&row)?),
            None => {
                let existing =
                    sqlx::query(&format!("SELECT {PHOTO_COLUMNS} FROM photos WHERE id = $1"))
                        .bind(Self::uuid(photo.id.0))
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_error)?
                        .ok_or_else(|| {
                            PortError::Invalid(
                                format!(
                                    "photo {} both exists and does not, under one write lock",
                                    photo.id
                                )
                                .into(),
                            )
                        })?;
                CreatePhoto::Existing(photo_from_row(&existing)?)
            }
        };
        tx.commit().await.map_err(db_error)?;
        Ok(outcome)
    }

    /// SQLite has no trigonometry by default: the window is selected by index and ranked
    /// by [`rank_page`].
    async fn feed(pool: &Pool<Sqlite>, query: &FeedQuery) -> PortResult<FeedPage> {
        let rows = sqlx::query(&format!(
            "SELECT {PHOTO_COLUMNS} FROM photos \
             WHERE status = 'ready' AND created_at >= $1 AND created_at < $2"
        ))
        .bind(Self::time(query.window_start))
        .bind(Self::time(query.window_end))
        .fetch_all(pool)
        .await
        .map_err(db_error)?;
        let candidates = rows
            .iter()
            .map(photo_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rank_page(candidates, query))
    }

    /// Nothing to wait for: SQLite runs one writer at a time, so a report's one
    /// statement already has the database to itself.
    async fn take_address_turn(
        _transaction: &mut SqliteConnection,
        _client_address: Option<&str>,
    ) -> PortResult<()> {
        Ok(())
    }
}

impl StoredColumns for SqliteRow {
    fn uuid(&self, column: &str) -> Result<Uuid, PortError> {
        self.text(column)?.parse().map_err(|e| corrupt(column, e))
    }

    fn time(&self, column: &str) -> Result<DateTime<Utc>, PortError> {
        from_micros(self.integer(column)?)
    }

    fn optional_time(&self, column: &str) -> Result<Option<DateTime<Utc>>, PortError> {
        self.optional_integer(column)?.map(from_micros).transpose()
    }
}
