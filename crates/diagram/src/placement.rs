//! Coordinates: each row's items spread out at their order, pulled towards
//! the items they link to, and each edge as the points its curve goes through.

use super::graph::Graph;
use super::layering::Ranking;
use super::ordering::{Item, Ordering};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Size {
    pub width: f64,
    pub height: f64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// A node's box, from its top-left corner.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl Rect {
    pub fn center_x(&self) -> f64 {
        self.x + self.width / 2.0
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Route {
    /// From the source's side through each point to the target's side.
    Through(Vec<Point>),
    /// A state to itself: a cubic from `start` to `end` off the box's right side.
    Loop {
        start: Point,
        control: [Point; 2],
        end: Point,
    },
}

pub struct Layout {
    /// Per graph node.
    pub boxes: Vec<Rect>,
    /// Per graph edge.
    pub routes: Vec<Route>,
    pub width: f64,
    pub height: f64,
}

const MARGIN: f64 = 24.0;
const ROW_GAP: f64 = 44.0;
const NODE_GAP: f64 = 28.0;
const WAYPOINT_WIDTH: f64 = 10.0;
const WAYPOINT_GAP: f64 = 10.0;
/// Room beside a box for the loop of a state that transitions to itself.
const LOOP_ROOM: f64 = 36.0;
/// Between the ends of edges that meet a box on the same side.
const PORT_SPACING: f64 = 12.0;
const ALIGNMENT_PASSES: usize = 4;

pub fn place(graph: &Graph, ranking: &Ranking, ordering: &Ordering, sizes: &[Size]) -> Layout {
    let row_height = sizes.iter().map(|size| size.height).fold(0.0, f64::max);
    let mut has_loop = vec![false; graph.nodes.len()];
    for edge in graph.edges.iter().filter(|e| e.from == e.to) {
        has_loop[edge.from] = true;
    }
    let footprint: Vec<f64> = ordering
        .items
        .iter()
        .map(|item| match *item {
            Item::Node(node) if has_loop[node] => sizes[node].width + 2.0 * LOOP_ROOM,
            Item::Node(node) => sizes[node].width,
            Item::Waypoint => WAYPOINT_WIDTH,
        })
        .collect();
    let mut x = initial_positions(ordering, &footprint);
    align(ordering, &footprint, &mut x);

    let left = (0..ordering.items.len())
        .map(|item| x[item] - footprint[item] / 2.0)
        .fold(f64::INFINITY, f64::min);
    let shift = if left.is_finite() { MARGIN - left } else { 0.0 };
    for value in &mut x {
        *value += shift;
    }
    let right = (0..ordering.items.len())
        .map(|item| x[item] + footprint[item] / 2.0)
        .fold(0.0, f64::max);

    let row_top = |row: usize| MARGIN + row as f64 * (row_height + ROW_GAP);
    let boxes: Vec<Rect> = sizes
        .iter()
        .enumerate()
        .map(|(node, size)| Rect {
            x: x[node] - size.width / 2.0,
            y: row_top(ranking.layer[node]) + (row_height - size.height) / 2.0,
            width: size.width,
            height: size.height,
        })
        .collect();
    let routes = routes(graph, ordering, &boxes, &x, |row| {
        (row_top(row), row_top(row) + row_height)
    });
    let rows = ranking.layer_count as f64;
    Layout {
        boxes,
        routes,
        width: (right + MARGIN).max(2.0 * MARGIN),
        height: 2.0 * MARGIN + rows * row_height + (rows - 1.0).max(0.0) * ROW_GAP,
    }
}

fn separation(ordering: &Ordering, footprint: &[f64], a: usize, b: usize) -> f64 {
    let both_nodes = matches!(
        (ordering.items[a], ordering.items[b]),
        (Item::Node(_), Item::Node(_))
    );
    let gap = if both_nodes { NODE_GAP } else { WAYPOINT_GAP };
    (footprint[a] + footprint[b]) / 2.0 + gap
}

/// Each row packed left to right and centred on x = 0.
fn initial_positions(ordering: &Ordering, footprint: &[f64]) -> Vec<f64> {
    let mut x = vec![0.0; ordering.items.len()];
    for row in &ordering.rows {
        let mut at = 0.0;
        for (index, &item) in row.iter().enumerate() {
            if index > 0 {
                at += separation(ordering, footprint, row[index - 1], item);
            }
            x[item] = at;
        }
        for &item in row {
            x[item] -= at / 2.0;
        }
    }
    x
}

/// Passes down and up the rows, each moving a row's items towards the mean
/// of their neighbours in the row before, keeping order and spacing.
fn align(ordering: &Ordering, footprint: &[f64], x: &mut [f64]) {
    let rows = ordering.rows.len();
    for _ in 0..ALIGNMENT_PASSES {
        for row in 1..rows {
            align_row(ordering, footprint, x, row, &ordering.above);
        }
        for row in (0..rows.saturating_sub(1)).rev() {
            align_row(ordering, footprint, x, row, &ordering.below);
        }
    }
    for row in 1..rows {
        align_row(ordering, footprint, x, row, &ordering.above);
    }
}

fn align_row(
    ordering: &Ordering,
    footprint: &[f64],
    x: &mut [f64],
    row: usize,
    neighbours: &[Vec<usize>],
) {
    let items = &ordering.rows[row];
    if items.is_empty() {
        return;
    }
    let desired: Vec<f64> = items
        .iter()
        .map(|&item| {
            let linked = &neighbours[item];
            if linked.is_empty() {
                x[item]
            } else {
                linked.iter().map(|&n| x[n]).sum::<f64>() / linked.len() as f64
            }
        })
        .collect();
    // The closest positions that keep spacing pushing rightwards, and those
    // pushing leftwards; their mean keeps spacing too, and favours neither side.
    let count = items.len();
    let gap = |i: usize| separation(ordering, footprint, items[i], items[i + 1]);
    let mut rightwards = desired.clone();
    for i in 1..count {
        rightwards[i] = rightwards[i].max(rightwards[i - 1] + gap(i - 1));
    }
    let mut leftwards = desired;
    for i in (0..count - 1).rev() {
        leftwards[i] = leftwards[i].min(leftwards[i + 1] - gap(i));
    }
    for (i, &item) in items.iter().enumerate() {
        x[item] = (rightwards[i] + leftwards[i]) / 2.0;
    }
}

/// Which end of an edge meets a box, and where.
struct Attachment {
    node: usize,
    bottom: bool,
    /// Where the edge goes next, so the ends on one side do not cross.
    towards: f64,
    edge: usize,
    is_tail: bool,
}

fn routes(
    graph: &Graph,
    ordering: &Ordering,
    boxes: &[Rect],
    x: &[f64],
    row_span: impl Fn(usize) -> (f64, f64),
) -> Vec<Route> {
    let mut routes = Vec::with_capacity(graph.edges.len());
    let mut attachments = Vec::new();
    for (index, edge) in graph.edges.iter().enumerate() {
        let (from, to) = (boxes[edge.from], boxes[edge.to]);
        if edge.from == edge.to {
            let right = from.x + from.width;
            let middle = from.y + from.height / 2.0;
            let reach = right + LOOP_ROOM - 4.0;
            routes.push(Route::Loop {
                start: Point {
                    x: right,
                    y: middle - 10.0,
                },
                control: [
                    Point {
                        x: reach,
                        y: middle - 24.0,
                    },
                    Point {
                        x: reach,
                        y: middle + 24.0,
                    },
                ],
                end: Point {
                    x: right,
                    y: middle + 10.0,
                },
            });
            continue;
        }
        let chain = &ordering.chains[index];
        let downwards = chain[0] == edge.from;
        let waypoints: Vec<usize> = if downwards {
            chain[1..chain.len() - 1].to_vec()
        } else {
            chain[1..chain.len() - 1].iter().rev().copied().collect()
        };
        let side_y = |rect: Rect, bottom: bool| {
            if bottom {
                rect.y + rect.height
            } else {
                rect.y
            }
        };
        let mut points = vec![Point {
            x: from.center_x(),
            y: side_y(from, downwards),
        }];
        for &waypoint in &waypoints {
            let (top, bottom) = row_span(ordering.item_layer[waypoint]);
            let (first, second) = if downwards {
                (top, bottom)
            } else {
                (bottom, top)
            };
            points.push(Point {
                x: x[waypoint],
                y: first,
            });
            points.push(Point {
                x: x[waypoint],
                y: second,
            });
        }
        points.push(Point {
            x: to.center_x(),
            y: side_y(to, !downwards),
        });
        let last = points.len() - 1;
        attachments.push(Attachment {
            node: edge.from,
            bottom: downwards,
            towards: points[1].x,
            edge: index,
            is_tail: true,
        });
        attachments.push(Attachment {
            node: edge.to,
            bottom: !downwards,
            towards: points[last - 1].x,
            edge: index,
            is_tail: false,
        });
        routes.push(Route::Through(points));
    }
    spread_ports(&mut attachments, boxes, &mut routes);
    routes
}

/// Edges meeting a box on the same side are spread along it, ordered by
/// where they go, instead of all meeting at its middle.
fn spread_ports(attachments: &mut [Attachment], boxes: &[Rect], routes: &mut [Route]) {
    attachments.sort_by(|a, b| {
        (a.node, a.bottom)
            .cmp(&(b.node, b.bottom))
            .then(a.towards.total_cmp(&b.towards))
            .then(a.edge.cmp(&b.edge))
    });
    for side in attachments.chunk_by(|a, b| (a.node, a.bottom) == (b.node, b.bottom)) {
        let rect = boxes[side[0].node];
        let count = side.len() as f64;
        let spacing = PORT_SPACING.min(rect.width * 0.8 / count);
        for (rank, attachment) in side.iter().enumerate() {
            let offset = (rank as f64 - (count - 1.0) / 2.0) * spacing;
            let Route::Through(points) = &mut routes[attachment.edge] else {
                continue;
            };
            let end = if attachment.is_tail {
                0
            } else {
                points.len() - 1
            };
            points[end].x = rect.center_x() + offset;
        }
    }
}
