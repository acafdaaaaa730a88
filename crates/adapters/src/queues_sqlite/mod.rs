//! Durable local queues with SQS semantics, all in one SQLite file.
//!
//! - At-least-once: a received message stays stored, hidden for its visibility timeout,
//!   until [`Queue::delete`]; if nobody deletes it, it becomes visible again.
//! - Every delivery gets a fresh receipt handle. As in SQS, deleting with a stale
//!   handle (one from an earlier delivery) succeeds but deletes nothing;
//!   [`Queue::change_visibility`] with a stale handle is a [`PortError::NotFound`].
//! - Redrive: a message already received `max_receive_count` times moves to the
//!   dead-letter queue instead of being delivered again (keeping its id, body and
//!   send time; its receive count starts over there).
//! - `receive` long-polls: it waits up to `wait` for a first message, waking on a
//!   send from this process at once and polling the file for other processes.
//!
//! Beyond SQS, for a queue with one consumer process that restarts (the local
//! dispatcher): a delivery is *handled* from the moment its consumer starts working
//! on it ([`LocalQueue::begin_handling`]), not when it is received. At its start, the
//! consumer knows its predecessor is gone and calls [`LocalQueue::release_held`]:
//! everything the predecessor held is visible again at once instead of after its
//! visibility timeout, and the receives of deliveries that no handler ever saw (they
//! waited in a received batch) are given back, so crashes alone never push a message
//! towards the dead-letter queue. A delivery that was being handled keeps its
//! receive: it may be the very message that crashes the consumer, and the redrive
//! must still park it after `max_receive_count` tries.

mod listing;

use crate::db_error::db_error;
use crate::sqlite_file::{from_micros, migrate, open_sqlite_file, to_micros};
use async_trait::async_trait;
use chrono::Utc;
use sqlx::sqlite::{SqlitePool, SqliteQueryResult};
use sqlx::Row;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;
use wisaw_domain::error::PortError;
use wisaw_domain::ports::{PortResult, Queue, QueueStats, ReceivedMessage};

pub use listing::{QueueCounts, QueuedMessage};

pub const INGEST_QUEUE: &str = "ingest";
pub const DEAD_LETTER_QUEUE: &str = "dead-letter";

/// SQS hands out at most 10 messages per receive.
pub const MAX_MESSAGES_PER_RECEIVE: u32 = 10;

/// How often a waiting receive looks at the file for messages sent by other processes.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// What [`LocalQueue::release_held`] found in flight.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Released {
    /// Deliveries a handler had taken up: visible again, their receive kept.
    pub handled: u64,
    /// Deliveries no handler saw: visible again, their receive given back.
    pub unhandled: u64,
}

/// Where a queue sends messages that keep coming back (SQS's redrive policy).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redrive {
    pub dead_letter_queue: String,
    pub max_receive_count: u32,
}

/// Wakes this process's waiting receivers when a queue gets a message.
#[derive(Debug, Default)]
struct Wakers(Mutex<HashMap<String, Arc<Notify>>>);

impl Wakers {
    fn of(&self, queue: &str) -> Arc<Notify> {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        map.entry(queue.to_string()).or_default().clone()
    }
}

/// The file holding every local queue; hands out named queues.
#[derive(Clone, Debug)]
pub struct LocalQueues {
    pool: SqlitePool,
    wakers: Arc<Wakers>,
}

impl LocalQueues {
    /// Opens (or creates) the queues' file and brings its schema up to date.
    pub async fn open(path: impl AsRef<Path>) -> PortResult<Self> {
        Self::from_pool(open_sqlite_file(path.as_ref()).await?).await
    }

    /// Uses an existing pool and brings its schema up to date.
    pub async fn from_pool(pool: SqlitePool) -> PortResult<Self> {
        migrate(&pool, sqlx::migrate!("./migrations/queues")).await?;
        Ok(Self {
            pool,
            wakers: Arc::default(),
        })
    }

    /// A queue without redrive. Queues exist as soon as they are named.
    pub fn queue(&self, name: &str) -> LocalQueue {
        LocalQueue {
            pool: self.pool.clone(),
            name: name.to_string(),
            redrive: None,
            wakers: self.wakers.clone(),
        }
    }

    /// A queue whose messages move to `redrive.dead_letter_queue` after
    /// `redrive.max_receive_count` receives.
    pub fn queue_with_redrive(&self, name: &str, redrive: Redrive) -> LocalQueue {
        LocalQueue {
            redrive: Some(redrive),
            ..self.queue(name)
        }
    }

    /// Messages per queue (visible and in flight), for every queue holding any.
    pub async fn counts(&self) -> PortResult<Vec<QueueCounts>> {
        listing::counts(&self.pool, None).await
    }
}

/// One named queue in the local queues' file.
#[derive(Clone, Debug)]
pub struct LocalQueue {
    pool: SqlitePool,
    name: String,
    redrive: Option<Redrive>,
    wakers: Arc<Wakers>,
}

impl LocalQueue {
    pub fn redrive(&self) -> Option<&Redrive> {
        self.redrive.as_ref()
    }

    /// How many messages this queue holds, visible and in flight.
    pub async fn count(&self) -> PortResult<QueueCounts> {
        let found = listing::counts(&self.pool, Some(&self.name)).await?;
        Ok(found.into_iter().next().unwrap_or(QueueCounts {
            queue: self.name.clone(),
            visible: 0,
            in_flight: 0,
        }))
    }

    /// Up to `limit` messages, oldest first, without receiving them: nothing changes.
    pub async fn peek(&self, limit: u32) -> PortResult<Vec<QueuedMessage>> {
        listing::peek(&self.pool, &self.name, limit).await
    }

    /// Records that the consumer has started handling this delivery: from now on its
    /// receive counts even if the consumer dies (see [`LocalQueue::release_held`]).
    /// A stale handle (a later delivery exists, or the message is gone) is `NotFound`.
    pub async fn begin_handling(&self, receipt_handle: &str) -> PortResult<()> {
        let marked = sqlx::query(
            "UPDATE queue_messages SET delivery_handled = 1 WHERE queue = ? AND receipt_handle = ?",
        )
        .bind(&self.name)
        .bind(receipt_handle)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        self.matched_a_message(marked, receipt_handle)
    }

    /// A statement by receipt handle that changed no row met a stale handle: a later
    /// delivery has replaced it, or the message is gone.
    fn matched_a_message(&self, result: SqliteQueryResult, receipt_handle: &str) -> PortResult<()> {
        if result.rows_affected() > 0 {
            return Ok(());
        }
        Err(PortError::NotFound(
            format!(
                "no message of queue {} has the receipt handle {receipt_handle}",
                self.name
            )
            .into(),
        ))
    }

    /// For a consumer starting in place of one that is gone: makes every message in
    /// flight visible at once, gives back the receive of each delivery that was never
    /// handled, and makes every outstanding receipt handle stale. Only call it when no
    /// other consumer of this queue is running.
    pub async fn release_held(&self) -> PortResult<Released> {
        let now = to_micros(Utc::now());
        let mut tx = self.pool.begin().await.map_err(db_error)?;
        let mut released = Released::default();
        for handled in [false, true] {
            let receive_given_back = i64::from(!handled);
            let done = sqlx::query(
                "UPDATE queue_messages SET visible_at = ?, receipt_handle = NULL, \
                 delivery_handled = 0, receive_count = MAX(receive_count - ?, 0) \
                 WHERE queue = ? AND visible_at > ? AND receipt_handle IS NOT NULL \
                 AND delivery_handled = ?",
            )
            .bind(now)
            .bind(receive_given_back)
            .bind(&self.name)
            .bind(now)
            .bind(i64::from(handled))
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
            if handled {
                released.handled = done.rows_affected();
            } else {
                released.unhandled = done.rows_affected();
            }
        }
        tx.commit().await.map_err(db_error)?;
        if released.handled + released.unhandled > 0 {
            self.wakers.of(&self.name).notify_waiters();
        }
        Ok(released)
    }

    /// Moves the visible messages that were received `max_receive_count` times already
    /// to the dead-letter queue: the next receive would exceed the count.
    async fn redrive_exhausted(&self, now: i64) -> PortResult<()> {
        let Some(redrive) = &self.redrive else {
            return Ok(());
        };
        let moved = sqlx::query(
            "UPDATE queue_messages SET queue = ?, receive_count = 0, receipt_handle = NULL, \
             delivery_handled = 0, visible_at = ? WHERE queue = ? AND visible_at <= ? AND receive_count >= ?",
        )
        .bind(&redrive.dead_letter_queue)
        .bind(now)
        .bind(&self.name)
        .bind(now)
        .bind(i64::from(redrive.max_receive_count))
        .execute(&self.pool)
        .await.map_err(db_error)?;
        if moved.rows_affected() > 0 {
            tracing::warn!(
                queue = %self.name,
                dead_letter_queue = %redrive.dead_letter_queue,
                moved = moved.rows_affected(),
                "messages exceeded the receive count and moved to the dead-letter queue"
            );
            self.wakers.of(&redrive.dead_letter_queue).notify_waiters();
        }
        Ok(())
    }

    /// One attempt at receiving, without waiting.
    async fn receive_now(
        &self,
        max: u32,
        visibility: Duration,
    ) -> PortResult<Vec<ReceivedMessage>> {
        let now = to_micros(Utc::now());
        self.redrive_exhausted(now).await?;
        let hidden_until = now.saturating_add(duration_micros(visibility));
        // One UPDATE statement takes the write lock before it reads, so two receivers
        // can never pick the same visible message.
        let rows = sqlx::query(
            "UPDATE queue_messages SET receive_count = receive_count + 1, visible_at = ?, \
             receipt_handle = id || '.' || lower(hex(randomblob(16))), delivery_handled = 0 \
             WHERE seq IN (SELECT seq FROM queue_messages WHERE queue = ? AND visible_at <= ? \
                           AND receive_count < ? ORDER BY sent_at, seq LIMIT ?) \
             RETURNING seq, sent_at, id, receipt_handle, body, receive_count",
        )
        .bind(hidden_until)
        .bind(&self.name)
        .bind(now)
        // Never deliver past the redrive's count, even if another receiver raced the move.
        .bind(
            self.redrive
                .as_ref()
                .map_or(i64::MAX, |r| i64::from(r.max_receive_count)),
        )
        .bind(i64::from(max.clamp(1, MAX_MESSAGES_PER_RECEIVE)))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        let mut picked = Vec::with_capacity(rows.len());
        for row in rows {
            let sent_at: i64 = row.try_get("sent_at").map_err(db_error)?;
            let order = (sent_at, row.try_get::<i64, _>("seq").map_err(db_error)?);
            let receive_count: i64 = row.try_get("receive_count").map_err(db_error)?;
            picked.push((
                order,
                ReceivedMessage {
                    message_id: row.try_get("id").map_err(db_error)?,
                    receipt_handle: row.try_get("receipt_handle").map_err(db_error)?,
                    body: row.try_get("body").map_err(db_error)?,
                    receive_count: u32::try_from(receive_count).unwrap_or(u32::MAX),
                    sent_at: Some(from_micros(sent_at)?),
                },
            ));
        }
        // RETURNING gives no order; deliver oldest first.
        picked.sort_by_key(|(order, _)| *order);
        Ok(picked.into_iter().map(|(_, message)| message).collect())
    }
}

fn duration_micros(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}

#[async_trait]
impl Queue for LocalQueue {
    fn name(&self) -> &str {
        &self.name
    }

    async fn stats(&self) -> PortResult<QueueStats> {
        listing::stats(&self.pool, &self.name).await
    }

    async fn send(&self, body: &str) -> PortResult<String> {
        let id = uuid::Uuid::new_v4().to_string();
        let now = to_micros(Utc::now());
        sqlx::query(
            "INSERT INTO queue_messages (id, queue, body, sent_at, visible_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(&self.name)
        .bind(body)
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await.map_err(db_error)?;
        self.wakers.of(&self.name).notify_waiters();
        Ok(id)
    }

    async fn receive(
        &self,
        max: u32,
        visibility: Duration,
        wait: Duration,
    ) -> PortResult<Vec<ReceivedMessage>> {
        let deadline = Instant::now() + wait;
        let waker = self.wakers.of(&self.name);
        loop {
            // Registered before looking, so a send between the look and the sleep still wakes us.
            let sent = waker.notified();
            tokio::pin!(sent);
            sent.as_mut().enable();
            let messages = self.receive_now(max, visibility).await?;
            let now = Instant::now();
            if !messages.is_empty() || now >= deadline {
                return Ok(messages);
            }
            let nap = POLL_INTERVAL.min(deadline - now);
            tokio::select! {
                _ = sent => {}
                _ = tokio::time::sleep(nap) => {}
            }
        }
    }

    async fn delete(&self, receipt_handle: &str) -> PortResult<()> {
        // A stale handle matches nothing: success without effect, as in SQS.
        sqlx::query("DELETE FROM queue_messages WHERE queue = ? AND receipt_handle = ?")
            .bind(&self.name)
            .bind(receipt_handle)
            .execute(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn change_visibility(
        &self,
        receipt_handle: &str,
        visibility: Duration,
    ) -> PortResult<()> {
        let visible_at = to_micros(Utc::now()).saturating_add(duration_micros(visibility));
        let changed = sqlx::query(
            "UPDATE queue_messages SET visible_at = ? WHERE queue = ? AND receipt_handle = ?",
        )
        .bind(visible_at)
        .bind(&self.name)
        .bind(receipt_handle)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        self.matched_a_message(changed, receipt_handle)
    }
}
