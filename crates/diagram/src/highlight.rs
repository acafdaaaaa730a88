//! Which edges the execution took.

use super::graph::{EdgeKind, Graph};
use super::{ExecutionPath, StateOutcome};
use std::collections::HashMap;

/// Per edge of `graph`: whether the path went along it. Each pair of states
/// entered one after the other took the edge between them (the Catch edge
/// when the first was caught, the other one otherwise); Start led to the
/// first state, and the last one led to End if the execution ended there.
pub fn taken_edges(graph: &Graph, path: &ExecutionPath) -> Vec<bool> {
    let mut by_ends: HashMap<(usize, usize, EdgeKind), usize> = HashMap::new();
    for (index, edge) in graph.edges.iter().enumerate() {
        by_ends.insert((edge.from, edge.to, edge.kind), index);
    }
    let mut taken = vec![false; graph.edges.len()];
    let mut take = |from: usize, to: usize, preferred: EdgeKind| {
        let other = match preferred {
            EdgeKind::Transition => EdgeKind::Catch,
            EdgeKind::Catch => EdgeKind::Transition,
        };
        if let Some(&edge) = by_ends
            .get(&(from, to, preferred))
            .or_else(|| by_ends.get(&(from, to, other)))
        {
            taken[edge] = true;
        }
    };

    let states: Vec<Option<usize>> = path.entered.iter().map(|n| graph.index(n)).collect();
    if let (Some(start), Some(Some(first))) = (graph.start, states.first()) {
        take(start, *first, EdgeKind::Transition);
    }
    for (visit, pair) in states.windows(2).enumerate() {
        let (Some(from), Some(to)) = (pair[0], pair[1]) else {
            continue;
        };
        let outcome = path
            .visit_outcomes
            .get(visit)
            .or_else(|| path.marks.get(&path.entered[visit]).map(|m| &m.outcome));
        let kind = if outcome == Some(&StateOutcome::Caught) {
            EdgeKind::Catch
        } else {
            EdgeKind::Transition
        };
        take(from, to, kind);
    }
    if let (true, Some(end), Some(Some(last))) = (path.reached_end, graph.end, states.last()) {
        take(*last, end, EdgeKind::Transition);
    }
    taken
}
