//! The local runner held against Step Functions' own behaviour, one fixture per
//! case in `tests/fixtures/fidelity/`. Each fixture is a definition, an input, how
//! its Lambda functions answer, and what AWS gives for it: the execution's end and
//! its exact history, written from the Amazon States Language specification, the
//! Step Functions developer guide and executions recorded on AWS.
//!
//! A fixture file holds:
//! - `definition`, `input`, and `functions`: by function name (a FunctionName or
//!   a Task's `Resource` that is a function's ARN names it as Lambda does), one of
//!   `{"echo": true}`, `{"returns": v}`, `{"fails": {"error", "cause"}}`,
//!   `{"fails_first": n}` (then echoes) or `{"sleeps_ms": n}` (then echoes);
//! - `execution`: any of `status`, `output`, `error`, `cause` (a key absent from
//!   `execution` is not checked; `null` means absent), and `takes_at_least_ms`;
//! - `calls` (optional): by FunctionName, `{"count", "max_at_once"}`: how often
//!   the function was called and how many of its calls ran at the same time;
//! - `history`: every event, `{"type", "details"}`, in order. Events of Parallel
//!   branches or concurrent Map iterations carry a `lane`: events of one lane must
//!   appear in their order, lanes between the same two laneless events may
//!   interleave in any way. An event may give its `previous` (`previousEventId`):
//!   the position in `history`, from 1, of the event it points at, or 0 for none.
//!   Without lanes that is AWS's own `previousEventId`; with lanes it names the
//!   event wherever the lanes put it.
//!
//! In expected values, `"<any>"` matches anything, and `{"$json": v}` matches JSON
//! text that parses to `v` with its object keys in the same order (inputs and
//! outputs are JSON text in a history, and their key order is what operators read;
//! the execution's output is held to its order too). The keys of event details
//! may come in any order.
//! `{"$repeat": ["x", n]}` anywhere in a fixture stands for the string of `n` x's.

use async_trait::async_trait;
use serde_json::{json, Map, Value};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wisaw_asl::{
    lambda_invoke_result, HistoryEvent, LocalRunner, Resource, RunnerError, StartOutcome,
    StateMachine, TaskFailure, TaskInvoker,
};

/// Lambda functions that answer as the fixture says.
struct FixtureFunctions {
    behaviours: Map<String, Value>,
    calls: Mutex<HashMap<String, Calls>>,
}

#[derive(Clone, Copy, Debug, Default)]
struct Calls {
    count: u64,
    running: u64,
    max_at_once: u64,
}

impl FixtureFunctions {
    fn new(behaviours: Map<String, Value>) -> Self {
        Self {
            behaviours,
            calls: Mutex::new(HashMap::new()),
        }
    }
}

/// Counts a call as running until dropped (a cancelled call ends too).
struct Running<'a>(&'a FixtureFunctions, String);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if let Some(calls) = self.0.calls.lock().unwrap().get_mut(&self.1) {
            calls.running -= 1;
        }
    }
}

#[async_trait]
impl TaskInvoker for FixtureFunctions {
    async fn invoke(&self, resource: &str, parameters: Value) -> Result<Value, TaskFailure> {
        assert_eq!(
            resource,
            Resource::LAMBDA_INVOKE_ARN,
            "fixtures call Lambda only"
        );
        let function = function_name(parameters["FunctionName"].as_str().unwrap_or_default());
        let payload = parameters.get("Payload").cloned().unwrap_or(Value::Null);
        let call = {
            let mut calls = self.calls.lock().unwrap();
            let calls = calls.entry(function.to_string()).or_default();
            calls.count += 1;
            calls.running += 1;
            calls.max_at_once = calls.max_at_once.max(calls.running);
            calls.count
        };
        let _running = Running(self, function.to_string());
        let Some(behaviour) = self.behaviours.get(function) else {
            return Err(TaskFailure::new(
                "Lambda.ResourceNotFoundException",
                format!("Function not found: {function}"),
            ));
        };
        let output = if let Some(value) = behaviour.get("returns") {
            value.clone()
        } else if let Some(failure) = behaviour.get("fails") {
            return Err(TaskFailure::new(
                failure["error"].as_str().unwrap_or_default(),
                failure["cause"].as_str().unwrap_or_default(),
            ));
        } else if let Some(times) = behaviour.get("fails_first").and_then(Value::as_u64) {
            if call <= times {
                return Err(TaskFailure::new(
                    "Wisaw.Transient",
                    format!("call {call} fails"),
                ));
            }
            payload
        } else if let Some(ms) = behaviour.get("sleeps_ms").and_then(Value::as_u64) {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            payload
        } else {
            payload
        };
        Ok(lambda_invoke_result(output))
    }
}

/// The function a FunctionName names: Lambda takes its name, or its ARN
/// (`arn:aws:lambda:REGION:ACCOUNT:function:NAME`, a version or alias after it).
fn function_name(function: &str) -> &str {
    match function.split(':').collect::<Vec<_>>()[..] {
        ["arn", _, "lambda", _, _, "function", name, ..] => name,
        _ => function,
    }
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fidelity")
}

/// Replaces every `{"$repeat": [text, n]}` with the text repeated n times.
fn expand(value: Value) -> Value {
    match value {
        Value::Object(fields) => {
            if let Some(Value::Array(spec)) = fields.get("$repeat") {
                if let [Value::String(text), Value::Number(n)] = &spec[..] {
                    return Value::String(text.repeat(n.as_u64().unwrap() as usize));
                }
            }
            Value::Object(fields.into_iter().map(|(k, v)| (k, expand(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(expand).collect()),
        other => other,
    }
}

/// JSON with every object's entries in the order of the text, whatever serde_json's
/// features: what the key-order checks compare.
#[derive(Clone, Debug, PartialEq)]
enum Ordered {
    Scalar(Value),
    Array(Vec<Ordered>),
    Object(Vec<(String, Ordered)>),
}

impl<'de> serde::Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(Value::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(json!(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(json!(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(json!(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(Value::String(v.to_string())))
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(Value::Null))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Ordered, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Ordered::Array(items))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Ordered, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Ordered::Object(entries))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl Ordered {
    fn parse(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
    /// A value the runner gave, through its JSON text (the order it writes).
    fn of(value: &Value) -> Self {
        Self::parse(&value.to_string()).unwrap()
    }
    fn get(&self, key: &str) -> Option<&Ordered> {
        match self {
            Self::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    fn as_str(&self) -> Option<&str> {
        match self {
            Self::Scalar(Value::String(text)) => Some(text),
            _ => None,
        }
    }
}

impl std::fmt::Display for Ordered {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Self::Scalar(value) => write!(f, "{value}"),
            Self::Array(items) => {
                let items: Vec<String> = items.iter().map(ToString::to_string).collect();
                write!(f, "[{}]", items.join(","))
            }
            Self::Object(entries) => {
                let entries: Vec<String> = entries
                    .iter()
                    .map(|(k, v)| format!("{}:{v}", json!(k)))
                    .collect();
                write!(f, "{{{}}}", entries.join(","))
            }
        }
    }
}

/// Does `actual` match the `expected` pattern? Returns where it does not. With
/// `in_order`, objects must also have their keys in the same order.
fn mismatch(expected: &Ordered, actual: &Ordered, at: &str, in_order: bool) -> Option<String> {
    if expected.as_str() == Some("<any>") {
        return None;
    }
    if let Ordered::Object(entries) = expected {
        if let [(marker, inner)] = &entries[..] {
            if marker == "$json" {
                let Some(text) = actual.as_str() else {
                    return Some(format!("{at}: expected JSON text, found {actual}"));
                };
                return match Ordered::parse(text) {
                    Ok(parsed) => mismatch(inner, &parsed, at, true),
                    Err(error) => Some(format!("{at}: not JSON ({error}): {text}")),
                };
            }
        }
    }
    match (expected, actual) {
        (Ordered::Object(want), Ordered::Object(got)) => {
            let want_keys: Vec<&String> = want.iter().map(|(k, _)| k).collect();
            let got_keys: Vec<&String> = got.iter().map(|(k, _)| k).collect();
            let (mut want_sorted, mut got_sorted) = (want_keys.clone(), got_keys.clone());
            want_sorted.sort();
            got_sorted.sort();
            if want_sorted != got_sorted {
                return Some(format!("{at}: keys {got_keys:?}, expected {want_keys:?}"));
            }
            if in_order && want_keys != got_keys {
                return Some(format!(
                    "{at}: keys in the order {got_keys:?}, expected {want_keys:?}"
                ));
            }
            want.iter().find_map(|(key, value)| {
                mismatch(
                    value,
                    actual.get(key).unwrap(),
                    &format!("{at}.{key}"),
                    in_order,
                )
            })
        }
        (Ordered::Array(want), Ordered::Array(got)) if want.len() == got.len() => want
            .iter()
            .zip(got)
            .enumerate()
            .find_map(|(i, (w, g))| mismatch(w, g, &format!("{at}[{i}]"), in_order)),
        _ if expected == actual => None,
        _ => Some(format!("{at}: found {actual}, expected {expected}")),
    }
}

/// `ids`: the id each expected event was found at so far, by its position.
fn event_mismatch(
    expected: &Ordered,
    actual: &HistoryEvent,
    ids: &[Option<i64>],
) -> Option<String> {
    let want_type = expected.get("type").and_then(Ordered::as_str).unwrap();
    if want_type != actual.event_type {
        return Some(format!("type {}, expected {want_type}", actual.event_type));
    }
    mismatch(
        expected.get("details").unwrap(),
        &Ordered::of(&actual.details),
        want_type,
        false,
    )
    .or_else(|| previous_mismatch(expected, actual, ids))
}

/// The event's `previousEventId`, if the fixture gives it: the id of the event at
/// that position of the fixture, which must have been found already.
fn previous_mismatch(
    expected: &Ordered,
    actual: &HistoryEvent,
    ids: &[Option<i64>],
) -> Option<String> {
    let Ordered::Scalar(previous) = expected.get("previous")? else {
        return Some("previous is not a number".to_string());
    };
    let position = previous.as_u64().expect("previous is a position") as usize;
    let want = match position {
        0 => Some(0),
        _ => ids.get(position - 1).copied().flatten(),
    };
    match want {
        Some(id) if id == actual.previous_event_id => None,
        Some(id) => Some(format!(
            "previousEventId {}, expected {id} (the fixture's event {position})",
            actual.previous_event_id
        )),
        None => Some(format!(
            "previousEventId {}, expected the fixture's event {position}, not yet in the history",
            actual.previous_event_id
        )),
    }
}

/// Checks the history against the expected events, lanes allowed to interleave.
fn check_history(expected: &[Ordered], actual: &[HistoryEvent]) -> Result<(), String> {
    let shown = || {
        actual
            .iter()
            .map(|e| {
                format!(
                    "  {} (after {}) {} {}",
                    e.id, e.previous_event_id, e.event_type, e.details
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    if expected.len() != actual.len() {
        return Err(format!(
            "{} events, expected {}:\n{}",
            actual.len(),
            expected.len(),
            shown()
        ));
    }
    for (index, event) in actual.iter().enumerate() {
        if event.id != index as i64 + 1 {
            return Err(format!("event {index} has id {}", event.id));
        }
    }
    // The id each expected event was found at, for the `previous` of later ones.
    let mut ids: Vec<Option<i64>> = vec![None; expected.len()];
    // Segments: runs of laned events between laneless ones.
    let mut position = 0;
    let mut next_expected = 0;
    while next_expected < expected.len() {
        if expected[next_expected].get("lane").is_none() {
            if let Some(problem) = event_mismatch(&expected[next_expected], &actual[position], &ids)
            {
                return Err(format!("event {}: {problem}\n{}", position + 1, shown()));
            }
            ids[next_expected] = Some(actual[position].id);
            position += 1;
            next_expected += 1;
            continue;
        }
        let end = expected[next_expected..]
            .iter()
            .position(|e| e.get("lane").is_none())
            .map_or(expected.len(), |offset| next_expected + offset);
        // Each lane's events, with their positions in the fixture.
        let mut lanes: Vec<(String, Vec<(usize, &Ordered)>)> = Vec::new();
        for (index, event) in expected.iter().enumerate().take(end).skip(next_expected) {
            let lane = event
                .get("lane")
                .and_then(Ordered::as_str)
                .unwrap()
                .to_string();
            match lanes.iter_mut().find(|(name, _)| *name == lane) {
                Some((_, events)) => events.push((index, event)),
                None => lanes.push((lane, vec![(index, event)])),
            }
        }
        let mut heads = vec![0; lanes.len()];
        for _ in next_expected..end {
            let candidate = lanes.iter().enumerate().find_map(|(lane, (_, events))| {
                events
                    .get(heads[lane])
                    .filter(|(_, e)| event_mismatch(e, &actual[position], &ids).is_none())
                    .map(|(index, _)| (lane, *index))
            });
            let Some((lane, index)) = candidate else {
                let wanted: Vec<String> = lanes
                    .iter()
                    .enumerate()
                    .filter_map(|(lane, (_, events))| {
                        events.get(heads[lane]).map(|(_, e)| {
                            format!(
                                "{} ({})",
                                e.get("type").unwrap(),
                                event_mismatch(e, &actual[position], &ids).unwrap()
                            )
                        })
                    })
                    .collect();
                return Err(format!(
                    "event {} matches no lane's next event: {wanted:?}\n{}",
                    position + 1,
                    shown()
                ));
            };
            ids[index] = Some(actual[position].id);
            heads[lane] += 1;
            position += 1;
        }
        next_expected = end;
    }
    Ok(())
}

/// Runs one fixture; returns what differs from AWS.
async fn run_fixture(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let fixture: Value = expand(serde_json::from_str(&text).map_err(|e| e.to_string())?);
    // What AWS gives, read with its key order.
    let expected = Ordered::parse(&text)?;
    let machine =
        StateMachine::from_value("fidelity", fixture["definition"].clone(), &HashMap::new())
            .map_err(|e| format!("refused at load: {e}"))?;
    let functions = Arc::new(FixtureFunctions::new(
        fixture["functions"]
            .as_object()
            .cloned()
            .unwrap_or_default(),
    ));
    let dir = tempfile::tempdir().unwrap();
    let options = SqliteConnectOptions::new()
        .filename(dir.path().join("runner.sqlite"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal);
    let pool = SqlitePoolOptions::new()
        .connect_with(options)
        .await
        .map_err(|e| e.to_string())?;
    let runner = LocalRunner::with_pool(pool, machine, functions.clone())
        .await
        .map_err(|e| e.to_string())?;
    let name = path
        .file_stem()
        .unwrap()
        .to_str()
        .unwrap()
        .replace('.', "-");
    let input = fixture.get("input").cloned().unwrap_or(json!({}));
    let began = std::time::Instant::now();
    match runner.start(&name, input).await {
        Ok(StartOutcome::Started) => {}
        Ok(other) => return Err(format!("start: {other:?}")),
        Err(error) => return Err(format!("start refused: {error}")),
    }
    let done = runner
        .wait_for(&name, Duration::from_secs(30))
        .await
        .map_err(|e| e.to_string())?;
    let end = json!({
        "status": done.status.as_str(),
        "output": done.output,
        "error": done.error,
        "cause": done.cause,
    });
    let took = began.elapsed();
    if let Some(ms) = fixture["execution"]["takes_at_least_ms"].as_u64() {
        if took < Duration::from_millis(ms) {
            return Err(format!("finished in {took:?}, before {ms} ms"));
        }
    }
    if let Some(Ordered::Object(entries)) = expected.get("execution") {
        for (key, want) in entries.iter().filter(|(key, _)| key != "takes_at_least_ms") {
            if let Some(problem) = mismatch(want, &Ordered::of(&end[key]), key, true) {
                return Err(format!("execution {problem}"));
            }
        }
    }
    if let Some(Ordered::Object(entries)) = expected.get("calls") {
        let calls = functions.calls.lock().unwrap().clone();
        for (function, want) in entries {
            let got = calls.get(function).copied().unwrap_or_default();
            let got = json!({"count": got.count, "max_at_once": got.max_at_once});
            if let Some(problem) = mismatch(want, &Ordered::of(&got), function, false) {
                return Err(format!("calls {problem}"));
            }
        }
    }
    let history = runner.history(&name).await.map_err(|e| e.to_string())?;
    let Some(Ordered::Array(events)) = expected.get("history") else {
        return Err("the fixture has no history".to_string());
    };
    check_history(events, &history)
}

#[tokio::test]
async fn every_fixture_runs_as_it_runs_on_aws() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 9, "one fixture per item at least");
    let mut failures = Vec::new();
    for path in &paths {
        if let Err(problem) = run_fixture(path).await {
            failures.push(format!(
                "{}: {problem}",
                path.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures differ from AWS:\n\n{}",
        failures.len(),
        paths.len(),
        failures.join("\n\n")
    );
}

/// AWS refuses a StartExecution whose input is over 256 KiB; nothing is recorded.
#[tokio::test]
async fn an_execution_input_over_256_kib_is_refused_at_start() {
    let machine = StateMachine::from_value(
        "fidelity",
        json!({"StartAt": "S", "States": {"S": {"Type": "Succeed"}}}),
        &HashMap::new(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let options = SqliteConnectOptions::new()
        .filename(dir.path().join("runner.sqlite"))
        .create_if_missing(true);
    let pool = SqlitePoolOptions::new()
        .connect_with(options)
        .await
        .unwrap();
    let functions = FixtureFunctions::new(Map::new());
    let runner = LocalRunner::with_pool(pool, machine, Arc::new(functions))
        .await
        .unwrap();
    // {"p":"xxx..."} is 8 bytes of JSON around the string.
    let at_limit = json!({"p": "x".repeat(262_144 - 8)});
    assert_eq!(at_limit.to_string().len(), 262_144);
    assert_eq!(
        runner.start("at-limit", at_limit).await.unwrap(),
        StartOutcome::Started
    );
    let over = json!({"p": "x".repeat(262_144 - 7)});
    let refused = runner.start("over-limit", over).await.unwrap_err();
    assert!(
        matches!(refused, RunnerError::InputTooLarge(262_145)),
        "{refused:?}"
    );
    assert!(runner.describe("over-limit").await.unwrap().is_none());
}
