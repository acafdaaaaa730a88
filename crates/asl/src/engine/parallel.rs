//! A Parallel state's attempt: every branch on the same input, side by side.

use super::super::definition::ParallelState;
use super::super::history;
use super::super::store::{AppendError, Update};
use super::work::{Attempt, Work};
use super::{BranchEnd, Failure, Interrupt, Lane};
use serde_json::Value;

impl Work<'_> {
    /// Every branch on the same input, side by side; the first to fail stops the others.
    pub(super) async fn attempt_parallel(
        self,
        parallel: &ParallelState,
    ) -> Result<Attempt, Interrupt> {
        let input = match &parallel.parameters {
            Some(template) => template.render(self.effective, self.scope)?,
            None => self.effective.clone(),
        };
        let started = vec![history::bare("ParallelStateStarted")];
        let started = self
            .journal
            .append(self.chain(), started, Update::Events)
            .await?;
        // Every branch's first event follows ParallelStateStarted.
        let lanes: Vec<Lane> = parallel
            .branches
            .iter()
            .map(|_| Lane::after(started))
            .collect();
        let runs = parallel.branches.iter().zip(&lanes).map(|(branch, lane)| {
            let input = input.clone();
            async move {
                let cursor = self
                    .engine
                    .enter_branch(
                        branch,
                        input,
                        self.scope.variables.clone(),
                        Vec::new(),
                        lane,
                        self.journal,
                    )
                    .await
                    .map_err(Stop::Store)?;
                let end = self
                    .engine
                    .run_branch(branch, cursor, Some(lane), self.context, self.journal)
                    .await
                    .map_err(Stop::Store)?;
                // The state goes on from the last branch to end: its success points
                // there, and its failure (or retry) at the event that failed.
                self.chain().follow(lane.chain().last());
                match end {
                    BranchEnd::Succeeded(output) => Ok(output),
                    BranchEnd::Failed(failure) => Err(Stop::Failed(failure)),
                }
            }
        });
        Ok(match futures::future::try_join_all(runs).await {
            Ok(outputs) => Attempt::Succeeded {
                result: Value::Array(outputs),
                event: history::bare("ParallelStateSucceeded"),
            },
            // The other branches stopped in the states they were in.
            Err(Stop::Failed(failure)) => Attempt::stopped(
                failure,
                lanes.iter().filter_map(Lane::aborted).collect(),
                "ParallelStateFailed",
            ),
            Err(Stop::Store(error)) => return Err(Interrupt::Store(error)),
        })
    }
}

/// Why a Parallel branch stopped the others.
enum Stop {
    Failed(Failure),
    Store(AppendError),
}
