//! The diagram of the real upload definition for executions that succeeded,
//! failed and are still running; cycles, hostile text and large definitions.

use super::wellformed::{parse_xml, Element};
use super::*;
use chrono::TimeZone;
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Instant;

const UPLOAD: &str = include_str!("../../../statemachines/upload.asl.json");

fn upload() -> Value {
    serde_json::from_str(UPLOAD).expect("the upload definition is JSON")
}

/// A history written as an execution would, on a clock advanced by hand.
struct History {
    now: DateTime<Utc>,
    events: Vec<(String, DateTime<Utc>, Value)>,
}

impl History {
    fn new() -> Self {
        let mut history = Self {
            now: Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap(),
            events: Vec::new(),
        };
        history.event("ExecutionStarted", json!({"input": "{}"}));
        history
    }
    fn wait(&mut self, ms: i64) -> &mut Self {
        self.now += chrono::Duration::milliseconds(ms);
        self
    }
    fn event(&mut self, event_type: &str, details: Value) -> &mut Self {
        self.events
            .push((event_type.to_string(), self.now, details));
        self
    }
    fn enter(&mut self, state_type: &str, name: &str) -> &mut Self {
        self.event(&format!("{state_type}StateEntered"), json!({"name": name}))
    }
    fn exit(&mut self, state_type: &str, name: &str) -> &mut Self {
        self.event(&format!("{state_type}StateExited"), json!({"name": name}))
    }
    fn attempt_succeeds(&mut self, ms: i64) -> &mut Self {
        self.event("TaskScheduled", json!({"resource": "invoke"}))
            .event("TaskStarted", json!({}))
            .wait(ms)
            .event("TaskSucceeded", json!({"output": "{}"}))
    }
    fn attempt_fails(&mut self, ms: i64, error: &str, cause: &str) -> &mut Self {
        self.event("TaskScheduled", json!({"resource": "invoke"}))
            .event("TaskStarted", json!({}))
            .wait(ms)
            .event("TaskFailed", json!({"error": error, "cause": cause}))
    }
    /// A Task state whose one attempt succeeds.
    fn task(&mut self, name: &str, ms: i64) -> &mut Self {
        self.enter("Task", name)
            .attempt_succeeds(ms)
            .exit("Task", name)
            .wait(5)
    }
    fn choice(&mut self, name: &str) -> &mut Self {
        self.enter("Choice", name).wait(1).exit("Choice", name)
    }
    fn path(&self) -> ExecutionPath {
        execution_path(
            self.events
                .iter()
                .map(|(event_type, timestamp, details)| HistoryItem {
                    event_type,
                    timestamp: *timestamp,
                    details,
                }),
        )
    }
}

/// The parsed drawing, with what the tests look up in it.
struct Drawing {
    svg: String,
    elements: Vec<Element>,
}

#[derive(Debug, PartialEq)]
struct DrawnEdge {
    class: String,
    from: Option<String>,
    to: Option<String>,
    dashed: bool,
}

impl Drawing {
    fn of(definition: &Value, path: &ExecutionPath) -> Self {
        let svg = draw(definition, path);
        let elements = parse_xml(&svg).unwrap_or_else(|e| panic!("not well-formed: {e}\n{svg}"));
        let root = &elements[0];
        assert_eq!(root.name, "svg");
        for attribute in ["viewBox", "width", "height", "xmlns"] {
            assert!(root.attributes.contains_key(attribute), "no {attribute}");
        }
        assert!(elements
            .iter()
            .any(|e| e.name == "style" && e.text.contains(".failed")));
        Self { svg, elements }
    }

    fn state(&self, name: &str) -> usize {
        self.elements
            .iter()
            .position(|e| {
                e.name == "g" && e.attributes.get("data-state").map(String::as_str) == Some(name)
            })
            .unwrap_or_else(|| panic!("no state {name:?} drawn"))
    }

    fn class(&self, name: &str) -> &str {
        &self.elements[self.state(name)].attributes["class"]
    }

    fn children(&self, name: &str, element: &str) -> Vec<&Element> {
        let parent = self.state(name);
        self.elements
            .iter()
            .filter(|e| e.parent == Some(parent) && e.name == element)
            .collect()
    }

    fn texts(&self, name: &str) -> Vec<&str> {
        self.children(name, "text")
            .into_iter()
            .map(|e| e.text.as_str())
            .collect()
    }

    fn title(&self, name: &str) -> String {
        let titles = self.children(name, "title");
        assert_eq!(titles.len(), 1);
        titles[0].text.clone()
    }

    fn top(&self, name: &str) -> f64 {
        self.children(name, "rect")[0].attributes["y"]
            .parse()
            .unwrap()
    }

    fn edges(&self) -> Vec<DrawnEdge> {
        self.elements
            .iter()
            .filter(|e| {
                e.name == "path"
                    && e.attributes
                        .get("class")
                        .is_some_and(|c| c.starts_with("edge"))
            })
            .map(|e| DrawnEdge {
                class: e.attributes["class"].clone(),
                from: e.attributes.get("data-from").cloned(),
                to: e.attributes.get("data-to").cloned(),
                dashed: e.attributes.contains_key("stroke-dasharray"),
            })
            .collect()
    }

    fn taken(&self) -> Vec<(Option<String>, Option<String>, bool)> {
        let mut taken: Vec<_> = self
            .edges()
            .into_iter()
            .filter(|edge| edge.class == "edge taken")
            .map(|edge| (edge.from, edge.to, edge.dashed))
            .collect();
        taken.sort();
        taken
    }

    /// The boxes of states (and of Start and End) sharing a row do not overlap.
    fn assert_no_overlap(&self) {
        let mut rows: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
        for rect in self.elements.iter().filter(|e| e.name == "rect") {
            let value = |key: &str| rect.attributes[key].parse::<f64>().unwrap();
            rows.entry(rect.attributes["y"].clone())
                .or_default()
                .push((value("x"), value("x") + value("width")));
        }
        for boxes in rows.values_mut() {
            boxes.sort_by(|a, b| a.0.total_cmp(&b.0));
            for pair in boxes.windows(2) {
                assert!(pair[0].1 <= pair[1].0, "boxes overlap: {pair:?}");
            }
        }
    }
}

fn edge(
    from: Option<&str>,
    to: Option<&str>,
    dashed: bool,
) -> (Option<String>, Option<String>, bool) {
    (from.map(String::from), to.map(String::from), dashed)
}

const MAIN_PATH: [&str; 6] = [
    "Validate",
    "IsAcceptable",
    "Thumbnail",
    "Persist",
    "Notify",
    "MarkRejected",
];

#[test]
fn a_successful_upload_is_drawn_along_its_path() {
    let mut history = History::new();
    history
        .task("Validate", 35)
        .choice("IsAcceptable")
        .task("Thumbnail", 1_234)
        .task("Persist", 20)
        .task("Notify", 15)
        .event("ExecutionSucceeded", json!({"output": "{}"}));
    let path = history.path();
    assert_eq!(
        path.entered,
        ["Validate", "IsAcceptable", "Thumbnail", "Persist", "Notify"]
    );
    assert!(path.reached_end);
    for name in &path.entered {
        let mark = &path.marks[name];
        assert_eq!(mark.outcome, StateOutcome::Succeeded, "{name}");
        assert_eq!(mark.attempts, u32::from(name != "IsAcceptable"), "{name}");
        assert_eq!(mark.error, None);
    }
    assert_eq!(
        path.marks["Thumbnail"].duration,
        Some(chrono::Duration::milliseconds(1_234))
    );

    let drawing = Drawing::of(&upload(), &path);
    for name in &MAIN_PATH[..5] {
        assert_eq!(drawing.class(name), "state succeeded", "{name}");
    }
    for name in [
        "MarkRejected",
        "ConfirmAnnounced",
        "MarkFailed",
        "SendToDeadLetterQueue",
        "PhotoFailed",
    ] {
        assert_eq!(drawing.class(name), "state not-entered", "{name}");
    }
    assert_eq!(
        drawing.texts("Thumbnail"),
        ["Thumbnail", "Task", "1 attempt · 1.2 s"]
    );
    assert_eq!(drawing.texts("Validate")[2], "1 attempt · 35 ms");
    assert_eq!(
        drawing.texts("IsAcceptable"),
        ["IsAcceptable", "Choice", "1 ms"]
    );
    assert_eq!(drawing.texts("MarkFailed"), ["MarkFailed", "Task"]);
    assert_eq!(
        drawing.taken(),
        [
            edge(None, Some("Validate"), false),
            edge(Some("IsAcceptable"), Some("Thumbnail"), false),
            edge(Some("Notify"), None, false),
            edge(Some("Persist"), Some("Notify"), false),
            edge(Some("Thumbnail"), Some("Persist"), false),
            edge(Some("Validate"), Some("IsAcceptable"), false),
        ]
    );
    let edges = drawing.edges();
    assert!(edges.contains(&DrawnEdge {
        class: "edge".into(),
        from: Some("IsAcceptable".into()),
        to: Some("MarkRejected".into()),
        dashed: false,
    }));
    // Six Catches to MarkFailed (ConfirmAnnounced's among them), validate's and
    // thumbnail's to ConfirmAnnounced (an original already gone), and MarkFailed's own to
    // the dead-letter queue.
    let catches: Vec<_> = edges.iter().filter(|e| e.dashed).collect();
    assert_eq!(catches.len(), 9);
    assert!(catches.iter().all(|e| e.class == "edge"));
    drawing.assert_no_overlap();
    // Top to bottom: each state on the main path below the one before it.
    let tops: Vec<f64> = MAIN_PATH[..5].iter().map(|n| drawing.top(n)).collect();
    assert!(tops.windows(2).all(|pair| pair[0] < pair[1]), "{tops:?}");
    assert!(drawing.top("PhotoFailed") > drawing.top("MarkFailed"));
}

#[test]
fn a_validation_that_exhausts_its_retries_is_caught_and_fails_in_photo_failed() {
    const CAUSE: &str = "S3 GetObject timed out";
    // AWS may or may not record the caught state's exit.
    for exit_recorded in [true, false] {
        let mut history = History::new();
        history.enter("Task", "Validate");
        for _ in 0..4 {
            history
                .attempt_fails(2_000, "Wisaw.Transient", CAUSE)
                .wait(500);
        }
        if exit_recorded {
            history.exit("Task", "Validate");
        }
        history
            .task("MarkFailed", 40)
            .task("SendToDeadLetterQueue", 30)
            .enter("Fail", "PhotoFailed")
            .wait(1)
            .event(
                "ExecutionFailed",
                json!({"error": "PhotoFailed", "cause": "A step failed after its retries; the photo is in the dead-letter queue for replay."}),
            );
        let path = history.path();
        assert_eq!(
            path.entered,
            [
                "Validate",
                "MarkFailed",
                "SendToDeadLetterQueue",
                "PhotoFailed"
            ]
        );
        let validate = &path.marks["Validate"];
        assert_eq!(validate.outcome, StateOutcome::Caught);
        assert_eq!(validate.attempts, 4);
        assert_eq!(validate.error.as_deref(), Some("Wisaw.Transient"));
        assert_eq!(validate.cause.as_deref(), Some(CAUSE));
        assert_eq!(
            validate.duration,
            Some(chrono::Duration::milliseconds(10_000))
        );
        assert_eq!(path.marks["MarkFailed"].outcome, StateOutcome::Succeeded);
        let photo_failed = &path.marks["PhotoFailed"];
        assert_eq!(photo_failed.outcome, StateOutcome::Failed);
        assert_eq!(photo_failed.attempts, 0);
        assert_eq!(photo_failed.error.as_deref(), Some("PhotoFailed"));
        assert!(path.reached_end);

        let drawing = Drawing::of(&upload(), &path);
        assert_eq!(drawing.class("Validate"), "state caught");
        assert_eq!(drawing.class("PhotoFailed"), "state failed");
        assert_eq!(drawing.class("MarkFailed"), "state succeeded");
        assert_eq!(drawing.class("IsAcceptable"), "state not-entered");
        assert_eq!(drawing.texts("Validate")[2], "4 attempts · 10 s");
        assert_eq!(
            drawing.title("Validate"),
            format!("Validate\nWisaw.Transient\n{CAUSE}")
        );
        assert!(drawing.title("PhotoFailed").contains("dead-letter queue"));
        assert_eq!(
            drawing.taken(),
            [
                edge(None, Some("Validate"), false),
                edge(Some("MarkFailed"), Some("SendToDeadLetterQueue"), false),
                edge(Some("PhotoFailed"), None, false),
                edge(Some("SendToDeadLetterQueue"), Some("PhotoFailed"), false),
                edge(Some("Validate"), Some("MarkFailed"), true),
            ]
        );
    }
}

#[test]
fn a_task_failing_without_a_catch_fails_there_and_does_not_reach_the_end() {
    let mut history = History::new();
    history
        .enter("Task", "SendToDeadLetterQueue")
        .attempt_fails(10, "SQS.Throttled", "slow down")
        .event(
            "ExecutionFailed",
            json!({"error": "SQS.Throttled", "cause": "slow down"}),
        );
    let path = history.path();
    assert_eq!(
        path.marks["SendToDeadLetterQueue"].outcome,
        StateOutcome::Failed
    );
    assert!(!path.reached_end);
    let drawing = Drawing::of(&upload(), &path);
    assert_eq!(drawing.class("SendToDeadLetterQueue"), "state failed");
    assert!(drawing.taken().is_empty(), "{:?}", drawing.taken());
}

#[test]
fn a_running_execution_shows_where_it_is() {
    let mut history = History::new();
    history
        .task("Validate", 35)
        .choice("IsAcceptable")
        .enter("Task", "Thumbnail")
        .attempt_fails(1_000, "Wisaw.Transient", "decoder busy")
        .wait(1_000)
        .event("TaskScheduled", json!({}))
        .event("TaskStarted", json!({}));
    let path = history.path();
    let thumbnail = &path.marks["Thumbnail"];
    assert_eq!(thumbnail.outcome, StateOutcome::Running);
    assert_eq!(thumbnail.attempts, 2);
    assert_eq!(thumbnail.duration, None);
    assert_eq!(thumbnail.error.as_deref(), Some("Wisaw.Transient"));
    assert!(!path.reached_end);

    let drawing = Drawing::of(&upload(), &path);
    assert_eq!(drawing.class("Thumbnail"), "state running");
    assert_eq!(drawing.class("Validate"), "state succeeded");
    assert_eq!(drawing.class("Persist"), "state not-entered");
    assert_eq!(drawing.texts("Thumbnail")[2], "2 attempts · running");
    assert_eq!(
        drawing.taken(),
        [
            edge(None, Some("Validate"), false),
            edge(Some("IsAcceptable"), Some("Thumbnail"), false),
            edge(Some("Validate"), Some("IsAcceptable"), false),
        ]
    );
}

#[test]
fn a_definition_with_cycles_draws_and_highlights_its_loops() {
    let definition = json!({
        "StartAt": "Submit",
        "States": {
            "Submit": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Poll"},
            "Poll": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "IsDone"},
            "IsDone": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.done", "BooleanEquals": true, "Next": "Done"},
                    {"Variable": "$.again", "BooleanEquals": true, "Next": "IsDone"}
                ],
                "Default": "Later"
            },
            "Later": {"Type": "Wait", "Seconds": 5, "Next": "Poll"},
            "Done": {"Type": "Succeed"},
            "Orphan": {"Type": "Pass", "Next": "Missing"}
        }
    });
    let mut history = History::new();
    history
        .task("Submit", 10)
        .task("Poll", 10)
        .choice("IsDone")
        .enter("Wait", "Later")
        .wait(5_000)
        .exit("Wait", "Later")
        .task("Poll", 12)
        .choice("IsDone")
        .choice("IsDone")
        .enter("Succeed", "Done")
        .exit("Succeed", "Done")
        .event("ExecutionSucceeded", json!({}));
    let path = history.path();
    assert_eq!(path.entered.len(), 8);
    assert_eq!(path.marks["Poll"].attempts, 2);
    assert_eq!(
        path.marks["Poll"].duration,
        Some(chrono::Duration::milliseconds(12))
    );

    let drawing = Drawing::of(&definition, &path);
    assert_eq!(drawing.class("Orphan"), "state not-entered");
    assert_eq!(drawing.class("Later"), "state succeeded");
    assert_eq!(drawing.texts("Poll")[2], "2 visits · 2 attempts · 12 ms");
    assert!(drawing.top("Submit") < drawing.top("Poll"));
    assert!(drawing.top("Poll") < drawing.top("IsDone"));
    assert!(drawing.top("IsDone") < drawing.top("Later"));
    assert_eq!(
        drawing.taken(),
        [
            edge(None, Some("Submit"), false),
            edge(Some("Done"), None, false),
            edge(Some("IsDone"), Some("Done"), false),
            edge(Some("IsDone"), Some("IsDone"), false),
            edge(Some("IsDone"), Some("Later"), false),
            edge(Some("Later"), Some("Poll"), false),
            edge(Some("Poll"), Some("IsDone"), false),
            edge(Some("Submit"), Some("Poll"), false),
        ]
    );
    // Orphan's transition to a state that does not exist is left out.
    assert!(!drawing
        .edges()
        .iter()
        .any(|e| e.from.as_deref() == Some("Orphan")));
    drawing.assert_no_overlap();
}

#[test]
fn hostile_names_and_causes_are_escaped() {
    let name = "Check <\"it\"> & 'see'";
    let cause = "</title><script>alert(\"x\")</script> & ]]> \u{0}\u{7}\r\n";
    let definition = json!({
        "StartAt": name,
        "States": {
            name: {"Type": "Task<>", "Resource": "x", "Next": "Done"},
            "Done": {"Type": "Succeed"}
        }
    });
    let mut history = History::new();
    history
        .enter("Task", name)
        .attempt_fails(5, "Err<&>\"", cause)
        .event(
            "ExecutionFailed",
            json!({"error": "Err<&>\"", "cause": cause}),
        );
    let path = history.path();
    let drawing = Drawing::of(&definition, &path);
    assert!(!drawing.svg.contains("<script"));
    assert!(!drawing.svg.contains('\u{0}'));
    assert_eq!(drawing.class(name), "state failed");
    assert_eq!(drawing.texts(name)[..2], [name, "Task<>"]);
    let title = drawing.title(name);
    assert!(
        title.starts_with(&format!("{name}\nErr<&>\"\n</title><script>")),
        "{title:?}"
    );
    assert!(title.contains("\u{FFFD}\u{FFFD}\r\n"), "{title:?}");
    assert_eq!(drawing.taken(), [edge(None, Some(name), false)]);
}

#[test]
fn what_is_not_a_definition_still_draws() {
    for definition in [
        json!(null),
        json!({"States": 3}),
        json!({"StartAt": "Nowhere", "States": {}}),
    ] {
        let drawing = Drawing::of(&definition, &ExecutionPath::default());
        assert!(drawing.edges().is_empty());
    }
}

#[test]
fn hundreds_of_states_draw_in_milliseconds() {
    const COUNT: usize = 400;
    let mut states = serde_json::Map::new();
    for i in 0..COUNT {
        let next = if i + 1 == COUNT {
            "Handler".to_string()
        } else {
            format!("S{}", i + 1)
        };
        let state = if i % 10 == 9 {
            // Choices that skip ahead and loop back make long edges and cycles.
            json!({"Type": "Choice", "Default": next, "Choices": [
                {"Variable": "$.x", "BooleanEquals": true, "Next": format!("S{}", (i + 25).min(COUNT - 1))},
                {"Variable": "$.y", "BooleanEquals": true, "Next": format!("S{}", i - 7)}
            ]})
        } else {
            json!({"Type": "Task", "Resource": "x", "Next": next,
                   "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handler"}]})
        };
        states.insert(format!("S{i}"), state);
    }
    states.insert("Handler".into(), json!({"Type": "Fail"}));
    let definition = json!({"StartAt": "S0", "States": states});
    let mut history = History::new();
    for i in 0..COUNT {
        history.task(&format!("S{i}"), 3);
    }
    let path = history.path();

    let started = Instant::now();
    let svg = draw(&definition, &path);
    let elapsed = started.elapsed();
    // Generous for an unoptimised build on a busy machine; quadratic work would not fit.
    assert!(elapsed.as_millis() < 1_500, "took {elapsed:?}");
    assert!(svg.len() < 8_000_000, "{} bytes", svg.len());
    let drawing = Drawing {
        elements: parse_xml(&svg).expect("well-formed"),
        svg,
    };
    assert_eq!(drawing.class("S123"), "state succeeded");
    assert_eq!(drawing.class("Handler"), "state not-entered");
    assert_eq!(
        drawing
            .elements
            .iter()
            .filter(|e| e.attributes.contains_key("data-state"))
            .count(),
        COUNT + 1
    );
    drawing.assert_no_overlap();
}
