//! `wisaw dlq list|replay`, over the queue port, so it works the same on the
//! local queues and on SQS (which has no "move one message" call: replay is
//! receive, re-send to ingest with the attempt raised, delete).

use anyhow::Result;
use std::fmt::Write as _;
use std::time::Duration;
use wisaw_domain::contracts::DeadLetter;
use wisaw_domain::ids::PhotoId;
use wisaw_domain::ingest::{read_dead_letters, replay_of};
use wisaw_domain::ports::{Queue, ReceivedMessage};

/// Long enough for one command to finish with the messages it holds.
const HOLD: Duration = Duration::from_secs(60);

/// Receives every message currently visible, holding them hidden for [`HOLD`].
async fn receive_all(queue: &dyn Queue) -> Result<Vec<ReceivedMessage>> {
    let mut held = Vec::new();
    loop {
        let batch = queue.receive(10, HOLD, Duration::ZERO).await?;
        if batch.is_empty() {
            return Ok(held);
        }
        held.extend(batch);
    }
}

pub async fn list(dead_letter: &dyn Queue) -> Result<String> {
    let held = receive_all(dead_letter).await?;
    let mut out = String::new();
    writeln!(
        out,
        "{:<38} {:>7} {:>8}  ERROR",
        "PHOTO", "ATTEMPT", "RECEIVED"
    )?;
    for message in &held {
        match read_dead_letters(&message.body) {
            Ok(letters) if !letters.is_empty() => {
                for letter in letters {
                    writeln!(
                        out,
                        "{:<38} {:>7} {:>8}  {}",
                        letter.photo_id,
                        letter.attempt,
                        message.receive_count,
                        error_name(&letter)
                    )?;
                }
            }
            _ => writeln!(
                out,
                "{:<38} {:>7} {:>8}  unreadable: {}",
                "-", "-", message.receive_count, message.body
            )?,
        }
        // Listing is not consuming: put it back at once.
        dead_letter
            .change_visibility(&message.receipt_handle, Duration::ZERO)
            .await?;
    }
    if held.is_empty() {
        writeln!(out, "(the dead-letter queue is empty)")?;
    }
    Ok(out)
}

/// The error a failed execution recorded, or the queue's redrive for a raw ingest message.
fn error_name(letter: &DeadLetter) -> &str {
    letter
        .error
        .as_ref()
        .and_then(|error| error.get("Error"))
        .and_then(|name| name.as_str())
        .unwrap_or("redriven after too many receives")
}

/// Which dead letters to replay.
#[derive(Clone, Copy, Debug)]
pub enum ReplaySelection {
    One(PhotoId),
    All,
}

/// Sends the selected dead letters back to ingest, one attempt more, then deletes them
/// from the dead-letter queue. Returns the photos replayed.
pub async fn replay(
    dead_letter: &dyn Queue,
    ingest: &dyn Queue,
    selection: ReplaySelection,
) -> Result<Vec<PhotoId>> {
    let mut replayed = Vec::new();
    for message in receive_all(dead_letter).await? {
        let letters = replay_of(&message.body).unwrap_or_default();
        let chosen = !letters.is_empty()
            && letters.iter().all(|letter| match selection {
                ReplaySelection::All => true,
                ReplaySelection::One(id) => letter.photo_id == id,
            });
        if !chosen {
            dead_letter
                .change_visibility(&message.receipt_handle, Duration::ZERO)
                .await?;
            continue;
        }
        // Send before deleting: a crash in between replays twice, which the
        // execution name (photo id + attempt) makes harmless; the reverse would lose it.
        for letter in &letters {
            ingest.send(&serde_json::to_string(letter)?).await?;
            replayed.push(letter.photo_id);
        }
        dead_letter.delete(&message.receipt_handle).await?;
    }
    Ok(replayed)
}
