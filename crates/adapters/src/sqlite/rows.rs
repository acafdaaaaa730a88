//! How SQLite keeps the `photos` columns whose types differ: UUIDs as text, times as
//! unix microseconds (see [`crate::sqlite_file::to_micros`]).

use crate::db_error::db_error;
use crate::photo_rows::{corrupt, StoredColumns};
use crate::sqlite_file::from_micros;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use uuid::Uuid;
use wisaw_domain::error::PortError;

pub use crate::photo_rows::{
    abuse_report_from_row, counts_by_status, event_from_row, missing_photo_or, photo_from_row,
    ABUSE_REPORT_COLUMNS, EVENT_COLUMNS, PHOTO_COLUMNS,
};
pub use crate::replay_rows::{encode_photos, replay_from_row, REPLAY_COLUMNS};

impl StoredColumns for SqliteRow {
    fn uuid(&self, column: &str) -> Result<Uuid, PortError> {
        let text: String = self.try_get(column).map_err(db_error)?;
        text.parse().map_err(|e| corrupt(column, e))
    }

    fn time(&self, column: &str) -> Result<DateTime<Utc>, PortError> {
        from_micros(self.try_get(column).map_err(db_error)?)
    }

    fn optional_time(&self, column: &str) -> Result<Option<DateTime<Utc>>, PortError> {
        let micros: Option<i64> = self.try_get(column).map_err(db_error)?;
        micros.map(from_micros).transpose()
    }
}
