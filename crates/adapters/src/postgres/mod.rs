//! The metadata store on Postgres: production's store (RDS). Its statements are
//! [`SqlStore`]'s, with the same semantics as on SQLite; what Postgres does its own way
//! is in `dialect.rs`.
//!
//! The feed is served by a GiST index; see [`feed`] for its order and its cursor.

pub mod config;
mod dialect;
mod feed;

use crate::db_error::db_error;
use crate::sql_store::SqlStore;
use sqlx::migrate::MigrateError;
use sqlx::postgres::{PgPool, Postgres};
use wisaw_domain::error::PortError;
use wisaw_domain::model::FeedQuery;
use wisaw_domain::ports::PortResult;

pub use config::PostgresSettings;

pub type PostgresMetadataStore = SqlStore<Postgres>;

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
            return Ok(Self::migrated(pool));
        }
        // During a deployment older instances still run next to newer ones: a migration
        // they do not know yet must not stop them.
        migrator.set_ignore_missing(true);
        migrator.run(&pool).await.map_err(|e| match e {
            // A dropped connection is worth a retry; a broken migration is not.
            MigrateError::Execute(e) | MigrateError::ExecuteMigration(e, _) => db_error(e),
            other => PortError::Invalid(format!("migrating the database: {other}").into()),
        })?;
        Ok(Self::migrated(pool))
    }

    /// How Postgres runs (and how long it takes) the first statement of this feed page,
    /// `EXPLAIN ANALYZE` line by line: for an operator asking why the feed is slow.
    pub async fn explain_feed(&self, query: &FeedQuery) -> PortResult<Vec<String>> {
        feed::explain_feed_page(self.pool(), query).await
    }
}

/// Whether every migration this build knows has been applied (an error, such as no
/// migrations table yet, is a no: the migrator then runs and says what is wrong).
async fn applied_already(pool: &PgPool, migrator: &sqlx::migrate::Migrator) -> bool {
    let versions: Vec<i64> = migrator.iter().map(|migration| migration.version).collect();
    // Only the current schema's record counts: another schema further along the search
    // path may hold one too, and its tables are not this schema's.
    let applied: Result<i64, _> = sqlx::query_scalar(
        "SELECT count(*) FROM _sqlx_migrations WHERE success AND version = ANY($1) \
         AND '_sqlx_migrations'::regclass \
             = to_regclass(format('%I._sqlx_migrations', current_schema()))",
    )
    .bind(&versions)
    .fetch_one(pool)
    .await;
    matches!(applied, Ok(count) if count == versions.len() as i64)
}
