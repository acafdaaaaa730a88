//! Postgres's part of the metadata store: UUIDs and times in their native types
//! (`uuid`, `timestamptz`), the upsert that creates a photo, the feed from a GiST index,
//! and advisory locks for abuse reports.

use super::feed::feed_page;
use crate::db_error::db_error;
use crate::photo_rows::{photo_from_row, PlainColumns, StoredColumns, PHOTO_COLUMNS};
use crate::sql_store::Dialect;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::{Pool, Postgres, Row};
use uuid::Uuid;
use wisaw_domain::error::PortError;
use wisaw_domain::model::{CreatePhoto, FeedPage, FeedQuery, NewPhoto};
use wisaw_domain::ports::PortResult;
use wisaw_domain::status::PhotoStatus;

#[async_trait]
impl Dialect for Postgres {
    type Uuid = Uuid;
    type Time = DateTime<Utc>;

    fn uuid(id: Uuid) -> Uuid {
        id
    }

    fn time(time: DateTime<Utc>) -> DateTime<Utc> {
        time
    }

    async fn create_photo(
        pool: &Pool<Postgres>,
        photo: &NewPhoto,
        content_length: i64,
    ) -> PortResult<CreatePhoto> {
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
        .fetch_one(pool)
        .await
        .map_err(db_error)?;
        let stored = photo_from_row(&row)?;
        Ok(if row.flag("inserted")? {
            CreatePhoto::Created(stored)
        } else {
            CreatePhoto::Existing(stored)
        })
    }

    async fn feed(pool: &Pool<Postgres>, query: &FeedQuery) -> PortResult<FeedPage> {
        feed_page(pool, query).await
    }

    /// A transaction-scoped advisory lock on the address's hash.
    async fn take_address_turn(
        transaction: &mut PgConnection,
        client_address: Option<&str>,
    ) -> PortResult<()> {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended(coalesce($1, ''), 0))")
            .bind(client_address)
            .execute(transaction)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}

impl StoredColumns for PgRow {
    fn uuid(&self, column: &str) -> Result<Uuid, PortError> {
        self.try_get(column).map_err(db_error)
    }

    fn time(&self, column: &str) -> Result<DateTime<Utc>, PortError> {
        self.try_get(column).map_err(db_error)
    }

    fn optional_time(&self, column: &str) -> Result<Option<DateTime<Utc>>, PortError> {
        self.try_get(column).map_err(db_error)
    }
}
