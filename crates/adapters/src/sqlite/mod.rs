//! The metadata store on SQLite: the local stack's stand-in for Postgres. Its
//! statements are [`SqlStore`]'s; what SQLite does its own way is in `dialect.rs`.

mod dialect;
mod feed;

use crate::sql_store::SqlStore;
use crate::sqlite_file::{migrate, open_sqlite_file};
use sqlx::sqlite::{Sqlite, SqlitePool};
use std::path::Path;
use wisaw_domain::ports::PortResult;

pub use feed::rank_page;

pub type SqliteMetadataStore = SqlStore<Sqlite>;

impl SqliteMetadataStore {
    /// Opens (or creates) the database file and brings its schema up to date.
    pub async fn open(path: impl AsRef<Path>) -> PortResult<Self> {
        Self::from_pool(open_sqlite_file(path.as_ref()).await?).await
    }

    /// Uses an existing pool (it should have foreign keys on, as [`Self::open`] sets them)
    /// and brings its schema up to date.
    pub async fn from_pool(pool: SqlitePool) -> PortResult<Self> {
        migrate(&pool, sqlx::migrate!("./migrations/sqlite")).await?;
        Ok(Self::migrated(pool))
    }
}
