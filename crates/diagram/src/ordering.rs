//! The left-to-right order within each row. Edges that span several rows get
//! a waypoint in every row they cross, so they are ordered (and later routed)
//! around the boxes instead of through them; a few barycenter sweeps then
//! reduce the crossings.

use super::graph::Graph;
use super::layering::Ranking;

/// A node of the drawing or a waypoint of a long edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    Node(usize),
    Waypoint,
}

pub struct Ordering {
    /// Items `0..nodes.len()` are the graph's nodes, in its order; waypoints follow.
    pub items: Vec<Item>,
    pub item_layer: Vec<usize>,
    /// Each row's items, left to right.
    pub rows: Vec<Vec<usize>>,
    /// Per edge: its items from the upper end to the lower end, waypoints
    /// between; empty for an edge from a state to itself.
    pub chains: Vec<Vec<usize>>,
    /// Per item: the items it is linked to in the row above and in the row below.
    pub above: Vec<Vec<usize>>,
    pub below: Vec<Vec<usize>>,
}

/// Past this many waypoints, further long edges are drawn without them: a
/// large definition still lays out in a bounded time, only less tidily.
const MAX_WAYPOINTS: usize = 5_000;
const SWEEPS: usize = 8;

pub fn order(graph: &Graph, ranking: &Ranking) -> Ordering {
    let mut items: Vec<Item> = (0..graph.nodes.len()).map(Item::Node).collect();
    let mut item_layer = ranking.layer.clone();
    let mut chains = Vec::with_capacity(graph.edges.len());
    for edge in &graph.edges {
        if edge.from == edge.to {
            chains.push(Vec::new());
            continue;
        }
        let (upper, lower) = if item_layer[edge.from] < item_layer[edge.to] {
            (edge.from, edge.to)
        } else {
            (edge.to, edge.from)
        };
        let (top, bottom) = (item_layer[upper], item_layer[lower]);
        let mut chain = vec![upper];
        if items.len() - graph.nodes.len() + (bottom - top) <= MAX_WAYPOINTS {
            for row in top + 1..bottom {
                chain.push(items.len());
                items.push(Item::Waypoint);
                item_layer.push(row);
            }
        }
        chain.push(lower);
        chains.push(chain);
    }

    let mut above = vec![Vec::new(); items.len()];
    let mut below = vec![Vec::new(); items.len()];
    for chain in &chains {
        for pair in chain.windows(2) {
            if item_layer[pair[0]] + 1 == item_layer[pair[1]] {
                below[pair[0]].push(pair[1]);
                above[pair[1]].push(pair[0]);
            }
        }
    }

    let mut rows = vec![Vec::new(); ranking.layer_count];
    for (item, &row) in item_layer.iter().enumerate() {
        rows[row].push(item);
    }
    let mut ordering = Ordering {
        items,
        item_layer,
        rows,
        chains,
        above,
        below,
    };
    reduce_crossings(&mut ordering);
    ordering
}

/// Alternating sweeps down and up, each sorting a row by the mean position of
/// its neighbours in the row before; the order with the fewest crossings wins.
fn reduce_crossings(ordering: &mut Ordering) {
    let mut position = vec![0usize; ordering.items.len()];
    let index_positions = |rows: &[Vec<usize>], position: &mut [usize]| {
        for row in rows {
            for (index, &item) in row.iter().enumerate() {
                position[item] = index;
            }
        }
    };
    index_positions(&ordering.rows, &mut position);
    let mut best = ordering.rows.clone();
    let mut fewest = crossings(ordering, &position);
    let row_count = ordering.rows.len();
    for sweep in 0..SWEEPS {
        if fewest == 0 {
            break;
        }
        let downwards = sweep % 2 == 0;
        let sequence: Vec<usize> = if downwards {
            (1..row_count).collect()
        } else {
            (0..row_count.saturating_sub(1)).rev().collect()
        };
        for row in sequence {
            let neighbours = if downwards {
                &ordering.above
            } else {
                &ordering.below
            };
            let mut keyed: Vec<(f64, usize)> = ordering.rows[row]
                .iter()
                .map(|&item| {
                    let linked = &neighbours[item];
                    let key = if linked.is_empty() {
                        position[item] as f64
                    } else {
                        linked.iter().map(|&n| position[n] as f64).sum::<f64>()
                            / linked.len() as f64
                    };
                    (key, item)
                })
                .collect();
            // Stable, so ties keep their order and the result is deterministic.
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
            ordering.rows[row] = keyed.into_iter().map(|(_, item)| item).collect();
            for (index, &item) in ordering.rows[row].iter().enumerate() {
                position[item] = index;
            }
        }
        let count = crossings(ordering, &position);
        if count < fewest {
            fewest = count;
            best.clone_from(&ordering.rows);
        }
    }
    ordering.rows = best;
}

/// The number of pairs of links between adjacent rows that cross.
pub fn crossings(ordering: &Ordering, position: &[usize]) -> usize {
    let mut total = 0;
    for row in &ordering.rows {
        let mut links: Vec<(usize, usize)> = row
            .iter()
            .flat_map(|&upper| {
                ordering.below[upper]
                    .iter()
                    .map(move |&lower| (position[upper], position[lower]))
            })
            .collect();
        links.sort_unstable();
        // Inversions among the lower ends, counted with a Fenwick tree.
        let width = links.iter().map(|&(_, lower)| lower + 1).max().unwrap_or(0);
        let mut tree = vec![0usize; width + 1];
        for (seen, &(_, lower)) in links.iter().enumerate() {
            let mut at_most = 0;
            let mut i = lower + 1;
            while i > 0 {
                at_most += tree[i];
                i &= i - 1;
            }
            total += seen - at_most;
            let mut i = lower + 1;
            while i <= width {
                tree[i] += 1;
                i += i & i.wrapping_neg();
            }
        }
    }
    total
}
