//! Between SQLite rows and the domain's types.

use crate::db_error::db_error;
use crate::sqlite_file::from_micros;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use wisaw_domain::error::PortError;
use wisaw_domain::ids::{DeviceId, PhotoId};
use wisaw_domain::model::Photo;
use wisaw_domain::status::PhotoStatus;

/// The columns of `photos`, in the order [`photo_from_row`] reads them.
pub const PHOTO_COLUMNS: &str = "id, device_id, lat, lon, status, content_type, content_length, \
     reason_code, reason, width, height, thumb_key, display_key, execution_name, created_at, updated_at";

fn corrupt(what: &str, detail: impl std::fmt::Display) -> PortError {
    PortError::Invalid(format!("a stored {what} is unreadable: {detail}"))
}

fn optional_u32(row: &SqliteRow, column: &str) -> Result<Option<u32>, PortError> {
    row.try_get::<Option<i64>, _>(column)
        .map_err(db_error)?
        .map(|v| u32::try_from(v).map_err(|e| corrupt(column, e)))
        .transpose()
}

pub fn photo_from_row(row: &SqliteRow) -> Result<Photo, PortError> {
    let id: String = row.try_get("id").map_err(db_error)?;
    let device_id: String = row.try_get("device_id").map_err(db_error)?;
    let status: String = row.try_get("status").map_err(db_error)?;
    let content_length: i64 = row.try_get("content_length").map_err(db_error)?;
    Ok(Photo {
        id: id.parse::<PhotoId>().map_err(|e| corrupt("photo id", e))?,
        device_id: device_id
            .parse::<DeviceId>()
            .map_err(|e| corrupt("device id", e))?,
        lat: row.try_get("lat").map_err(db_error)?,
        lon: row.try_get("lon").map_err(db_error)?,
        status: status
            .parse::<PhotoStatus>()
            .map_err(|e| corrupt("status", e))?,
        content_type: row.try_get("content_type").map_err(db_error)?,
        content_length: u64::try_from(content_length).map_err(|e| corrupt("content length", e))?,
        reason_code: row.try_get("reason_code").map_err(db_error)?,
        reason: row.try_get("reason").map_err(db_error)?,
        width: optional_u32(row, "width")?,
        height: optional_u32(row, "height")?,
        thumb_key: row.try_get("thumb_key").map_err(db_error)?,
        display_key: row.try_get("display_key").map_err(db_error)?,
        execution_name: row.try_get("execution_name").map_err(db_error)?,
        created_at: from_micros(row.try_get("created_at").map_err(db_error)?)?,
        updated_at: from_micros(row.try_get("updated_at").map_err(db_error)?)?,
    })
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
