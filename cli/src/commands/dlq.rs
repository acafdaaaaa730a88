//! `wisaw dlq list|replay`, over the operator's replay (the same one the console runs):
//! a dry run prints what would be replayed and held back; a replay sends at a rate and
//! is recorded in the audit log.

use anyhow::Result;
use std::fmt::Write as _;
use wisaw_domain::ports::Queue;
use wisaw_domain::replay::{ReplayOutcome, ReplayRecord};
use wisaw_operator::dead_letters::{peek, DeadLetterEntry};
use wisaw_operator::replay::{self, ReplayPlan, ReplayRequest};
use wisaw_operator::OperatorPorts;

pub async fn list(dead_letter: &dyn Queue) -> Result<String> {
    let entries = peek(dead_letter).await?;
    let mut out = String::new();
    writeln!(
        out,
        "{:<38} {:>7} {:>8}  ERROR",
        "PHOTO", "ATTEMPT", "RECEIVED"
    )?;
    for entry in &entries {
        if entry.letters.is_empty() {
            writeln!(
                out,
                "{:<38} {:>7} {:>8}  unreadable: {}",
                "-",
                "-",
                entry.receive_count,
                entry.unreadable_body.as_deref().unwrap_or_default()
            )?;
        }
        for letter in &entry.letters {
            writeln!(
                out,
                "{:<38} {:>7} {:>8}  {}",
                letter.photo_id,
                letter.attempt,
                entry.receive_count,
                entry.error_class()
            )?;
        }
    }
    if entries.is_empty() {
        writeln!(out, "(the dead-letter queue is empty)")?;
    }
    Ok(out)
}

fn write_entries(out: &mut String, title: &str, entries: &[DeadLetterEntry]) -> Result<()> {
    let count: usize = entries.iter().map(|e| e.letters.len()).sum();
    writeln!(out, "{title} ({count}):")?;
    for entry in entries {
        for letter in &entry.letters {
            writeln!(
                out,
                "  {}  attempt {}  {}",
                letter.photo_id,
                letter.attempt,
                entry.error_class()
            )?;
        }
    }
    Ok(())
}

pub fn print_plan(request: &ReplayRequest, plan: &ReplayPlan) -> Result<String> {
    let mut out = String::new();
    writeln!(
        out,
        "dry run: {}{}",
        request.filter.describe(),
        if request.force { " (forced)" } else { "" }
    )?;
    write_entries(&mut out, "would replay", &plan.replay)?;
    write_entries(
        &mut out,
        &format!(
            "held back (failed {} replays or more; --force replays them)",
            request.max_failed_replays
        ),
        &plan.held_back,
    )?;
    writeln!(out, "nothing was sent")?;
    Ok(out)
}

pub fn print_record(record: &ReplayRecord) -> Result<String> {
    let mut out = String::new();
    let replayed = record
        .photos
        .iter()
        .filter(|p| p.outcome == ReplayOutcome::Replayed)
        .count();
    writeln!(out, "replayed {replayed} photo(s)")?;
    for photo in &record.photos {
        match &photo.outcome {
            ReplayOutcome::Failed(reason) => {
                writeln!(out, "  {}  failed: {reason}", photo.photo_id)?
            }
            outcome => writeln!(out, "  {}  {}", photo.photo_id, outcome.as_str())?,
        }
    }
    writeln!(out, "audit: replay {} by {}", record.id, record.operator)?;
    Ok(out)
}

/// A dry run, or the replay itself.
pub async fn replay(
    ports: &OperatorPorts,
    request: &ReplayRequest,
    dry_run: bool,
) -> Result<String> {
    if dry_run {
        let plan = replay::dry_run(ports, request).await?;
        return print_plan(request, &plan);
    }
    let started = replay::start(ports, request).await?;
    let record = started.run(ports).await;
    print_record(&record)
}
