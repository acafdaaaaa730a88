//! An inline Map state's attempt: its processor once per item, `MaxConcurrency` at a
//! time, within its tolerated failures.

use super::super::context::with_map_item;
use super::super::definition::MapState;
use super::super::error::{RuntimeError, STATES_EXCEED_TOLERATED_FAILURE_THRESHOLD};
use super::super::history::{self, NewEvent};
use super::super::path::Scope;
use super::super::processing::no_results;
use super::super::store::Update;
use super::work::{Attempt, Work};
use super::{BranchEnd, Chain, Failure, Interrupt, Lane};
use futures::stream::{FuturesUnordered, StreamExt};
use serde_json::Value;
use std::time::Duration;
use tokio::time::Instant;

impl Work<'_> {
    /// The processor once per item, `MaxConcurrency` at a time; the outputs in item order.
    pub(super) async fn attempt_map(self, map: &MapState) -> Result<Attempt, Interrupt> {
        let items = match map.items_path.select(self.effective, self.scope) {
            Some(Value::Array(items)) => items.clone(),
            Some(_) => {
                return Err(RuntimeError(format!(
                    "Reference path \"{}\" must point to array.",
                    map.items_path
                ))
                .into())
            }
            None => return Err(no_results(&map.items_path).into()),
        };
        let count = items.len();
        let started = vec![history::map_state_started(count)];
        let started = self
            .journal
            .append(self.chain(), started, Update::Events)
            .await?;
        // What the next iteration's first event follows: MapStateStarted, then the
        // last state event of the iteration that ended last.
        let iterations_follow = Chain::after(started);
        let at_once = match map.max_concurrency {
            0 => count.max(1),
            limit => limit,
        };
        let lanes: Vec<Lane> = items.iter().map(|_| Lane::default()).collect();
        let mut waiting = items.into_iter().enumerate();
        let mut running = FuturesUnordered::new();
        let iterations_follow = &iterations_follow;
        let start = |(index, item): (usize, Value)| {
            let lane = &lanes[index];
            lane.chain().follow(iterations_follow.last());
            async move { (index, self.run_iteration(map, index, item, lane).await) }
        };
        running.extend(waiting.by_ref().take(at_once).map(start));
        let mut outputs = vec![Value::Null; count];
        // Iterations whose end is recorded.
        let mut closed = vec![false; count];
        let mut failures = 0;
        while let Some((index, end)) = running.next().await {
            iterations_follow.follow(lanes[index].chain().last());
            let failure = match end? {
                BranchEnd::Succeeded(output) => {
                    closed[index] = true;
                    outputs[index] = output;
                    running.extend(waiting.next().map(start));
                    continue;
                }
                BranchEnd::Failed(failure) => failure,
            };
            failures += 1;
            let over_threshold = match tolerates(map, failures, count) {
                // A tolerated failure leaves its error output in the item's place.
                Some(true) => {
                    closed[index] = true;
                    outputs[index] = failure.output();
                    let lane = &lanes[index];
                    let failed = self.iteration_failed(index, lane);
                    let failed = self
                        .journal
                        .append(lane.chain(), failed, Update::Events)
                        .await?;
                    // As after a MapIterationSucceeded: MapStateSucceeded points here.
                    self.chain().follow(failed);
                    running.extend(waiting.next().map(start));
                    continue;
                }
                // No threshold: the first failure is the Map's.
                None => false,
                Some(false) => true,
            };
            // Iterations failing at the same moment record their failure first.
            let mut failed = vec![(index, failure)];
            for (index, end) in settle_due(&mut running, &lanes).await {
                if let BranchEnd::Failed(failure) = end? {
                    failed.push((index, failure));
                }
            }
            // Of those, the first item's is the Map's failure (a stable choice);
            // every other iteration that had begun is aborted where it stands.
            let (failing, failure) = failed
                .into_iter()
                .min_by_key(|(index, _)| *index)
                .expect("the failure that stops the Map");
            let failure = match over_threshold {
                true => Failure::new(
                    STATES_EXCEED_TOLERATED_FAILURE_THRESHOLD,
                    Some("The specified tolerated failure threshold was exceeded".into()),
                ),
                false => failure,
            };
            // What the Map writes now points at the event that failed.
            self.chain().follow(lanes[failing].chain().last());
            let mut stopped = self.iteration_failed(failing, &lanes[failing]);
            for (other, lane) in lanes.iter().enumerate() {
                if lane.entered() && !closed[other] && other != failing {
                    stopped.push(history::map_iteration(
                        "MapIterationAborted",
                        other,
                        self.state_name,
                    ));
                    stopped.extend(lane.aborted());
                }
            }
            return Ok(Attempt::stopped(failure, stopped, "MapStateFailed"));
        }
        Ok(Attempt::Succeeded {
            result: Value::Array(outputs),
            event: history::bare("MapStateSucceeded"),
        })
    }

    /// `MapIterationFailed`, then the Task the iteration failed in, aborted.
    fn iteration_failed(&self, index: usize, lane: &Lane) -> Vec<NewEvent> {
        let failed = history::map_iteration("MapIterationFailed", index, self.state_name);
        std::iter::once(failed).chain(lane.aborted()).collect()
    }

    /// One item through the Map's processor, from `MapIterationStarted` to
    /// `MapIterationSucceeded` (the Map records how a failed one ended).
    async fn run_iteration(
        self,
        map: &MapState,
        index: usize,
        item: Value,
        lane: &Lane,
    ) -> Result<BranchEnd, Interrupt> {
        let item_context = with_map_item(self.scope.context.clone(), index, &item);
        let item_scope = Scope {
            context: &item_context,
            variables: self.scope.variables,
        };
        let input = match &map.item_selector {
            Some(selector) => selector.render(self.effective, &item_scope)?,
            None => item,
        };
        let started = history::map_iteration("MapIterationStarted", index, self.state_name);
        let cursor = self
            .engine
            .enter_branch(
                &map.processor,
                input,
                self.scope.variables.clone(),
                vec![started],
                lane,
                self.journal,
            )
            .await?;
        let end = self
            .engine
            .run_branch(
                &map.processor,
                cursor,
                Some(lane),
                self.context,
                self.journal,
            )
            .await?;
        // A failure is the Map's to record: whether the iteration failed or was
        // aborted depends on what else failed at the same moment.
        if let BranchEnd::Succeeded(_) = end {
            let succeeded = history::map_iteration("MapIterationSucceeded", index, self.state_name);
            let succeeded = self
                .journal
                .append(lane.chain(), vec![succeeded], Update::Events)
                .await?;
            // MapStateSucceeded points at the last MapIterationSucceeded.
            self.chain().follow(succeeded);
        }
        Ok(end)
    }
}

/// None when the Map has no threshold; otherwise whether `failures` of `count` items
/// are still within it (either threshold, when both are given, may be exceeded).
fn tolerates(map: &MapState, failures: u64, count: usize) -> Option<bool> {
    if map.tolerated_failure_count.is_none() && map.tolerated_failure_percentage.is_none() {
        return None;
    }
    let within_count = map
        .tolerated_failure_count
        .is_none_or(|limit| failures <= limit);
    let within_share = map
        .tolerated_failure_percentage
        .is_none_or(|limit| failures as f64 * 100.0 <= limit * count as f64);
    Some(within_count && within_share)
}

/// Task timeouts are whole seconds: deadlines less than one apart are the same
/// moment. AWS records every timeout of such a moment before its Map fails (four
/// iterations timing out together give four `TaskTimedOut`), though the iterations'
/// timers start a few milliseconds apart.
const SAME_MOMENT: Duration = Duration::from_secs(1);

/// Runs the iterations whose task times out within [`SAME_MOMENT`] of now until
/// each has recorded its attempt, without starting any new one; returns the
/// iterations that ended meanwhile.
async fn settle_due<F: std::future::Future>(
    running: &mut FuturesUnordered<F>,
    lanes: &[Lane],
) -> Vec<F::Output> {
    let moment_ends = Instant::now() + SAME_MOMENT;
    let is_due = |lane: &Lane| lane.due().is_some_and(|due| due <= moment_ends);
    let mut ended = Vec::new();
    while !running.is_empty() && lanes.iter().any(is_due) {
        // A lane's attempt is recorded without its iteration ending when a Retrier
        // takes the failure; look again shortly.
        tokio::select! {
            Some(end) = running.next() => ended.push(end),
            () = tokio::time::sleep(Duration::from_millis(10)) => {}
        }
    }
    ended
}
