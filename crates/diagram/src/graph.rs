//! The definition as a graph: its top-level states, a Start and an End, and
//! the transitions between them.

use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    Start,
    End,
    State { name: String, state_type: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EdgeKind {
    /// `Next`, a Choice rule, `Default`, or the way to End.
    Transition,
    /// A `Catch`'s `Next`.
    Catch,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub kind: EdgeKind,
}

#[derive(Debug, Default)]
pub struct Graph {
    /// Start first (when StartAt names a state), then the states in the order
    /// a walk from StartAt finds them, the unreachable ones after; End last.
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    pub start: Option<usize>,
    pub end: Option<usize>,
    by_name: HashMap<String, usize>,
}

impl Graph {
    /// Reads `StartAt` and the top-level `States`; whatever is missing or
    /// malformed is left out rather than refused, so any definition draws.
    pub fn from_definition(definition: &Value) -> Self {
        let empty = Map::new();
        let states = definition
            .get("States")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let start_at = definition
            .get("StartAt")
            .and_then(Value::as_str)
            .filter(|name| states.contains_key(*name));

        let mut graph = Self::default();
        if start_at.is_some() {
            graph.start = Some(graph.push(Node::Start));
        }
        for name in discovery_order(states, start_at) {
            let state_type = states[name]
                .get("Type")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string();
            let index = graph.push(Node::State {
                name: name.to_string(),
                state_type,
            });
            graph.by_name.insert(name.to_string(), index);
        }

        let mut seen = HashSet::new();
        let mut add = |graph: &mut Self, edge: Edge| {
            if seen.insert(edge) {
                graph.edges.push(edge);
            }
        };
        if let (Some(start), Some(first)) = (graph.start, start_at.and_then(|n| graph.index(n))) {
            add(
                &mut graph,
                Edge {
                    from: start,
                    to: first,
                    kind: EdgeKind::Transition,
                },
            );
        }
        for index in 0..graph.nodes.len() {
            let Node::State { name, .. } = &graph.nodes[index] else {
                continue;
            };
            let state = &states[name.as_str()];
            // Transitions to states the definition lacks have nothing to point at.
            let targets: Vec<(usize, EdgeKind)> = successors(state)
                .into_iter()
                .filter_map(|(target, kind)| Some((graph.index(target)?, kind)))
                .collect();
            for (to, kind) in targets {
                add(
                    &mut graph,
                    Edge {
                        from: index,
                        to,
                        kind,
                    },
                );
            }
            if is_terminal(state) {
                let end = match graph.end {
                    Some(end) => end,
                    None => {
                        let end = graph.push(Node::End);
                        graph.end = Some(end);
                        end
                    }
                };
                add(
                    &mut graph,
                    Edge {
                        from: index,
                        to: end,
                        kind: EdgeKind::Transition,
                    },
                );
            }
        }
        graph
    }

    pub fn index(&self, state_name: &str) -> Option<usize> {
        self.by_name.get(state_name).copied()
    }

    fn push(&mut self, node: Node) -> usize {
        self.nodes.push(node);
        self.nodes.len() - 1
    }
}

/// The states reachable from StartAt depth-first (main transitions before
/// Choice rules and Catches, so the main path comes first), then the rest in
/// the definition's order.
fn discovery_order<'a>(states: &'a Map<String, Value>, start_at: Option<&'a str>) -> Vec<&'a str> {
    let mut order = Vec::with_capacity(states.len());
    let mut seen = HashSet::new();
    let mut stack: Vec<&str> = start_at.into_iter().collect();
    while let Some(name) = stack.pop() {
        let Some((name, state)) = states.get_key_value(name) else {
            continue;
        };
        if !seen.insert(name.as_str()) {
            continue;
        }
        order.push(name.as_str());
        // Reversed so the first successor is visited first.
        for (target, _) in successors(state).into_iter().rev() {
            if !seen.contains(target) {
                stack.push(target);
            }
        }
    }
    for name in states.keys() {
        if seen.insert(name.as_str()) {
            order.push(name.as_str());
        }
    }
    order
}

/// The states a state can go to, in drawing order: `Next`, `Default`, the
/// Choice rules, the Catches.
fn successors(state: &Value) -> Vec<(&str, EdgeKind)> {
    fn name_at<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
        value.get(key).and_then(Value::as_str)
    }
    let list = |key: &str| {
        state
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
    };
    let mut targets = Vec::new();
    targets.extend(name_at(state, "Next").map(|n| (n, EdgeKind::Transition)));
    targets.extend(name_at(state, "Default").map(|n| (n, EdgeKind::Transition)));
    targets.extend(
        list("Choices")
            .filter_map(|rule| name_at(rule, "Next"))
            .map(|n| (n, EdgeKind::Transition)),
    );
    targets.extend(
        list("Catch")
            .filter_map(|catcher| name_at(catcher, "Next"))
            .map(|n| (n, EdgeKind::Catch)),
    );
    targets
}

fn is_terminal(state: &Value) -> bool {
    state.get("End").and_then(Value::as_bool) == Some(true)
        || matches!(
            state.get("Type").and_then(Value::as_str),
            Some("Succeed" | "Fail")
        )
}
