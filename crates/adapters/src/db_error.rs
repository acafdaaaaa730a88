//! How a database error becomes a [`PortError`], for the SQLite and Postgres adapters.

use wisaw_domain::error::PortError;

/// Connection trouble, locks and busy databases are worth a retry; everything else a
/// database says is final.
pub fn db_error(error: sqlx::Error) -> PortError {
    match error {
        sqlx::Error::RowNotFound => PortError::NotFound(error.to_string()),
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => PortError::Unavailable(error.to_string()),
        sqlx::Error::Database(ref db) if is_transient_database_error(db.as_ref()) => {
            PortError::Unavailable(error.to_string())
        }
        other => PortError::Invalid(other.to_string()),
    }
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
