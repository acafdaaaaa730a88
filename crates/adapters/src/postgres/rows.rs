//! Postgres keeps the `photos` columns in their native types (`uuid`, `timestamptz`).

use crate::db_error::db_error;
use crate::photo_rows::StoredColumns;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::Row;
use uuid::Uuid;
use wisaw_domain::error::PortError;

pub use crate::photo_rows::{
    abuse_report_from_row, counts_by_status, event_from_row, missing_photo_or, photo_from_row,
    ABUSE_REPORT_COLUMNS, EVENT_COLUMNS, PHOTO_COLUMNS,
};
pub use crate::replay_rows::{encode_photos, replay_from_row, REPLAY_COLUMNS};

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
