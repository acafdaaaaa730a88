//! The JSON that flows through the `upload` state machine. The state machine
//! (`statemachines/upload.asl.json`) and the workers share these types; a
//! payload carries keys and small metadata only, never image bytes.

use crate::ids::PhotoId;
use serde::{Deserialize, Serialize};

/// The execution's input, built by `dispatch` from an ingest message. The original is
/// `uploads/{photoId}` in the stage's one bucket ([`PhotoId::upload_key`]): every step
/// derives it, so no payload names an object, and none carries it into every event of
/// the execution's log. (Inputs written when payloads still named `bucket` and
/// `sourceKey` read the same: unknown fields are ignored.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionInput {
    pub photo_id: PhotoId,
    /// 0 for the first run, n for the n-th replay from the dead-letter queue.
    #[serde(default)]
    pub attempt: u32,
}

impl ExecutionInput {
    pub fn execution_name(&self) -> String {
        self.photo_id.execution_name(self.attempt)
    }

    /// The execution's input document, as the state machine reads it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("an execution input is plain JSON")
    }
}

/// Input of validate: the photo whose original (`uploads/{photoId}`) it judges.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceImage {
    pub photo_id: PhotoId,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    Jpeg,
    Png,
    Webp,
}

impl ImageFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
        }
    }
    pub fn from_content_type(content_type: &str) -> Option<Self> {
        match content_type {
            "image/jpeg" => Some(Self::Jpeg),
            "image/png" => Some(Self::Png),
            "image/webp" => Some(Self::Webp),
            _ => None,
        }
    }
}

/// What validate learnt from the header, without decoding the pixels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageInfo {
    pub format: ImageFormat,
    /// As stored in the file.
    pub width: u32,
    pub height: u32,
    /// EXIF orientation, 1 to 8 (1 when absent).
    pub orientation: u8,
    /// As a person sees the photo, once the orientation is applied.
    pub upright_width: u32,
    pub upright_height: u32,
}

/// Why a photo was refused: a business outcome, never an error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rejection {
    /// Stable, for programs: `not_an_image`, `unsupported_format`, `too_many_pixels`,
    /// `corrupt`, `empty`, `too_large`.
    pub code: String,
    /// A sentence a person can read.
    pub reason: String,
}

/// Output of validate. Every field is always present (null when not
/// applicable) so the state machine's paths never miss.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidateOutput {
    pub accepted: bool,
    pub image: Option<ImageInfo>,
    pub rejection: Option<Rejection>,
}

impl ValidateOutput {
    pub fn accepted(image: ImageInfo) -> Self {
        Self {
            accepted: true,
            image: Some(image),
            rejection: None,
        }
    }
    pub fn rejected(code: &str, reason: impl Into<String>) -> Self {
        Self {
            accepted: false,
            image: None,
            rejection: Some(Rejection {
                code: code.to_string(),
                reason: reason.into(),
            }),
        }
    }
}

/// Input of thumbnail: the photo whose original it renders, as validate described it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThumbnailInput {
    pub photo_id: PhotoId,
    pub image: ImageInfo,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rendition {
    pub key: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
}

/// Output of thumbnail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThumbnailOutput {
    pub thumb: Rendition,
    pub display: Rendition,
}

/// How a photo's processing ended, as persist records it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    #[serde(rename_all = "camelCase")]
    Ready {
        width: u32,
        height: u32,
        thumb_key: String,
        display_key: String,
    },
    #[serde(rename_all = "camelCase")]
    Rejected { reason_code: String, reason: String },
    /// A technical failure after the retries; `error` and `cause` as Step Functions reports them.
    #[serde(rename_all = "camelCase")]
    Failed { error: String, cause: String },
}

impl Outcome {
    pub fn status(&self) -> crate::PhotoStatus {
        match self {
            Self::Ready { .. } => crate::PhotoStatus::Ready,
            Self::Rejected { .. } => crate::PhotoStatus::Rejected,
            Self::Failed { .. } => crate::PhotoStatus::Failed,
        }
    }
}

/// Input of persist (and of the MarkRejected / MarkFailed states, which call persist).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersistInput {
    pub photo_id: PhotoId,
    pub outcome: Outcome,
    /// The execution's attempt: the announcement recorded with the outcome carries it in
    /// its event id.
    #[serde(default)]
    pub attempt: u32,
}

/// What persist recorded. It leads with the announcement recorded with the outcome
/// (the photo and the attempt, notify's input): the state machine makes this output the
/// execution's document, so the states after it carry these few fields and not the
/// steps' results before it (those stay in the history).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersistOutput {
    #[serde(flatten)]
    pub announcement: NotifyInput,
    pub status: crate::PhotoStatus,
    /// False when the photo already had this outcome (a rerun).
    pub changed: bool,
}

/// Input of notify: the outcome is read from the metadata store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotifyInput {
    pub photo_id: PhotoId,
    /// The execution's attempt (0, then each replay's number): part of the event's id.
    #[serde(default)]
    pub attempt: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotifyOutput {
    /// `photo.ready` or `photo.rejected`.
    pub event_type: String,
    /// Whether this run published the photo's event (false when it had been published
    /// already, or there was nothing to announce).
    pub published: bool,
}

/// What the schedule invokes the notify function with: publish the announcements that
/// have waited longer than `olderThanSeconds` (their step gave up, say), at most `limit`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepRequest {
    pub older_than_seconds: u64,
    pub limit: u32,
    /// Sweep only while a dead letter waits, without touching the database otherwise: an
    /// announcement is left waiting only by an execution that gave up, and every such
    /// execution ends in the dead-letter queue (the state machine's Catch path). The
    /// schedule asks for this, so that a database that pauses when idle stays paused at
    /// rest; an operator's sweep by hand leaves it out and sweeps whatever waits.
    #[serde(default)]
    pub only_while_dead_letters_wait: bool,
}

/// What the Catch path sends to the dead-letter queue, and what replay reads back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    pub photo_id: PhotoId,
    #[serde(default)]
    pub attempt: u32,
    #[serde(default)]
    pub execution_name: Option<String>,
    #[serde(default)]
    pub error: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn outcome_is_tagged_by_status_in_camel_case() {
        let outcome = Outcome::Rejected {
            reason_code: "corrupt".into(),
            reason: "r".into(),
        };
        assert_eq!(
            serde_json::to_value(&outcome).unwrap(),
            json!({"status": "rejected", "reasonCode": "corrupt", "reason": "r"})
        );
    }

    #[test]
    fn validate_output_always_carries_every_field() {
        let value = serde_json::to_value(ValidateOutput::rejected("empty", "Empty.")).unwrap();
        assert_eq!(value["accepted"], json!(false));
        assert_eq!(value["image"], json!(null));
        assert_eq!(value["rejection"]["code"], json!("empty"));
    }
}
