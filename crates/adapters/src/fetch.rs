//! Running a statement and decoding the rows it returns, for the SQL adapters' listings:
//! a fetch's error becomes a [`PortError`], and each row goes through its reader
//! (`event_from_row` and the like).

use crate::db_error::db_error;
use sqlx::query::Query;
use sqlx::{Database, Executor, IntoArguments, Pool};
use wisaw_domain::error::PortError;

/// Every row of `query`, each read by `decode`.
pub async fn all<'q, DB, T>(
    pool: &Pool<DB>,
    query: Query<'q, DB, DB::Arguments<'q>>,
    decode: impl Fn(&DB::Row) -> Result<T, PortError>,
) -> Result<Vec<T>, PortError>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments<'q>: IntoArguments<'q, DB>,
{
    let rows = query.fetch_all(pool).await.map_err(db_error)?;
    rows.iter().map(decode).collect()
}
