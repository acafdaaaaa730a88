//! The execution's history as it is written: one transaction per append.

use super::super::history::NewEvent;
use super::super::store::{AppendError, Checkpoint, Store, Update};
use super::lane::Lane;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// The execution's history as it is written: one transaction per append. Parallel
/// branches and Map iterations share it, so their events interleave as they happen.
pub(super) struct Journal<'a> {
    store: &'a Store,
    execution_id: String,
    /// The machine's own states' chain.
    root: Chain,
    pending: tokio::sync::Mutex<Pending>,
}

struct Pending {
    last_event_id: i64,
    /// Events that go out with the next append, ahead of its own (see [`Journal::defer`]),
    /// each with its chain.
    deferred: Vec<(NewEvent, Chain)>,
}

/// One line of the history: the machine's own states, a Parallel branch or a Map
/// iteration. Its next event points at its last (`previousEventId`), as on AWS,
/// whatever other branches wrote in between.
#[derive(Clone, Debug, Default)]
pub(super) struct Chain(Arc<AtomicI64>);

impl Chain {
    /// A chain whose next event follows the event `id`.
    pub(super) fn after(id: i64) -> Self {
        Self(Arc::new(AtomicI64::new(id)))
    }

    /// The id of the event the chain's next event follows.
    pub(super) fn last(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }

    /// The chain's next event follows the event `id`.
    pub(super) fn follow(&self, id: i64) {
        self.0.store(id, Ordering::SeqCst);
    }
}

/// Events the next event of their chain points past, as AWS records them: a Map
/// iteration's end (the next iteration follows the last state event of the one
/// before), a Map or Parallel state's success (its `...StateExited` points where
/// the success does), and whatever a failure aborts (the state's failure, or its
/// retry, points at the event that failed).
fn passed_over(event: &NewEvent) -> bool {
    let event_type = event.event_type.as_str();
    matches!(
        event_type,
        "MapIterationSucceeded"
            | "MapIterationFailed"
            | "MapIterationAborted"
            | "MapStateSucceeded"
            | "ParallelStateSucceeded"
    ) || event_type.ends_with("StateAborted")
}

impl<'a> Journal<'a> {
    /// The journal of an execution whose history ends at `last_event_id`.
    pub(super) fn new(store: &'a Store, execution_id: &str, last_event_id: i64) -> Self {
        Self {
            store,
            execution_id: execution_id.to_string(),
            root: Chain::after(last_event_id),
            pending: tokio::sync::Mutex::new(Pending {
                last_event_id,
                deferred: Vec::new(),
            }),
        }
    }

    /// The chain a state writes on: its Parallel branch's or Map iteration's `lane`,
    /// or the machine's own.
    pub(super) fn chain<'c>(&'c self, lane: Option<&'c Lane>) -> &'c Chain {
        lane.map_or(&self.root, Lane::chain)
    }

    /// Writes `events` on `chain` (after any deferred ones) with `update`; returns
    /// the id of the last event written.
    pub(super) async fn append(
        &self,
        chain: &Chain,
        events: Vec<NewEvent>,
        update: Update,
    ) -> Result<i64, AppendError> {
        self.write(chain, events, |_| update).await
    }

    /// Writes `events` on `chain`, whose last is the `...StateEntered` of `cursor`'s
    /// state, and returns the cursor with that event's id. A durable cursor is the
    /// checkpoint.
    pub(super) async fn enter(
        &self,
        chain: &Chain,
        events: Vec<NewEvent>,
        mut cursor: Checkpoint,
        durable: bool,
    ) -> Result<Checkpoint, AppendError> {
        self.write(chain, events, |entered_event_id| {
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
    /// makes from the id the last of them will have; returns that id. Each event
    /// follows its chain's last event and, unless passed over, becomes it.
    async fn write(
        &self,
        chain: &Chain,
        events: Vec<NewEvent>,
        update_for: impl FnOnce(i64) -> Update,
    ) -> Result<i64, AppendError> {
        let mut pending = self.pending.lock().await;
        let mut all = std::mem::take(&mut pending.deferred);
        all.extend(events.into_iter().map(|event| (event, chain.clone())));
        let mut id = pending.last_event_id;
        let all: Vec<NewEvent> = all
            .into_iter()
            .map(|(mut event, chain)| {
                id += 1;
                event.previous = Some(chain.last());
                if !passed_over(&event) {
                    chain.follow(id);
                }
                event
            })
            .collect();
        let update = update_for(id);
        pending.last_event_id = self
            .store
            .append(&self.execution_id, pending.last_event_id, &all, &update)
            .await?;
        Ok(pending.last_event_id)
    }

    /// Keeps an event of `chain` for the next append, which follows before anything
    /// else happens, so both are one write. A crash in between is a crash before the
    /// event: the state runs again from the same checkpoint either way.
    pub(super) async fn defer(&self, chain: &Chain, event: NewEvent) {
        self.pending
            .lock()
            .await
            .deferred
            .push((event, chain.clone()));
    }
}
