//! How a database error becomes a [`PortError`], for the SQLite and Postgres adapters.

use wisaw_domain::error::{PortError, Reason};

/// Connection trouble, locks and busy databases are worth a retry; everything else a
/// database says is final. The database's error stays attached as the source.
pub fn db_error(error: sqlx::Error) -> PortError {
    let kind: fn(Reason) -> PortError = match &error {
        sqlx::Error::RowNotFound => PortError::NotFound,
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => PortError::Unavailable,
        sqlx::Error::Database(db) if is_transient_database_error(db.as_ref()) => {
            PortError::Unavailable
        }
        _ => PortError::Invalid,
    };
    kind(Reason::caused_by(error.to_string(), error))
}

fn is_transient_database_error(error: &dyn sqlx::error::DatabaseError) -> bool {
    let message = error.message().to_ascii_lowercase();
    message.contains("database is locked")
        || message.contains("busy")
        || error.code().is_some_and(|code| {
            // Postgres: serialization failure, deadlock, too many connections, admin shutdown.
            matches!(
                code.as_ref(),
                "40001" | "40P01" | "53300" | "57P01" | "57P03"
            )
        })
}
