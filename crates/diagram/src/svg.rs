//! The laid-out graph as an SVG element, styled by outcome.

use super::graph::{EdgeKind, Graph, Node};
use super::labels::{NodeLabel, StateLabel};
use super::placement::{Layout, Point, Rect, Route};
use super::xml;
use super::StateOutcome;
use std::fmt::Write;

/// Scoped under the root's class: an SVG inlined in a page shares its styles.
const STYLE: &str = "<style>\
.asl-diagram{font-family:system-ui,-apple-system,'Segoe UI',sans-serif}\
.asl-diagram text{text-anchor:middle}\
.asl-diagram .state rect{stroke-width:1.5}\
.asl-diagram .state .name{font-size:13px;font-weight:600;fill:#202124}\
.asl-diagram .state .type{font-size:11px;fill:#5f6368}\
.asl-diagram .state .stats{font-size:11px;fill:#3c4043}\
.asl-diagram .state.succeeded rect{fill:#e6f4ea;stroke:#188038}\
.asl-diagram .state.failed rect{fill:#fce8e6;stroke:#c5221f}\
.asl-diagram .state.caught rect{fill:#feefe3;stroke:#e8710a}\
.asl-diagram .state.running rect{fill:#e8f0fe;stroke:#1a73e8;stroke-width:2.5}\
.asl-diagram .state.not-entered rect{fill:#f8f9fa;stroke:#bdc1c6}\
.asl-diagram .state.not-entered .name{fill:#80868b}\
.asl-diagram .terminal rect{fill:#fff;stroke:#9aa0a6;stroke-width:1.5}\
.asl-diagram .terminal.reached rect{stroke:#202124;stroke-width:2}\
.asl-diagram .terminal text{font-size:12px;fill:#3c4043}\
.asl-diagram .edge{fill:none;stroke:#bdc1c6;stroke-width:1.5}\
.asl-diagram .edge.taken{stroke:#202124;stroke-width:2.5}\
</style>";

const ARROW: &str = "asl-arrow";
const TAKEN_ARROW: &str = "asl-arrow-taken";

/// In user units, so a thicker taken edge does not get a larger head.
fn marker(id: &str, colour: &str) -> String {
    format!(
        "<marker id=\"{id}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" \
         markerHeight=\"8\" markerUnits=\"userSpaceOnUse\" orient=\"auto\">\
         <path d=\"M0,0L10,5L0,10z\" fill=\"{colour}\"/></marker>"
    )
}

pub fn render(graph: &Graph, labels: &[NodeLabel], layout: &Layout, taken: &[bool]) -> String {
    let mut out = String::with_capacity(4096 + 400 * (graph.nodes.len() + graph.edges.len()));
    let (width, height) = (num(layout.width), num(layout.height));
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"asl-diagram\" \
         viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" \
         role=\"img\" aria-label=\"State machine diagram\">"
    );
    out.push_str(STYLE);
    let _ = write!(
        out,
        "<defs>{}{}</defs>",
        marker(ARROW, "#bdc1c6"),
        marker(TAKEN_ARROW, "#202124")
    );

    out.push_str("<g class=\"edges\">");
    // The taken edges last, so they are drawn over the others.
    for draw_taken in [false, true] {
        for (index, edge) in graph.edges.iter().enumerate() {
            if taken[index] != draw_taken {
                continue;
            }
            let _ = write!(
                out,
                "<path class=\"{}\" d=\"{}\"",
                if draw_taken { "edge taken" } else { "edge" },
                path_data(&layout.routes[index])
            );
            for (attribute, node) in [("data-from", edge.from), ("data-to", edge.to)] {
                if let Node::State { name, .. } = &graph.nodes[node] {
                    let _ = write!(out, " {attribute}=\"{}\"", xml::attribute(name));
                }
            }
            if edge.kind == EdgeKind::Catch {
                out.push_str(" stroke-dasharray=\"6 4\"");
            }
            let arrow = if draw_taken { TAKEN_ARROW } else { ARROW };
            let _ = write!(out, " marker-end=\"url(#{arrow})\"/>");
        }
    }
    out.push_str("</g><g class=\"nodes\">");
    for (node, label) in labels.iter().enumerate() {
        let rect = layout.boxes[node];
        match label {
            NodeLabel::Terminal { text } => {
                let reached = graph
                    .edges
                    .iter()
                    .zip(taken)
                    .any(|(edge, &taken)| taken && (edge.from == node || edge.to == node));
                terminal(&mut out, text, rect, reached);
            }
            NodeLabel::State(label) => state(&mut out, label, rect),
        }
    }
    out.push_str("</g></svg>");
    out
}

fn terminal(out: &mut String, text: &str, rect: Rect, reached: bool) {
    let _ = write!(
        out,
        "<g class=\"terminal {}{}\">{}<text x=\"{}\" y=\"{}\">{text}</text></g>",
        text.to_ascii_lowercase(),
        if reached { " reached" } else { "" },
        rect_element(rect, rect.height / 2.0),
        num(rect.center_x()),
        num(rect.y + rect.height / 2.0 + 4.0),
    );
}

fn state(out: &mut String, label: &StateLabel, rect: Rect) {
    let _ = write!(
        out,
        "<g class=\"state {}\" data-state=\"{}\"><title>{}</title>{}",
        outcome_class(label.outcome),
        xml::attribute(&label.name),
        xml::text(&label.title),
        rect_element(rect, 8.0)
    );
    let x = num(rect.center_x());
    // Baselines: three lines for an entered state, two centred otherwise.
    let (name_y, type_y) = if label.stats.is_some() {
        (22.0, 37.0)
    } else {
        (25.0, 41.0)
    };
    let _ = write!(
        out,
        "<text class=\"name\" x=\"{x}\" y=\"{}\">{}</text>\
         <text class=\"type\" x=\"{x}\" y=\"{}\">{}</text>",
        num(rect.y + name_y),
        xml::text(&label.shown_name),
        num(rect.y + type_y),
        xml::text(&label.state_type)
    );
    if let Some(stats) = &label.stats {
        let _ = write!(
            out,
            "<text class=\"stats\" x=\"{x}\" y=\"{}\">{}</text>",
            num(rect.y + 50.0),
            xml::text(stats)
        );
    }
    out.push_str("</g>");
}

pub fn outcome_class(outcome: Option<StateOutcome>) -> &'static str {
    match outcome {
        Some(StateOutcome::Succeeded) => "succeeded",
        Some(StateOutcome::Failed) => "failed",
        Some(StateOutcome::Caught) => "caught",
        Some(StateOutcome::Running) => "running",
        None => "not-entered",
    }
}

fn rect_element(rect: Rect, radius: f64) -> String {
    format!(
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"{}\"/>",
        num(rect.x),
        num(rect.y),
        num(rect.width),
        num(rect.height),
        num(radius)
    )
}

/// Straight where a run is vertical, an S-curve with vertical ends where it
/// moves sideways; the points inside a straight run are left out.
fn path_data(route: &Route) -> String {
    match route {
        Route::Loop {
            start,
            control,
            end,
        } => format!(
            "M{} C{} {} {}",
            point(*start),
            point(control[0]),
            point(control[1]),
            point(*end)
        ),
        Route::Through(points) => {
            let same_x = |a: &Point, b: &Point| (a.x - b.x).abs() < 0.5;
            let mut kept: Vec<Point> = Vec::with_capacity(points.len());
            for &p in points {
                if let [.., a, b] = kept.as_slice() {
                    if same_x(a, b) && same_x(b, &p) {
                        kept.pop();
                    }
                }
                kept.push(p);
            }
            let mut data = format!("M{}", point(kept[0]));
            for pair in kept.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                if same_x(&a, &b) {
                    let _ = write!(data, " L{}", point(b));
                } else {
                    let middle = (a.y + b.y) / 2.0;
                    let _ = write!(
                        data,
                        " C{} {} {}",
                        point(Point { x: a.x, y: middle }),
                        point(Point { x: b.x, y: middle }),
                        point(b)
                    );
                }
            }
            data
        }
    }
}

fn point(p: Point) -> String {
    format!("{},{}", num(p.x), num(p.y))
}

/// A coordinate to a tenth of a unit, without a trailing ".0".
fn num(value: f64) -> String {
    let text = format!("{value:.1}");
    match text.strip_suffix(".0") {
        Some(whole) if whole != "-0" => whole.to_string(),
        Some(_) => "0".to_string(),
        None => text,
    }
}
