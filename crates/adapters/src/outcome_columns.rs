//! The columns an outcome writes: the same for every metadata store.

use wisaw_domain::contracts::Outcome;
use wisaw_domain::status::PhotoStatus;

/// The values an outcome writes; `None` columns are cleared.
pub struct OutcomeColumns<'a> {
    pub status: PhotoStatus,
    pub reason_code: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub thumb_key: Option<&'a str>,
    pub display_key: Option<&'a str>,
}

impl<'a> OutcomeColumns<'a> {
    pub fn of(outcome: &'a Outcome) -> Self {
        let cleared = |status| Self {
            status,
            reason_code: None,
            reason: None,
            width: None,
            height: None,
            thumb_key: None,
            display_key: None,
        };
        match outcome {
            Outcome::Ready {
                width,
                height,
                thumb_key,
                display_key,
            } => Self {
                width: Some(i64::from(*width)),
                height: Some(i64::from(*height)),
                thumb_key: Some(thumb_key),
                display_key: Some(display_key),
                ..cleared(PhotoStatus::Ready)
            },
            Outcome::Rejected {
                reason_code,
                reason,
            } => Self {
                reason_code: Some(reason_code),
                reason: Some(reason),
                ..cleared(PhotoStatus::Rejected)
            },
            // Step Functions reports a failure as an error name and a cause.
            Outcome::Failed { error, cause } => Self {
                reason_code: Some(error),
                reason: Some(cause),
                ..cleared(PhotoStatus::Failed)
            },
        }
    }
}
