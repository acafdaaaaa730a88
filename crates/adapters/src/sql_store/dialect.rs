//! What differs between the SQL databases the metadata store runs on.

use crate::photo_rows::StoredColumns;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Database, Encode, Pool, Type};
use uuid::Uuid;
use wisaw_domain::model::{CreatePhoto, FeedPage, FeedQuery, NewPhoto};
use wisaw_domain::ports::PortResult;

/// One database's part of [`super::SqlStore`]: the column encodings and the statements
/// each database does its own way. Implemented for sqlx's database types.
#[async_trait]
pub trait Dialect: Database<Row: StoredColumns> {
    /// How a UUID column is bound (its reading is [`StoredColumns::uuid`]).
    type Uuid: for<'q> Encode<'q, Self> + Type<Self> + Send + Sync + 'static;
    /// How a time column is bound (its reading is [`StoredColumns::time`]).
    type Time: for<'q> Encode<'q, Self> + Type<Self> + Send + Sync + 'static;

    fn uuid(id: Uuid) -> Self::Uuid;

    fn time(time: DateTime<Utc>) -> Self::Time;

    /// Inserts the photo unless one with its id exists, and returns the stored row.
    /// Each database has its own way of not losing a row deleted concurrently.
    async fn create_photo(
        pool: &Pool<Self>,
        photo: &NewPhoto,
        content_length: i64,
    ) -> PortResult<CreatePhoto>;

    /// One page of the feed: each database has its own way of ranking by distance.
    async fn feed(pool: &Pool<Self>, query: &FeedQuery) -> PortResult<FeedPage>;

    /// Waits, inside the report's transaction, until no other report from the same
    /// address is being filed, so that two cannot both see room left in its quota.
    async fn take_address_turn(
        transaction: &mut Self::Connection,
        client_address: Option<&str>,
    ) -> PortResult<()>;
}
