//! The execution's history as it is written: one transaction per append.

use super::super::history::NewEvent;
use super::super::store::{AppendError, Checkpoint, Store, Update};

/// The execution's history as it is written: one transaction per append. Parallel
/// branches and Map iterations share it, so their events interleave as they happen.
pub(super) struct Journal<'a> {
    store: &'a Store,
    execution_id: String,
    pending: tokio::sync::Mutex<Pending>,
}

struct Pending {
    last_event_id: i64,
    /// Events that go out with the next append, ahead of its own (see [`Journal::defer`]).
    deferred: Vec<NewEvent>,
}

impl<'a> Journal<'a> {
    /// The journal of an execution whose history ends at `last_event_id`.
    pub(super) fn new(store: &'a Store, execution_id: &str, last_event_id: i64) -> Self {
        Self {
            store,
            execution_id: execution_id.to_string(),
            pending: tokio::sync::Mutex::new(Pending {
                last_event_id,
                deferred: Vec::new(),
            }),
        }
    }

    /// Writes `events` (after any deferred ones) with `update`; returns the id of
    /// the last event written.
    pub(super) async fn append(
        &self,
        events: Vec<NewEvent>,
        update: Update,
    ) -> Result<i64, AppendError> {
        self.write(events, |_| update).await
    }

    /// Writes `events`, whose last is the `...StateEntered` of `cursor`'s state, and
    /// returns the cursor with that event's id. A durable cursor is the checkpoint.
    pub(super) async fn enter(
        &self,
        events: Vec<NewEvent>,
        mut cursor: Checkpoint,
        durable: bool,
    ) -> Result<Checkpoint, AppendError> {
        self.write(events, |entered_event_id| {
            cursor.entered_event_id = entered_event_id;
            if durable {
                Update::Checkpoint(cursor.clone())
            } else {
                Update::Events
            }
        })
        .await?;
        Ok(cursor)
    }

    /// The one write: deferred events, then `events`, with the update `update_for`
    /// makes from the id the last of them will have; returns that id.
    async fn write(
        &self,
        events: Vec<NewEvent>,
        update_for: impl FnOnce(i64) -> Update,
    ) -> Result<i64, AppendError> {
        let mut pending = self.pending.lock().await;
        let mut all = std::mem::take(&mut pending.deferred);
        all.extend(events);
        let update = update_for(pending.last_event_id + all.len() as i64);
        pending.last_event_id = self
            .store
            .append(&self.execution_id, pending.last_event_id, &all, &update)
            .await?;
        Ok(pending.last_event_id)
    }

    /// Keeps an event for the next append, which follows before anything else
    /// happens, so both are one write. A crash in between is a crash before the
    /// event: the state runs again from the same checkpoint either way.
    pub(super) async fn defer(&self, event: NewEvent) {
        self.pending.lock().await.deferred.push(event);
    }
}
