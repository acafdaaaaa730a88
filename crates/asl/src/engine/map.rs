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
use super::{BranchEnd, Failure, Interrupt, Lane};
use futures::StreamExt;
use serde_json::Value;

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
        self.journal
            .append(vec![history::map_state_started(count)], Update::Events)
            .await?;
        let at_once = match map.max_concurrency {
            0 => count.max(1),
            limit => limit,
        };
        let lanes: Vec<Lane> = items.iter().map(|_| Lane::default()).collect();
        let lanes = &lanes;
        let mut iterations = futures::stream::iter(items.into_iter().enumerate())
            .map(|(index, item)| async move {
                let lane = &lanes[index];
                let end = self.run_iteration(map, index, item, lane).await;
                (index, end)
            })
            .buffer_unordered(at_once);
        let mut outputs = vec![Value::Null; count];
        let mut failures = 0;
        while let Some((index, end)) = iterations.next().await {
            match end? {
                BranchEnd::Succeeded(output) => outputs[index] = output,
                BranchEnd::Failed(failure) => {
                    failures += 1;
                    let failed = |failure| {
                        // The iterations still running stop where they are.
                        let aborted: Vec<NewEvent> = lanes
                            .iter()
                            .enumerate()
                            .filter_map(|(index, lane)| {
                                let state = lane.aborted()?;
                                Some([
                                    state,
                                    history::map_iteration(
                                        "MapIterationAborted",
                                        index,
                                        self.state_name,
                                    ),
                                ])
                            })
                            .flatten()
                            .collect();
                        Attempt::stopped(failure, aborted, "MapStateFailed")
                    };
                    match tolerates(map, failures, count) {
                        // No threshold: the first failure is the Map's.
                        None => return Ok(failed(failure)),
                        Some(false) => {
                            return Ok(failed(Failure::new(
                                STATES_EXCEED_TOLERATED_FAILURE_THRESHOLD,
                                Some(
                                    "The specified tolerated failure threshold was exceeded".into(),
                                ),
                            )))
                        }
                        // A tolerated failure leaves its error output in the item's place.
                        Some(true) => outputs[index] = failure.output(),
                    }
                }
            }
        }
        Ok(Attempt::Succeeded {
            result: Value::Array(outputs),
            event: history::bare("MapStateSucceeded"),
        })
    }

    /// One item through the Map's processor, between `MapIterationStarted` and
    /// `MapIterationSucceeded` or `MapIterationFailed`.
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
        let event_type = match end {
            BranchEnd::Succeeded(_) => "MapIterationSucceeded",
            BranchEnd::Failed(_) => "MapIterationFailed",
        };
        self.journal
            .append(
                vec![history::map_iteration(event_type, index, self.state_name)],
                Update::Events,
            )
            .await?;
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
