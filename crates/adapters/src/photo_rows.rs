//! Between a `photos` row and the domain's [`Photo`], for both SQL stores. The two differ
//! only in how a UUID and a time are stored (text and unix microseconds in SQLite, native
//! types in Postgres): each store says that through [`StoredColumns`], and the rest is read
//! here once.

use crate::db_error::db_error;
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Decode, Row, Type};
use uuid::Uuid;
use wisaw_domain::error::PortError;
use wisaw_domain::events::OutboxEvent;
use wisaw_domain::ids::{DeviceId, PhotoId};
use wisaw_domain::model::{AbuseReport, Photo};
use wisaw_domain::status::PhotoStatus;

/// The columns of `photos`, in the order [`photo_from_row`] reads them.
pub const PHOTO_COLUMNS: &str = "id, device_id, lat, lon, status, content_type, content_length, \
     reason_code, reason, width, height, thumb_key, display_key, execution_name, created_at, updated_at";

/// How one store keeps the columns whose types differ between SQLite and Postgres.
pub trait StoredColumns: PlainColumns {
    fn uuid(&self, column: &str) -> Result<Uuid, PortError>;
    fn time(&self, column: &str) -> Result<DateTime<Utc>, PortError>;
    fn optional_time(&self, column: &str) -> Result<Option<DateTime<Utc>>, PortError>;
}

/// The columns both stores keep alike, read the same way from any row. What sqlx must
/// decode is stated once, on the impl below, so the readers need no bounds of their own.
pub trait PlainColumns {
    fn text(&self, column: &str) -> Result<String, PortError>;
    fn optional_text(&self, column: &str) -> Result<Option<String>, PortError>;
    fn real(&self, column: &str) -> Result<f64, PortError>;
    fn integer(&self, column: &str) -> Result<i64, PortError>;
    fn optional_integer(&self, column: &str) -> Result<Option<i64>, PortError>;
    fn flag(&self, column: &str) -> Result<bool, PortError>;
}

impl<R> PlainColumns for R
where
    R: Row,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> f64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
    for<'n> &'n str: ColumnIndex<R>,
{
    fn text(&self, column: &str) -> Result<String, PortError> {
        self.try_get(column).map_err(db_error)
    }

    fn optional_text(&self, column: &str) -> Result<Option<String>, PortError> {
        self.try_get(column).map_err(db_error)
    }

    fn real(&self, column: &str) -> Result<f64, PortError> {
        self.try_get(column).map_err(db_error)
    }

    fn integer(&self, column: &str) -> Result<i64, PortError> {
        self.try_get(column).map_err(db_error)
    }

    fn optional_integer(&self, column: &str) -> Result<Option<i64>, PortError> {
        self.try_get(column).map_err(db_error)
    }

    fn flag(&self, column: &str) -> Result<bool, PortError> {
        self.try_get(column).map_err(db_error)
    }
}

pub fn corrupt(what: &str, detail: impl std::fmt::Display) -> PortError {
    PortError::Invalid(format!("a stored {what} is unreadable: {detail}").into())
}

fn optional_u32(row: &impl PlainColumns, name: &str) -> Result<Option<u32>, PortError> {
    row.optional_integer(name)?
        .map(|v| u32::try_from(v).map_err(|e| corrupt(name, e)))
        .transpose()
}

pub fn photo_from_row(row: &impl StoredColumns) -> Result<Photo, PortError> {
    let content_length = row.integer("content_length")?;
    Ok(Photo {
        id: PhotoId(row.uuid("id")?),
        device_id: DeviceId(row.uuid("device_id")?),
        lat: row.real("lat")?,
        lon: row.real("lon")?,
        status: parse_status(row.text("status")?)?,
        content_type: row.text("content_type")?,
        content_length: u64::try_from(content_length).map_err(|e| corrupt("content length", e))?,
        reason_code: row.optional_text("reason_code")?,
        reason: row.optional_text("reason")?,
        width: optional_u32(row, "width")?,
        height: optional_u32(row, "height")?,
        thumb_key: row.optional_text("thumb_key")?,
        display_key: row.optional_text("display_key")?,
        execution_name: row.optional_text("execution_name")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
    })
}

fn parse_status(status: String) -> Result<PhotoStatus, PortError> {
    status
        .parse::<PhotoStatus>()
        .map_err(|e| corrupt("status", e))
}

/// The columns of `photo_events`, in the order [`event_from_row`] reads them.
pub const EVENT_COLUMNS: &str = "event_id, photo_id, event_type, recorded_at, sent_at";

pub fn event_from_row(row: &impl StoredColumns) -> Result<OutboxEvent, PortError> {
    Ok(OutboxEvent {
        event_id: row.text("event_id")?,
        photo_id: PhotoId(row.uuid("photo_id")?),
        event_type: row.text("event_type")?,
        recorded_at: row.time("recorded_at")?,
        sent_at: row.optional_time("sent_at")?,
    })
}

/// The columns of `abuse_reports`, in the order [`abuse_report_from_row`] reads them.
pub const ABUSE_REPORT_COLUMNS: &str = "reporter_device_id, created_at, reporter_standing, counts";

pub fn abuse_report_from_row(row: &impl StoredColumns) -> Result<AbuseReport, PortError> {
    Ok(AbuseReport {
        reporter: DeviceId(row.uuid("reporter_device_id")?),
        filed_at: row.time("created_at")?,
        reporter_standing: row.flag("reporter_standing")?,
        counts: row.flag("counts")?,
    })
}

/// The rows of `SELECT status, COUNT(*) AS photos ... GROUP BY status`, in
/// [`PhotoStatus::ALL`]'s order, statuses without photos left out.
pub fn counts_by_status(rows: &[impl PlainColumns]) -> Result<Vec<(PhotoStatus, u64)>, PortError> {
    let mut counts: Vec<(PhotoStatus, u64)> = PhotoStatus::ALL
        .into_iter()
        .map(|status| (status, 0))
        .collect();
    for row in rows {
        let status = parse_status(row.text("status")?)?;
        let count = u64::try_from(row.integer("photos")?).map_err(|e| corrupt("count", e))?;
        if let Some((_, total)) = counts.iter_mut().find(|(s, _)| *s == status) {
            *total += count;
        }
    }
    counts.retain(|(_, count)| *count > 0);
    Ok(counts)
}

/// A foreign key pointing nowhere means the photo is gone.
pub fn missing_photo_or(error: sqlx::Error, photo: PhotoId) -> PortError {
    match &error {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            PortError::NotFound(format!("photo {photo}").into())
        }
        _ => db_error(error),
    }
}
