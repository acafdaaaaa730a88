//! Timestamps as the language reads them, shared by the Wait state's
//! `Timestamp` fields and the Choice rules' timestamp comparisons.

use chrono::{DateTime, Utc};

/// An ISO 8601 timestamp as the language reads it: date, an uppercase `T`, time,
/// and `Z` or an offset (RFC 3339).
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .filter(|_| text.contains('T'))
        .map(|at| at.with_timezone(&Utc))
}
