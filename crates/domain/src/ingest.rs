//! Messages on the ingest queue. Two kinds arrive there: the S3 event
//! notification of a finished upload (or the local blob store's copy of it),
//! and a replay of a dead letter sent by an operator.

use crate::contracts::{DeadLetter, ExecutionInput};
use crate::ids::PhotoId;
use serde::{Deserialize, Serialize};

/// The part of an S3 event notification that the pipeline reads.
/// <https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html>
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct S3Notification {
    #[serde(rename = "Records", default)]
    pub records: Vec<S3Record>,
    /// Present (as `s3:TestEvent`) on the message S3 sends when the notification is configured.
    #[serde(rename = "Event", default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Record {
    pub event_name: String,
    #[serde(default)]
    pub event_time: Option<String>,
    pub s3: S3Entity,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct S3Entity {
    pub bucket: S3Bucket,
    pub object: S3Object,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct S3Bucket {
    pub name: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct S3Object {
    /// URL-encoded as S3 sends it: spaces arrive as `+`.
    pub key: String,
    #[serde(default)]
    pub size: Option<u64>,
}

impl S3Notification {
    /// The notification S3 sends for one new object.
    pub fn object_created(bucket: &str, key: &str, size: u64, event_time: &str) -> Self {
        Self {
            records: vec![S3Record {
                event_name: "ObjectCreated:Put".into(),
                event_time: Some(event_time.into()),
                s3: S3Entity {
                    bucket: S3Bucket {
                        name: bucket.into(),
                    },
                    object: S3Object {
                        key: encode_s3_key(key),
                        size: Some(size),
                    },
                },
            }],
            event: None,
        }
    }
}

/// S3 event keys are form-encoded: `+` is a space, `%2B` a plus.
pub fn decode_s3_key(raw: &str) -> String {
    let spaced = raw.replace('+', " ");
    urlencoding::decode(&spaced)
        .map(|k| k.into_owned())
        .unwrap_or(spaced)
}

fn encode_s3_key(key: &str) -> String {
    urlencoding::encode(key)
        .replace("%2F", "/")
        .replace("%20", "+")
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum IngestError {
    #[error("the message is not JSON an ingest queue understands: {0}")]
    Unreadable(String),
}

/// What one ingest message asks for.
#[derive(Debug, PartialEq)]
pub enum IngestRequest {
    /// Start (or confirm) the execution for this photo and attempt.
    Process(ExecutionInput),
    /// An object outside `uploads/`, or a test event: nothing to do.
    Ignore(String),
}

/// Reads one ingest message body into the executions it asks for.
pub fn parse_ingest_message(body: &str) -> Result<Vec<IngestRequest>, IngestError> {
    let value: serde_json::Value =
        serde_json::from_str(body).map_err(|e| IngestError::Unreadable(e.to_string()))?;
    if value.get("Records").is_some() || value.get("Event").is_some() {
        let note: S3Notification =
            serde_json::from_value(value).map_err(|e| IngestError::Unreadable(e.to_string()))?;
        if note.records.is_empty() {
            return Ok(vec![IngestRequest::Ignore(
                note.event
                    .unwrap_or_else(|| "an S3 notification without records".into()),
            )]);
        }
        return Ok(note.records.into_iter().map(request_for_record).collect());
    }
    let replay: DeadLetter =
        serde_json::from_value(value).map_err(|e| IngestError::Unreadable(e.to_string()))?;
    Ok(vec![IngestRequest::Process(ExecutionInput {
        photo_id: replay.photo_id,
        attempt: replay.attempt,
    })])
}

fn request_for_record(record: S3Record) -> IngestRequest {
    let key = decode_s3_key(&record.s3.object.key);
    if !record.event_name.starts_with("ObjectCreated:") {
        return IngestRequest::Ignore(format!("{} on {key}", record.event_name));
    }
    match PhotoId::from_upload_key(&key) {
        // The bucket is not read: only the stage's bucket may notify the ingest queue
        // (its queue policy), and every step finds the original by the photo's id.
        Some(photo_id) => IngestRequest::Process(ExecutionInput {
            photo_id,
            attempt: 0,
        }),
        None => IngestRequest::Ignore(format!("{key} is not an upload")),
    }
}

/// The photos a dead-letter message stands for, as they failed. The state machine's
/// own dead letters carry the error; a raw S3 notification that SQS redrove after too
/// many receives does not.
pub fn read_dead_letters(body: &str) -> Result<Vec<DeadLetter>, IngestError> {
    if let Ok(letter) = serde_json::from_str::<DeadLetter>(body) {
        return Ok(vec![letter]);
    }
    Ok(parse_ingest_message(body)?
        .into_iter()
        .filter_map(|request| match request {
            IngestRequest::Process(input) => Some(DeadLetter {
                photo_id: input.photo_id,
                attempt: input.attempt,
                execution_name: None,
                error: None,
            }),
            IngestRequest::Ignore(_) => None,
        })
        .collect())
}

/// What an operator's replay sends back to ingest: the same photos, one attempt more.
pub fn replay_of(dead_letter_body: &str) -> Result<Vec<DeadLetter>, IngestError> {
    Ok(read_dead_letters(dead_letter_body)?
        .into_iter()
        .map(|letter| DeadLetter {
            // A hostile body's u32::MAX stays there: its execution exists, so it is not rerun.
            attempt: letter.attempt.saturating_add(1),
            execution_name: None,
            error: None,
            ..letter
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_keys_are_form_decoded() {
        assert_eq!(decode_s3_key("uploads/a+b%2Bc"), "uploads/a b+c");
        let note = S3Notification::object_created("b", "uploads/a b+c", 3, "t");
        assert_eq!(note.records[0].s3.object.key, "uploads/a+b%2Bc");
    }

    #[test]
    fn an_upload_notification_asks_for_attempt_zero() {
        let id = PhotoId::new_random();
        let note = S3Notification::object_created("bucket", &id.upload_key(), 10, "t");
        let body = serde_json::to_string(&note).unwrap();
        let requests = parse_ingest_message(&body).unwrap();
        assert_eq!(
            requests,
            vec![IngestRequest::Process(ExecutionInput {
                photo_id: id,
                attempt: 0
            })]
        );
        let replayed = replay_of(&body).unwrap();
        assert_eq!(replayed[0].attempt, 1);
    }

    #[test]
    fn test_events_and_foreign_keys_are_ignored_and_garbage_is_an_error() {
        let test_event = r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"}"#;
        assert!(matches!(
            parse_ingest_message(test_event).unwrap()[0],
            IngestRequest::Ignore(_)
        ));
        let note = S3Notification::object_created("b", "photos/x/thumb.webp", 1, "t");
        let body = serde_json::to_string(&note).unwrap();
        assert!(matches!(
            parse_ingest_message(&body).unwrap()[0],
            IngestRequest::Ignore(_)
        ));
        assert!(parse_ingest_message("not json").is_err());
        assert!(parse_ingest_message(r#"{"hello":1}"#).is_err());
    }
}
