//! A state machine drawn as SVG, with the path one execution took through it.
//!
//! [`execution_path`] reads an execution's history (as `GetExecutionHistory`
//! gives it, or as the local engine records it) into the states it entered and how
//! each fared; [`draw`] lays the definition's top-level states out
//! top-to-bottom and highlights that path. The SVG is complete and styled, so a
//! page can embed it as is, with no script.

mod graph;
mod highlight;
mod labels;
mod layering;
mod marks;
mod ordering;
mod placement;
mod svg;
mod xml;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod wellformed;

use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::BTreeMap;

pub use labels::format_duration;
pub use marks::execution_path;

/// How one state fared in one execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateOutcome {
    Succeeded,
    Failed,
    Caught,
    Running,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StateMark {
    pub outcome: StateOutcome,
    /// Times its task was attempted (1 + retries); 0 for states without a task.
    pub attempts: u32,
    /// From the state entered to exited (or to the failure), when it ended.
    pub duration: Option<chrono::Duration>,
    /// The last error and cause seen in this state, if any.
    pub error: Option<String>,
    pub cause: Option<String>,
}

/// One history event as the console has it (the shape Step Functions' GetExecutionHistory gives).
#[derive(Clone, Copy, Debug)]
pub struct HistoryItem<'a> {
    pub event_type: &'a str,
    pub timestamp: DateTime<Utc>,
    pub details: &'a Value,
}

/// The path an execution took: states in the order entered (a state entered twice appears twice), and each state's mark.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExecutionPath {
    pub entered: Vec<String>,
    pub marks: BTreeMap<String, StateMark>,
    /// How each entry of `entered` ended, in the same order: a state entered
    /// twice may have been caught once and succeeded the second time, which
    /// decides which of two edges to the same state was taken.
    pub visit_outcomes: Vec<StateOutcome>,
    /// The execution ended where the definition ends: it succeeded, or it
    /// failed in a `Fail` state (rather than in a task that could not recover).
    pub reached_end: bool,
}

/// The SVG (a complete `<svg ...>` element, with a viewBox and width/height) of the definition (the ASL JSON, parsed), with the path highlighted.
pub fn draw(definition: &Value, path: &ExecutionPath) -> String {
    let graph = graph::Graph::from_definition(definition);
    let labels = labels::node_labels(&graph, path);
    let ranking = layering::rank(&graph);
    let ordering = ordering::order(&graph, &ranking);
    let sizes: Vec<placement::Size> = labels.iter().map(labels::NodeLabel::size).collect();
    let layout = placement::place(&graph, &ranking, &ordering, &sizes);
    let taken = highlight::taken_edges(&graph, path);
    svg::render(&graph, &labels, &layout, &taken)
}
