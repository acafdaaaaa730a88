//! The one place a SQLite file is opened: the metadata store, the queues and the local
//! runner's executions all open theirs here, with the same settings.

use crate::db_error::db_error;
use chrono::{DateTime, Utc};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::Path;
use std::time::Duration;
use wisaw_domain::error::PortError;

/// How long a connection waits for another one's write lock before giving up.
/// Several local workers share one file, so short waits are normal.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How much of each file is read through a memory map: more than a laptop's pipeline
/// ever holds in its metadata, queues or executions.
const MMAP_SIZE: u64 = 256 << 20;

/// Opens (creating it if missing) a SQLite file in WAL mode, so readers never block the
/// writer, with a busy timeout and foreign keys on.
pub async fn open_sqlite_file(path: &Path) -> Result<SqlitePool, PortError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        tokio::fs::create_dir_all(parent).await.map_err(|e| {
            PortError::Unavailable(format!("creating {}: {e}", parent.display()).into())
        })?;
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // NORMAL is durable across application crashes in WAL mode, and much faster than FULL.
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true)
        // Pages are read from a memory map rather than with a pread each: under a burst
        // of photos that was a fifth of the server's system calls (strace -c).
        .pragma("mmap_size", MMAP_SIZE.to_string());
    SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .map_err(db_error)
}

/// Runs a migrator, tolerating migrations it does not know: the metadata store and the
/// queues may share one file, each with its own migrations.
pub async fn migrate(pool: &SqlitePool, mut migrator: Migrator) -> Result<(), PortError> {
    migrator.set_ignore_missing(true);
    migrator
        .run(pool)
        .await
        .map_err(|e| PortError::Invalid(format!("migrating the database: {e}").into()))
}

/// Times are stored as unix microseconds: integers sort and index cheaply.
pub fn to_micros(time: DateTime<Utc>) -> i64 {
    time.timestamp_micros()
}

pub fn from_micros(micros: i64) -> Result<DateTime<Utc>, PortError> {
    DateTime::from_timestamp_micros(micros).ok_or_else(|| {
        PortError::Invalid(format!("a stored time is out of range: {micros}").into())
    })
}
