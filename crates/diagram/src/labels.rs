//! What each box says, and how large that makes it.

use super::graph::{Graph, Node};
use super::placement::Size;
use super::{ExecutionPath, StateMark, StateOutcome};
use std::collections::HashMap;

pub enum NodeLabel {
    Terminal { text: &'static str },
    State(StateLabel),
}

pub struct StateLabel {
    pub name: String,
    /// The name as shown: very long names are shortened (the title has it whole).
    pub shown_name: String,
    pub state_type: String,
    /// Visits, attempts and time, for a state the execution entered.
    pub stats: Option<String>,
    /// The tooltip: the name, and the error and cause when there are some.
    pub title: String,
    pub outcome: Option<StateOutcome>,
}

/// State names may be up to 80 characters; boxes stay readable at half that.
const MAX_SHOWN_NAME_CHARS: usize = 40;
/// Causes can be whole stack traces; the tooltip shows their beginning.
const MAX_CAUSE_CHARS: usize = 600;
/// Average advance of a character at the name's and the small lines' font
/// sizes: enough to size a box without measuring text.
const NAME_CHAR_WIDTH: f64 = 8.0;
const SMALL_CHAR_WIDTH: f64 = 6.4;
const PADDING: f64 = 28.0;
const MIN_STATE_WIDTH: f64 = 112.0;
pub const STATE_HEIGHT: f64 = 56.0;
pub const TERMINAL_SIZE: Size = Size {
    width: 64.0,
    height: 28.0,
};

pub fn node_labels(graph: &Graph, path: &ExecutionPath) -> Vec<NodeLabel> {
    let mut visits: HashMap<&str, usize> = HashMap::new();
    for name in &path.entered {
        *visits.entry(name.as_str()).or_default() += 1;
    }
    graph
        .nodes
        .iter()
        .map(|node| match node {
            Node::Start => NodeLabel::Terminal { text: "Start" },
            Node::End => NodeLabel::Terminal { text: "End" },
            Node::State { name, state_type } => {
                let mark = path.marks.get(name);
                let visits = visits.get(name.as_str()).copied().unwrap_or(0);
                NodeLabel::State(StateLabel {
                    name: name.clone(),
                    shown_name: shorten(name, MAX_SHOWN_NAME_CHARS),
                    state_type: state_type.clone(),
                    stats: mark.map(|mark| stats_line(mark, visits)),
                    title: title(name, mark),
                    outcome: mark.map(|mark| mark.outcome),
                })
            }
        })
        .collect()
}

impl NodeLabel {
    pub fn size(&self) -> Size {
        match self {
            Self::Terminal { .. } => TERMINAL_SIZE,
            Self::State(label) => {
                let chars = |text: &str| text.chars().count() as f64;
                let small = chars(&label.state_type).max(label.stats.as_deref().map_or(0.0, chars))
                    * SMALL_CHAR_WIDTH;
                let name = chars(&label.shown_name) * NAME_CHAR_WIDTH;
                Size {
                    width: (name.max(small) + PADDING).max(MIN_STATE_WIDTH).round(),
                    height: STATE_HEIGHT,
                }
            }
        }
    }
}

/// "2 visits · 3 attempts · 1.2 s"; each part only when it says something.
fn stats_line(mark: &StateMark, visits: usize) -> String {
    let mut parts = Vec::new();
    if visits > 1 {
        parts.push(format!("{visits} visits"));
    }
    match mark.attempts {
        0 => {}
        1 => parts.push("1 attempt".to_string()),
        n => parts.push(format!("{n} attempts")),
    }
    match mark.duration {
        Some(duration) => parts.push(format_duration(duration)),
        None if mark.outcome == StateOutcome::Running => parts.push("running".to_string()),
        None => {}
    }
    parts.join(" · ")
}

fn title(name: &str, mark: Option<&StateMark>) -> String {
    let mut title = name.to_string();
    if let Some(mark) = mark {
        for text in [&mark.error, &mark.cause].into_iter().flatten() {
            title.push('\n');
            title.push_str(&shorten(text, MAX_CAUSE_CHARS));
        }
    }
    title
}

/// A duration as people read it at a glance: "35 ms", "1.2 s", "42 s", "3 min 5 s",
/// "2 h 10 min". The one rule for the diagram's labels and the console's pages alike.
pub fn format_duration(duration: chrono::Duration) -> String {
    let ms = duration.num_milliseconds().max(0);
    match ms {
        0..1_000 => format!("{ms} ms"),
        1_000..10_000 => format!("{:.1} s", ms as f64 / 1000.0),
        10_000..60_000 => format!("{} s", ms / 1000),
        60_000..3_600_000 => format!("{} min {} s", ms / 60_000, ms / 1000 % 60),
        _ => format!("{} h {} min", ms / 3_600_000, ms / 60_000 % 60),
    }
}

fn shorten(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn durations_read_at_a_glance() {
        assert_eq!(format_duration(Duration::milliseconds(35)), "35 ms");
        assert_eq!(format_duration(Duration::milliseconds(1_234)), "1.2 s");
        assert_eq!(format_duration(Duration::milliseconds(42_900)), "42 s");
        assert_eq!(format_duration(Duration::seconds(185)), "3 min 5 s");
        assert_eq!(format_duration(Duration::minutes(130)), "2 h 10 min");
        assert_eq!(format_duration(Duration::milliseconds(-5)), "0 ms");
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        assert_eq!(shorten("ééééé", 3), "ééé…");
        assert_eq!(shorten("short", 40), "short");
    }
}
