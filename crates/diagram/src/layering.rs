//! Which row each node goes in: the longest path from Start, once the edges
//! that close cycles are set aside.

use super::graph::{Graph, Node};

pub struct Ranking {
    /// The row of each node; Start is in row 0 and End in the last.
    pub layer: Vec<usize>,
    pub layer_count: usize,
}

pub fn rank(graph: &Graph) -> Ranking {
    let closes_cycle = cycle_edges(graph);
    let n = graph.nodes.len();
    let mut in_degree = vec![0usize; n];
    let mut outgoing = vec![Vec::new(); n];
    for (edge, _) in graph
        .edges
        .iter()
        .zip(&closes_cycle)
        .filter(|(_, closes)| !**closes)
    {
        in_degree[edge.to] += 1;
        outgoing[edge.from].push(edge.to);
    }
    // States nothing leads to (unreachable ones) sit beside the first state, under Start.
    let source_layer = usize::from(graph.start.is_some());
    let mut layer: Vec<usize> = (0..n)
        .map(|node| {
            if Some(node) == graph.start {
                0
            } else {
                source_layer
            }
        })
        .collect();
    let mut ready: Vec<usize> = (0..n).filter(|&node| in_degree[node] == 0).collect();
    while let Some(node) = ready.pop() {
        for &next in &outgoing[node] {
            layer[next] = layer[next].max(layer[node] + 1);
            in_degree[next] -= 1;
            if in_degree[next] == 0 {
                ready.push(next);
            }
        }
    }
    let deepest_state = graph
        .nodes
        .iter()
        .zip(&layer)
        .filter(|(node, _)| **node != Node::End)
        .map(|(_, &l)| l)
        .max()
        .unwrap_or(0);
    if let Some(end) = graph.end {
        layer[end] = deepest_state + 1;
    }
    let layer_count = layer.iter().max().map_or(0, |deepest| deepest + 1);
    Ranking { layer, layer_count }
}

/// The back edges of a depth-first walk from Start (then from every node not
/// reached yet): without them the graph has no cycle.
fn cycle_edges(graph: &Graph) -> Vec<bool> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Unvisited,
        OnPath,
        Done,
    }
    let n = graph.nodes.len();
    let mut outgoing = vec![Vec::new(); n];
    for (index, edge) in graph.edges.iter().enumerate() {
        outgoing[edge.from].push(index);
    }
    let mut closes = vec![false; graph.edges.len()];
    let mut mark = vec![Mark::Unvisited; n];
    let roots = graph.start.into_iter().chain(0..n);
    for root in roots {
        if mark[root] != Mark::Unvisited {
            continue;
        }
        // An explicit stack of (node, next outgoing edge to look at), so a
        // long chain of states cannot overflow the call stack.
        let mut stack = vec![(root, 0usize)];
        mark[root] = Mark::OnPath;
        while let Some((node, position)) = stack.last_mut() {
            let Some(&edge) = outgoing[*node].get(*position) else {
                mark[*node] = Mark::Done;
                stack.pop();
                continue;
            };
            *position += 1;
            let to = graph.edges[edge].to;
            match mark[to] {
                Mark::OnPath => closes[edge] = true,
                Mark::Unvisited => {
                    mark[to] = Mark::OnPath;
                    stack.push((to, 0));
                }
                Mark::Done => {}
            }
        }
    }
    closes
}
