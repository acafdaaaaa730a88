//! The dead-letter queue as an operator reads it: every message, what it stands for
//! (photo, attempt, error and cause), filtered and grouped by error class. Reading is
//! not consuming: every message is put back at once.

use crate::error::OperatorResult;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use wisaw_domain::contracts::DeadLetter;
use wisaw_domain::ids::PhotoId;
use wisaw_domain::ingest::read_dead_letters;
use wisaw_domain::ports::{Queue, ReceivedMessage};

/// The error class of a raw S3 notification that SQS moved here after too many receives
/// (the execution never started, so no error was recorded).
pub const REDRIVEN: &str = "redriven after too many receives";

/// One message of the dead-letter queue.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetterEntry {
    pub message_id: String,
    pub receive_count: u32,
    pub sent_at: Option<DateTime<Utc>>,
    /// The photos it stands for (a raw S3 notification may hold several); empty when
    /// the body cannot be read.
    pub letters: Vec<DeadLetter>,
    /// The body as it is, for a message that cannot be read.
    pub unreadable_body: Option<String>,
}

impl DeadLetterEntry {
    fn of(message: &ReceivedMessage) -> Self {
        let letters = read_dead_letters(&message.body).unwrap_or_default();
        Self {
            message_id: message.message_id.clone(),
            receive_count: message.receive_count,
            sent_at: message.sent_at,
            unreadable_body: letters.is_empty().then(|| message.body.clone()),
            letters,
        }
    }

    /// The error class, as the failed execution recorded it (`Wisaw.Transient`,
    /// `States.Timeout`, ...).
    pub fn error_class(&self) -> &str {
        match self.letters.first() {
            Some(letter) => error_class(letter),
            None => "unreadable",
        }
    }

    pub fn cause(&self) -> Option<&str> {
        self.letters.first().and_then(cause)
    }

    pub fn photo_ids(&self) -> impl Iterator<Item = PhotoId> + '_ {
        self.letters.iter().map(|letter| letter.photo_id)
    }
}

/// The error a failed execution recorded, or [`REDRIVEN`] for a raw ingest message.
pub fn error_class(letter: &DeadLetter) -> &str {
    letter
        .error
        .as_ref()
        .and_then(|error| error.get("Error"))
        .and_then(|name| name.as_str())
        .unwrap_or(REDRIVEN)
}

pub fn cause(letter: &DeadLetter) -> Option<&str> {
    letter
        .error
        .as_ref()
        .and_then(|error| error.get("Cause"))
        .and_then(|cause| cause.as_str())
}

/// Which dead letters an operator means.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeadLetterFilter {
    /// The error class, exactly.
    pub error: Option<String>,
    /// Dead-lettered at or after.
    pub since: Option<DateTime<Utc>>,
    /// Only these photos.
    pub photos: Option<BTreeSet<PhotoId>>,
}

impl DeadLetterFilter {
    /// A message is chosen when it can be read and every photo in it is admitted.
    pub fn admits(&self, entry: &DeadLetterEntry) -> bool {
        !entry.letters.is_empty()
            && self
                .error
                .as_deref()
                .is_none_or(|error| entry.error_class() == error)
            && self
                .since
                .is_none_or(|since| entry.sent_at.is_some_and(|sent| sent >= since))
            && self
                .photos
                .as_ref()
                .is_none_or(|photos| entry.letters.iter().all(|l| photos.contains(&l.photo_id)))
    }

    /// The filter in words, as the audit log records it.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(error) = &self.error {
            parts.push(format!("error {error}"));
        }
        if let Some(since) = self.since {
            parts.push(format!("since {}", since.to_rfc3339()));
        }
        if let Some(photos) = &self.photos {
            let ids: Vec<String> = photos.iter().map(ToString::to_string).collect();
            parts.push(format!("photos {}", ids.join(", ")));
        }
        if parts.is_empty() {
            "all dead letters".into()
        } else {
            parts.join("; ")
        }
    }
}

/// A message received and held hidden, with what it stands for.
pub struct HeldMessage {
    pub entry: DeadLetterEntry,
    pub receipt_handle: String,
    pub body: String,
}

/// Receives every message visible now, holding each hidden for `hold`. SQS answers a
/// receive that does not wait from a sample of its servers, so an empty answer proves
/// nothing while fewer messages are held than the queue said it had: those receives
/// wait a second (a long poll asks every server).
/// `expected`: how many messages the queue said were visible.
pub async fn receive_all(
    queue: &dyn Queue,
    expected: u64,
    hold: Duration,
) -> OperatorResult<Vec<HeldMessage>> {
    let expected = expected as usize;
    let mut held: Vec<HeldMessage> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    loop {
        let wait = if held.len() < expected {
            Duration::from_secs(1)
        } else {
            Duration::ZERO
        };
        let batch = queue.receive(10, hold, wait).await?;
        if batch.is_empty() {
            return Ok(held);
        }
        let mut came_back = false;
        for message in batch {
            // A message held by an earlier receive of this loop came back (the loop
            // outlasted its hold): it is held once, by its newest receipt, and the loop
            // has gone round the whole queue.
            if !seen.insert(message.message_id.clone()) {
                held.retain(|h| h.entry.message_id != message.message_id);
                came_back = true;
            }
            held.push(HeldMessage {
                entry: DeadLetterEntry::of(&message),
                receipt_handle: message.receipt_handle,
                body: message.body,
            });
        }
        if came_back {
            return Ok(held);
        }
    }
}

/// Puts held messages back at once (best effort: a message whose hold cannot be
/// changed comes back by itself when its hold ends).
pub async fn release(queue: &dyn Queue, held: &[HeldMessage]) {
    for message in held {
        if let Err(error) = queue
            .change_visibility(&message.receipt_handle, Duration::ZERO)
            .await
        {
            tracing::warn!(%error, message = %message.entry.message_id, "could not put a dead letter back");
        }
    }
}

/// Every message of the dead-letter queue, oldest first, each put back at once.
pub async fn peek(queue: &dyn Queue) -> OperatorResult<Vec<DeadLetterEntry>> {
    // Long enough to read them all before the first reappears.
    let visible = queue.stats().await?.visible;
    let held = receive_all(queue, visible, Duration::from_secs(60)).await?;
    release(queue, &held).await;
    let mut entries: Vec<DeadLetterEntry> = held.into_iter().map(|m| m.entry).collect();
    entries.sort_by_key(|entry| entry.sent_at);
    Ok(entries)
}

/// The entries by error class, each class's entries oldest first.
pub fn by_error_class(entries: &[DeadLetterEntry]) -> BTreeMap<&str, Vec<&DeadLetterEntry>> {
    let mut groups: BTreeMap<&str, Vec<&DeadLetterEntry>> = BTreeMap::new();
    for entry in entries {
        groups.entry(entry.error_class()).or_default().push(entry);
    }
    groups
}

/// The dead letters of one photo.
pub fn of_photo(entries: &[DeadLetterEntry], photo: PhotoId) -> Vec<&DeadLetterEntry> {
    entries
        .iter()
        .filter(|entry| entry.photo_ids().any(|id| id == photo))
        .collect()
}
