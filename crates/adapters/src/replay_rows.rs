//! Between a `replays` row and the domain's [`ReplayRecord`], for both SQL stores. The
//! photos of a replay are one JSON text column: they are only ever read and written
//! whole, with their record, and a replay's outcome per photo may gain detail without a
//! migration.

use crate::photo_rows::{corrupt, StoredColumns};
use wisaw_domain::error::PortError;
use wisaw_domain::replay::{ReplayRecord, ReplayedPhoto};

/// The columns of `replays`, in the order [`replay_from_row`] reads them.
pub const REPLAY_COLUMNS: &str =
    "id, operator, started_at, finished_at, selection, forced, rate, photos";

/// The record's photos as the `photos` column keeps them. A rate that is not a number is
/// refused: SQLite would store it as NULL, and no replay runs at such a rate.
pub fn encode_photos(record: &ReplayRecord) -> Result<String, PortError> {
    if record.rate.is_nan() {
        return Err(PortError::Invalid(
            format!("the rate of replay {} is not a number", record.id).into(),
        ));
    }
    serde_json::to_string(&record.photos)
        .map_err(|e| PortError::Invalid(format!("the photos of replay {}: {e}", record.id).into()))
}

pub fn replay_from_row(row: &impl StoredColumns) -> Result<ReplayRecord, PortError> {
    let photos: Vec<ReplayedPhoto> =
        serde_json::from_str(&row.text("photos")?).map_err(|e| corrupt("replay's photos", e))?;
    Ok(ReplayRecord {
        id: row.uuid("id")?,
        operator: row.text("operator")?,
        started_at: row.time("started_at")?,
        finished_at: row.optional_time("finished_at")?,
        selection: row.text("selection")?,
        forced: row.flag("forced")?,
        rate: row.real("rate")?,
        photos,
    })
}
