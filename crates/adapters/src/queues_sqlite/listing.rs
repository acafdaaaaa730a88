//! What operators look at: how many messages a queue holds, and which.

use crate::db_error::db_error;
use crate::fetch;
use crate::photo_rows::PlainColumns;
use crate::sqlite_file::{from_micros, to_micros};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::sqlite::SqlitePool;
use std::time::Duration;
use wisaw_domain::ports::{PortResult, QueueStats};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueCounts {
    pub queue: String,
    /// Ready to be received (SQS's ApproximateNumberOfMessages).
    pub visible: u64,
    /// Received and not yet deleted (ApproximateNumberOfMessagesNotVisible).
    pub in_flight: u64,
}

impl QueueCounts {
    pub fn total(&self) -> u64 {
        self.visible + self.in_flight
    }
}

/// A stored message, as a listing shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueuedMessage {
    pub message_id: String,
    pub body: String,
    pub sent_at: DateTime<Utc>,
    pub receive_count: u32,
    /// False while a receiver holds it.
    pub visible: bool,
}

/// Counts per queue; only `queue` when given.
pub async fn counts(pool: &SqlitePool, queue: Option<&str>) -> PortResult<Vec<QueueCounts>> {
    let query = sqlx::query(
        "SELECT queue, SUM(visible_at <= ?1) AS visible, SUM(visible_at > ?1) AS in_flight \
         FROM queue_messages WHERE ?2 IS NULL OR queue = ?2 GROUP BY queue ORDER BY queue",
    )
    .bind(to_micros(Utc::now()))
    .bind(queue);
    fetch::all(pool, query, |row| {
        Ok(QueueCounts {
            queue: row.text("queue")?,
            visible: row.integer("visible")?.max(0) as u64,
            in_flight: row.integer("in_flight")?.max(0) as u64,
        })
    })
    .await
}

/// One queue's counts and the age of its oldest message. Every row is a live message:
/// a delete removes the row, and `delivery_handled` only says whether a handler took up
/// the delivery, which is still in flight until it is deleted.
pub async fn stats(pool: &SqlitePool, queue: &str) -> PortResult<QueueStats> {
    let now = to_micros(Utc::now());
    let (visible, in_flight, oldest_sent_at): (i64, i64, Option<i64>) = sqlx::query_as(
        "SELECT COALESCE(SUM(visible_at <= ?1), 0), COALESCE(SUM(visible_at > ?1), 0), \
         MIN(sent_at) FROM queue_messages WHERE queue = ?2",
    )
    .bind(now)
    .bind(queue)
    .fetch_one(pool)
    .await
    .map_err(db_error)?;
    Ok(QueueStats {
        visible: visible.max(0) as u64,
        in_flight: in_flight.max(0) as u64,
        // A clock set back since the send reads as a message sent just now.
        oldest_age: oldest_sent_at
            .map(|sent_at| Duration::from_micros(now.saturating_sub(sent_at).max(0) as u64)),
    })
}

pub async fn peek(pool: &SqlitePool, queue: &str, limit: u32) -> PortResult<Vec<QueuedMessage>> {
    let now = to_micros(Utc::now());
    let query = sqlx::query(
        "SELECT id, body, sent_at, receive_count, visible_at FROM queue_messages \
         WHERE queue = ? ORDER BY sent_at, seq LIMIT ?",
    )
    .bind(queue)
    .bind(i64::from(limit));
    fetch::all(pool, query, |row| {
        Ok(QueuedMessage {
            message_id: row.text("id")?,
            body: row.text("body")?,
            sent_at: from_micros(row.integer("sent_at")?)?,
            receive_count: u32::try_from(row.integer("receive_count")?).unwrap_or(u32::MAX),
            visible: row.integer("visible_at")? <= now,
        })
    })
    .await
}
