//! Replaying dead letters, deliberately: a dry run says what would be replayed and what
//! held back; a replay sends at a rate and records itself in the audit log before it
//! sends anything, then after every photo, so an interrupted replay still tells what it
//! did. A photo that failed [`DEFAULT_MAX_FAILED_REPLAYS`] replays already is held back
//! unless forced: replaying it again is likely to fail again, and someone should look.
//!
//! SQS has no "move this message" call, so a replay is receive, send the photo back to
//! ingest with its attempt raised, then delete: a crash between the send and the delete
//! replays twice, which the execution name (photo id + attempt) makes harmless; the
//! other order could lose the photo.

use super::dead_letters::{
    error_class, receive_all, release, DeadLetterEntry, DeadLetterFilter, HeldMessage,
};
use super::OperatorPorts;
use crate::error::{OperatorError, OperatorResult};
use chrono::Utc;
use std::time::Duration;
use wisaw_domain::ingest::replay_of;
use wisaw_domain::replay::{ReplayOutcome, ReplayRecord, ReplayedPhoto};

pub const DEFAULT_MAX_FAILED_REPLAYS: u32 = 3;
/// Photos per second when the operator does not say.
pub const DEFAULT_RATE: f64 = 10.0;
/// The slowest replay allowed: one photo every ten seconds.
pub const MIN_RATE: f64 = 0.1;
/// How long each message is held again just before it is sent: its hold from the start
/// may have run out in a long replay.
const SEND_HOLD: Duration = Duration::from_secs(60);
/// The fastest replay allowed: ingest starts an execution per message, and a burst of
/// replays competes with the phones' uploads.
pub const MAX_RATE: f64 = 100.0;

/// What the operator asked to replay, and how.
#[derive(Clone, Debug)]
pub struct ReplayRequest {
    pub filter: DeadLetterFilter,
    /// Every dead letter, said in so many words (`--all`): an empty filter alone is a
    /// mistake, not "everything".
    pub everything: bool,
    /// Replay photos over the limit too.
    pub force: bool,
    pub max_failed_replays: u32,
    /// Photos per second.
    pub rate: f64,
    pub operator: String,
}

impl ReplayRequest {
    pub fn new(filter: DeadLetterFilter, operator: String) -> Self {
        Self {
            filter,
            everything: false,
            force: false,
            max_failed_replays: DEFAULT_MAX_FAILED_REPLAYS,
            rate: DEFAULT_RATE,
            operator,
        }
    }

    /// The rate, within [[`MIN_RATE`], [`MAX_RATE`]]; an error names what is wrong.
    pub fn checked_rate(&self) -> Result<f64, String> {
        if (MIN_RATE..=MAX_RATE).contains(&self.rate) {
            Ok(self.rate)
        } else {
            Err(format!(
                "the rate must be from {MIN_RATE} to {MAX_RATE} messages per second"
            ))
        }
    }

    /// A replay says which dead letters: photos, an error class or a time, or all of them
    /// explicitly. Decided here, for every caller (the commands, the console, the tests).
    pub fn checked_selection(&self) -> Result<(), String> {
        if self.everything || self.filter != DeadLetterFilter::default() {
            Ok(())
        } else {
            Err(
                "say which dead letters to replay (photos, an error class, a time), \
                 or all of them"
                    .into(),
            )
        }
    }

    /// Whether an entry the filter chose is held back.
    fn holds_back(&self, entry: &DeadLetterEntry) -> bool {
        !self.force
            && entry
                .letters
                .iter()
                .any(|letter| letter.attempt >= self.max_failed_replays)
    }
}

/// Now, to the microsecond: what the audit log keeps, so a record reads back as written.
fn now() -> chrono::DateTime<Utc> {
    use chrono::SubsecRound;
    Utc::now().trunc_subsecs(6)
}

/// What a replay would do with the dead letters there are now.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReplayPlan {
    pub replay: Vec<DeadLetterEntry>,
    pub held_back: Vec<DeadLetterEntry>,
}

/// Sorts the entries the filter admits into replayed and held back.
pub fn plan(entries: &[DeadLetterEntry], request: &ReplayRequest) -> ReplayPlan {
    let mut plan = ReplayPlan::default();
    for entry in entries.iter().filter(|e| request.filter.admits(e)) {
        if request.holds_back(entry) {
            plan.held_back.push(entry.clone());
        } else {
            plan.replay.push(entry.clone());
        }
    }
    plan
}

/// A replay under way: its audit record, and the messages it holds hidden, each with
/// the places of its photos in the record (one photo may have two dead letters).
pub struct StartedReplay {
    pub record: ReplayRecord,
    to_send: Vec<(HeldMessage, std::ops::Range<usize>)>,
}

fn photos_of(entry: &DeadLetterEntry, outcome: ReplayOutcome) -> Vec<ReplayedPhoto> {
    entry
        .letters
        .iter()
        .map(|letter| ReplayedPhoto {
            photo_id: letter.photo_id,
            attempt: letter.attempt,
            error: error_class(letter).to_string(),
            outcome: outcome.clone(),
        })
        .collect()
}

/// Chooses the messages, holds them, and writes the audit record (every photo pending
/// or held back) before anything is sent. Messages not chosen are put back at once.
pub async fn start(
    ports: &OperatorPorts,
    request: &ReplayRequest,
) -> OperatorResult<StartedReplay> {
    request
        .checked_selection()
        .map_err(OperatorError::Invalid)?;
    let rate = request.checked_rate().map_err(OperatorError::Invalid)?;
    // Hidden long enough for the whole replay at its rate, with a margin (SQS allows
    // 12 h); each message is held again just before it is sent anyway.
    let visible = ports.dead_letter.stats().await?.visible;
    let hold = Duration::from_secs_f64((visible as f64 / rate + 120.0).min(12.0 * 3600.0));
    let held = receive_all(ports.dead_letter.as_ref(), visible, hold).await?;
    let mut record = ReplayRecord {
        id: uuid::Uuid::new_v4(),
        operator: request.operator.clone(),
        started_at: now(),
        finished_at: None,
        selection: request.filter.describe(),
        forced: request.force,
        rate,
        photos: Vec::new(),
    };
    let (mut to_send, mut not_sent) = (Vec::new(), Vec::new());
    for message in held {
        let chosen = request.filter.admits(&message.entry);
        if chosen && !request.holds_back(&message.entry) {
            let first = record.photos.len();
            record
                .photos
                .extend(photos_of(&message.entry, ReplayOutcome::Pending));
            to_send.push((message, first..record.photos.len()));
            continue;
        }
        if chosen {
            record
                .photos
                .extend(photos_of(&message.entry, ReplayOutcome::HeldBack));
        }
        not_sent.push(message);
    }
    release(ports.dead_letter.as_ref(), &not_sent).await;
    if let Err(error) = ports.audit.save_replay(&record).await {
        // Nothing is sent unrecorded: the chosen messages go back too.
        let chosen: Vec<HeldMessage> = to_send.into_iter().map(|(message, _)| message).collect();
        release(ports.dead_letter.as_ref(), &chosen).await;
        return Err(error.into());
    }
    Ok(StartedReplay { record, to_send })
}

impl StartedReplay {
    /// Sends the chosen photos back to ingest at the rate, updating the audit record after
    /// each; returns it finished. A failed audit write is logged and the replay goes on:
    /// stopping would leave the rest hidden until their hold ends.
    pub async fn run(mut self, ports: &OperatorPorts) -> ReplayRecord {
        let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / self.record.rate));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        for (message, places) in std::mem::take(&mut self.to_send) {
            ticks.tick().await;
            let outcome = match send_back(ports, &message).await {
                Ok(()) => ReplayOutcome::Replayed,
                Err(error) => {
                    // It stays in the dead-letter queue, visible again for the next replay.
                    release(ports.dead_letter.as_ref(), std::slice::from_ref(&message)).await;
                    ReplayOutcome::Failed(format!("{error:#}"))
                }
            };
            for photo in &mut self.record.photos[places] {
                photo.outcome = outcome.clone();
            }
            self.save(ports).await;
        }
        self.record.finished_at = Some(now());
        self.save(ports).await;
        self.record
    }

    async fn save(&self, ports: &OperatorPorts) {
        if let Err(error) = ports.audit.save_replay(&self.record).await {
            tracing::error!(%error, replay = %self.record.id, "could not update the replay's audit record");
        }
    }
}

async fn send_back(ports: &OperatorPorts, message: &HeldMessage) -> anyhow::Result<()> {
    // Held again first: if its hold ran out and another reader took it, this fails and
    // the photo is not sent twice by this replay.
    ports
        .dead_letter
        .change_visibility(&message.receipt_handle, SEND_HOLD)
        .await
        .map_err(|e| anyhow::anyhow!("its hold ran out before it was sent: {e}"))?;
    announced_already(ports, &message.entry).await?;
    for letter in replay_of(&message.body)? {
        ports.ingest.send(&serde_json::to_string(&letter)?).await?;
    }
    ports.dead_letter.delete(&message.receipt_handle).await?;
    Ok(())
}

/// A dead letter stays while its photo's announcement waits: the scheduled outbox sweep
/// runs only while a dead letter waits (`SweepRequest::only_while_dead_letters_wait`),
/// and a replay would not publish it (the photo is final: nothing runs again).
async fn announced_already(ports: &OperatorPorts, entry: &DeadLetterEntry) -> anyhow::Result<()> {
    for letter in &entry.letters {
        let events = ports.metadata.photo_events(letter.photo_id).await?;
        if let Some(waiting) = events.iter().find(|event| event.sent_at.is_none()) {
            anyhow::bail!(
                "photo {}'s {} is not published yet: the outbox sweep publishes it within \
                 minutes; replay it after that",
                letter.photo_id,
                waiting.event_type
            );
        }
    }
    Ok(())
}

/// A dry run: what [`start`] would replay and hold back now.
pub async fn dry_run(ports: &OperatorPorts, request: &ReplayRequest) -> OperatorResult<ReplayPlan> {
    request
        .checked_selection()
        .map_err(OperatorError::Invalid)?;
    let entries = super::dead_letters::peek(ports.dead_letter.as_ref()).await?;
    Ok(plan(&entries, request))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replay_needs_a_selection_or_everything_said_explicitly() {
        let empty = ReplayRequest::new(DeadLetterFilter::default(), "op".into());
        assert!(empty.checked_selection().is_err());
        let everything = ReplayRequest {
            everything: true,
            ..empty.clone()
        };
        assert!(everything.checked_selection().is_ok());
        let by_error = DeadLetterFilter {
            error: Some("Wisaw.Transient".into()),
            ..DeadLetterFilter::default()
        };
        assert!(ReplayRequest::new(by_error, "op".into())
            .checked_selection()
            .is_ok());
    }
    use wisaw_domain::contracts::DeadLetter;
    use wisaw_domain::ids::PhotoId;

    fn entry(attempt: u32, error: &str) -> DeadLetterEntry {
        let photo_id = PhotoId::new_random();
        DeadLetterEntry {
            message_id: uuid::Uuid::new_v4().to_string(),
            receive_count: 1,
            sent_at: Some(Utc::now()),
            letters: vec![DeadLetter {
                photo_id,
                attempt,
                execution_name: Some(photo_id.execution_name(attempt)),
                error: Some(serde_json::json!({"Error": error, "Cause": "down"})),
            }],
            unreadable_body: None,
        }
    }

    #[test]
    fn a_photo_that_failed_the_replay_limit_is_held_back_unless_forced() {
        let entries = [
            entry(0, "Wisaw.Transient"),
            entry(2, "Wisaw.Transient"),
            entry(3, "Wisaw.Transient"),
            entry(0, "States.Timeout"),
        ];
        let filter = DeadLetterFilter {
            error: Some("Wisaw.Transient".into()),
            ..DeadLetterFilter::default()
        };
        let mut request = ReplayRequest::new(filter, "op".into());
        let planned = plan(&entries, &request);
        assert_eq!(planned.replay, vec![entries[0].clone(), entries[1].clone()]);
        assert_eq!(planned.held_back, vec![entries[2].clone()]);
        request.force = true;
        let forced = plan(&entries, &request);
        assert_eq!(forced.replay.len(), 3);
        assert!(forced.held_back.is_empty());
        request.max_failed_replays = 1;
        request.force = false;
        assert_eq!(plan(&entries, &request).replay, vec![entries[0].clone()]);
    }

    #[test]
    fn a_rate_must_be_positive_and_bounded() {
        let mut request = ReplayRequest::new(DeadLetterFilter::default(), "op".into());
        for bad in [
            0.0,
            -1.0,
            1e-300,
            0.09,
            f64::NAN,
            f64::INFINITY,
            MAX_RATE + 1.0,
        ] {
            request.rate = bad;
            assert!(request.checked_rate().is_err(), "{bad}");
        }
        request.rate = 0.5;
        assert_eq!(request.checked_rate(), Ok(0.5));
    }
}
