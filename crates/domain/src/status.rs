//! The life of a photo: `awaiting_upload → processing → ready | rejected | failed`,
//! and `failed → processing` when an operator replays it.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoStatus {
    AwaitingUpload,
    Processing,
    Ready,
    Rejected,
    Failed,
}

impl PhotoStatus {
    pub const ALL: [PhotoStatus; 5] = [
        Self::AwaitingUpload,
        Self::Processing,
        Self::Ready,
        Self::Rejected,
        Self::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingUpload => "awaiting_upload",
            Self::Processing => "processing",
            Self::Ready => "ready",
            Self::Rejected => "rejected",
            Self::Failed => "failed",
        }
    }

    /// Whether the pipeline may move a photo from `self` to `next`.
    /// Staying in the same status is allowed: every step is idempotent.
    pub fn can_become(self, next: PhotoStatus) -> bool {
        use PhotoStatus::*;
        self == next
            || matches!(
                (self, next),
                (AwaitingUpload, Processing)
                    | (Processing, Ready)
                    | (Processing, Rejected)
                    | (Processing, Failed)
                    | (Failed, Processing)
            )
    }

    /// Ready and rejected are final: nothing processes such a photo again.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Ready | Self::Rejected)
    }

    /// Whether processing has come to an end for now: final, or failed (until a replay
    /// takes the photo up again). What a client following one upload waits for.
    pub fn is_settled(self) -> bool {
        self.is_final() || self == Self::Failed
    }
}

impl fmt::Display for PhotoStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown photo status `{0}`")]
pub struct UnknownStatus(pub String);

impl FromStr for PhotoStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::PhotoStatus::*;
    use super::*;

    #[test]
    fn a_client_waits_until_final_or_failed() {
        let settled: Vec<_> = PhotoStatus::ALL
            .into_iter()
            .filter(|s| s.is_settled())
            .collect();
        assert_eq!(settled, [Ready, Rejected, Failed]);
    }

    #[test]
    fn lifecycle_allows_only_the_documented_moves() {
        assert!(AwaitingUpload.can_become(Processing));
        assert!(Processing.can_become(Ready));
        assert!(Processing.can_become(Rejected));
        assert!(Processing.can_become(Failed));
        assert!(Failed.can_become(Processing));
        assert!(!Ready.can_become(Processing));
        assert!(!Rejected.can_become(Ready));
        assert!(!AwaitingUpload.can_become(Ready));
        for status in PhotoStatus::ALL {
            assert_eq!(status.as_str().parse::<PhotoStatus>().unwrap(), status);
        }
    }
}
