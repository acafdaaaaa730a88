//! `wisaw photo show ID [--json]`: a photo's whole story, as the console's photo page
//! shows it.

use anyhow::Result;
use std::fmt::Write as _;
use wisaw_domain::ids::PhotoId;
use wisaw_operator::photo_story::{photo_story, PhotoStory};
use wisaw_operator::{OperatorError, OperatorPorts};

pub async fn show(ports: &OperatorPorts, id: PhotoId, json: bool) -> Result<String> {
    let Some(story) = photo_story(ports, id).await? else {
        let message = format!("nothing is known of photo {id} in the {}", ports.target);
        return Err(OperatorError::NotFound(message).into());
    };
    if json {
        return Ok(serde_json::to_string_pretty(&story)? + "\n");
    }
    text(&story)
}

fn text(story: &PhotoStory) -> Result<String> {
    let mut out = String::new();
    writeln!(out, "photo {}", story.photo_id)?;
    match &story.photo {
        Some(photo) => {
            writeln!(out, "  status:     {}", photo.status.as_str())?;
            if let Some(code) = &photo.reason_code {
                writeln!(
                    out,
                    "  reason:     {code}: {}",
                    photo.reason.as_deref().unwrap_or("")
                )?;
            }
            if let (Some(w), Some(h)) = (photo.width, photo.height) {
                writeln!(out, "  dimensions: {w} x {h}")?;
            }
            writeln!(out, "  location:   {:.5}, {:.5}", photo.lat, photo.lon)?;
            writeln!(out, "  device:     {}", photo.device_id)?;
            writeln!(out, "  created:    {}", photo.created_at.to_rfc3339())?;
        }
        None => writeln!(out, "  (no row: never created, or deleted)")?,
    }
    writeln!(out, "status history:")?;
    for t in &story.transitions {
        let by = t.execution.as_deref().unwrap_or("the ticket");
        writeln!(
            out,
            "  {}  {:<15} {by}",
            t.at.to_rfc3339(),
            t.status.as_str()
        )?;
    }
    writeln!(out, "abuse reports: {}", story.reports.len())?;
    for report in &story.reports {
        writeln!(
            out,
            "  {}  by {}{}",
            report.filed_at.to_rfc3339(),
            report.reporter,
            if report.counts {
                ""
            } else {
                " (does not count)"
            }
        )?;
    }
    writeln!(out, "blobs:")?;
    for blob in &story.blobs {
        match (blob.size, blob.absent_because) {
            (Some(size), _) => writeln!(out, "  {:<8} {}  {size} bytes", blob.name, blob.key)?,
            (None, Some(why)) => writeln!(out, "  {:<8} {}  {why}", blob.name, blob.key)?,
            (None, None) => writeln!(out, "  {:<8} {}  missing", blob.name, blob.key)?,
        }
    }
    writeln!(out, "executions:")?;
    for run in &story.executions {
        writeln!(
            out,
            "  {}  {}  {}{}",
            run.summary.name,
            run.summary.status.as_str(),
            run.summary.start_date.to_rfc3339(),
            run.duration_ms
                .map(|ms| format!("  {ms} ms"))
                .unwrap_or_default()
        )?;
    }
    writeln!(out, "dead letter:")?;
    if story.dead_letters.is_empty() {
        writeln!(out, "  none")?;
    }
    for entry in &story.dead_letters {
        writeln!(out, "  error: {}", entry.error_class())?;
        writeln!(out, "  cause: {}", entry.cause().unwrap_or(""))?;
    }
    writeln!(out, "announcements:")?;
    for event in &story.events {
        let sent = event
            .sent_at
            .map(|at| format!("sent {}", at.to_rfc3339()))
            .unwrap_or_else(|| "unsent".into());
        writeln!(out, "  {}  {sent}", event.event_id)?;
    }
    Ok(out)
}
