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
pub trait StoredColumns: Row {
    fn uuid(&self, column: &str) -> Result<Uuid, PortError>;
    fn time(&self, column: &str) -> Result<DateTime<Utc>, PortError>;
    fn optional_time(&self, column: &str) -> Result<Option<DateTime<Utc>>, PortError>;
}

pub fn corrupt(what: &str, detail: impl std::fmt::Display) -> PortError {
    PortError::Invalid(format!("a stored {what} is unreadable: {detail}"))
}

/// A column of a type both stores keep alike.
fn column<'r, R, T>(row: &'r R, name: &str) -> Result<T, PortError>
where
    R: Row,
    T: Decode<'r, R::Database> + Type<R::Database>,
    for<'n> &'n str: ColumnIndex<R>,
{
    row.try_get(name).map_err(db_error)
}

fn optional_u32<R>(row: &R, name: &str) -> Result<Option<u32>, PortError>
where
    R: Row,
    for<'r> Option<i64>: Decode<'r, R::Database> + Type<R::Database>,
    for<'n> &'n str: ColumnIndex<R>,
{
    column::<R, Option<i64>>(row, name)?
        .map(|v| u32::try_from(v).map_err(|e| corrupt(name, e)))
        .transpose()
}

pub fn photo_from_row<R>(row: &R) -> Result<Photo, PortError>
where
    R: StoredColumns,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> f64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Option<i64>: Decode<'r, R::Database> + Type<R::Database>,
    for<'n> &'n str: ColumnIndex<R>,
{
    let status: String = column(row, "status")?;
    let content_length: i64 = column(row, "content_length")?;
    Ok(Photo {
        id: PhotoId(row.uuid("id")?),
        device_id: DeviceId(row.uuid("device_id")?),
        lat: column(row, "lat")?,
        lon: column(row, "lon")?,
        status: status
            .parse::<PhotoStatus>()
            .map_err(|e| corrupt("status", e))?,
        content_type: column(row, "content_type")?,
        content_length: u64::try_from(content_length).map_err(|e| corrupt("content length", e))?,
        reason_code: column(row, "reason_code")?,
        reason: column(row, "reason")?,
        width: optional_u32(row, "width")?,
        height: optional_u32(row, "height")?,
        thumb_key: column(row, "thumb_key")?,
        display_key: column(row, "display_key")?,
        execution_name: column(row, "execution_name")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
    })
}

/// The columns of `photo_events`, in the order [`event_from_row`] reads them.
pub const EVENT_COLUMNS: &str = "event_id, photo_id, event_type, recorded_at, sent_at";

pub fn event_from_row<R>(row: &R) -> Result<OutboxEvent, PortError>
where
    R: StoredColumns,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'n> &'n str: ColumnIndex<R>,
{
    Ok(OutboxEvent {
        event_id: column(row, "event_id")?,
        photo_id: PhotoId(row.uuid("photo_id")?),
        event_type: column(row, "event_type")?,
        recorded_at: row.time("recorded_at")?,
        sent_at: row.optional_time("sent_at")?,
    })
}

/// The columns of `abuse_reports`, in the order [`abuse_report_from_row`] reads them.
pub const ABUSE_REPORT_COLUMNS: &str = "reporter_device_id, created_at, reporter_standing, counts";

pub fn abuse_report_from_row<R>(row: &R) -> Result<AbuseReport, PortError>
where
    R: StoredColumns,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
    for<'n> &'n str: ColumnIndex<R>,
{
    Ok(AbuseReport {
        reporter: DeviceId(row.uuid("reporter_device_id")?),
        filed_at: row.time("created_at")?,
        reporter_standing: column(row, "reporter_standing")?,
        counts: column(row, "counts")?,
    })
}

/// `(status, count)` rows of a `GROUP BY status`, in [`PhotoStatus::ALL`]'s order,
/// statuses without photos left out.
pub fn counts_by_status(rows: Vec<(String, i64)>) -> Result<Vec<(PhotoStatus, u64)>, PortError> {
    let mut counts: Vec<(PhotoStatus, u64)> = PhotoStatus::ALL
        .into_iter()
        .map(|status| (status, 0))
        .collect();
    for (status, count) in rows {
        let status = status
            .parse::<PhotoStatus>()
            .map_err(|e| corrupt("status", e))?;
        let count = u64::try_from(count).map_err(|e| corrupt("count", e))?;
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
            PortError::NotFound(format!("photo {photo}"))
        }
        _ => db_error(error),
    }
}
