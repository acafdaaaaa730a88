//! A state machine definition, loaded from Amazon States Language and checked
//! up front: substitutions resolved, every transition pointing at a state, and
//! every feature this runner does not implement refused by name.

use super::choice::ChoiceRule;
use super::error::LoadError;
use super::path::{JsonPath, PathSource};
use super::processing::{FilterPath, ResultPath};
use super::retry::{compile_catchers, compile_retriers, Catcher, Retrier};
use super::substitution::{placeholders, substitute};
use super::template::Template;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

/// The Task resources the runner can run; the invoker receives their ARN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    LambdaInvoke,
    SqsSendMessage,
}

impl Resource {
    pub const LAMBDA_INVOKE_ARN: &'static str = "arn:aws:states:::lambda:invoke";
    pub const SQS_SEND_MESSAGE_ARN: &'static str = "arn:aws:states:::sqs:sendMessage";

    fn parse(arn: &str) -> Option<Self> {
        match arn {
            Self::LAMBDA_INVOKE_ARN => Some(Self::LambdaInvoke),
            Self::SQS_SEND_MESSAGE_ARN => Some(Self::SqsSendMessage),
            _ => None,
        }
    }
    pub fn arn(self) -> &'static str {
        match self {
            Self::LambdaInvoke => Self::LAMBDA_INVOKE_ARN,
            Self::SqsSendMessage => Self::SQS_SEND_MESSAGE_ARN,
        }
    }
    /// `resourceType` and `resource` as history events name them.
    pub fn event_names(self) -> (&'static str, &'static str) {
        match self {
            Self::LambdaInvoke => ("lambda", "invoke"),
            Self::SqsSendMessage => ("sqs", "sendMessage"),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Transition {
    Next(String),
    End,
}

/// What happens to a result or an error of the states that do work (Task,
/// Parallel and Map): selected, placed into the input, retried or caught.
#[derive(Clone, Debug)]
pub struct Handling {
    pub result_selector: Option<Template>,
    pub result_path: ResultPath,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
}

#[derive(Clone, Debug)]
pub struct TaskState {
    pub resource: Resource,
    pub parameters: Option<Template>,
    pub timeout: Option<Duration>,
    pub handling: Handling,
    pub transition: Transition,
}

#[derive(Clone, Debug)]
pub struct ParallelState {
    pub branches: Vec<Branch>,
    pub parameters: Option<Template>,
    pub handling: Handling,
    pub transition: Transition,
}

/// An inline Map: the same branch for every item, `max_concurrency` at a time
/// (0: all at once).
#[derive(Clone, Debug)]
pub struct MapState {
    pub items_path: PathSource,
    pub item_selector: Option<Template>,
    pub processor: Branch,
    pub max_concurrency: usize,
    pub tolerated_failure_count: Option<u64>,
    pub tolerated_failure_percentage: Option<f64>,
    pub handling: Handling,
    pub transition: Transition,
}

#[derive(Clone, Debug)]
pub enum WaitFor {
    Seconds(u64),
    Timestamp(DateTime<Utc>),
    SecondsPath(PathSource),
    TimestampPath(PathSource),
}

#[derive(Clone, Debug)]
pub struct WaitState {
    pub until: WaitFor,
    pub transition: Transition,
}

#[derive(Clone, Debug)]
pub struct PassState {
    pub result: Option<Value>,
    pub parameters: Option<Template>,
    pub result_path: ResultPath,
    pub transition: Transition,
}

#[derive(Clone, Debug)]
pub struct ChoiceState {
    pub rules: Vec<ChoiceRule>,
    pub default: Option<String>,
}

#[derive(Clone, Debug)]
pub struct FailState {
    pub error: Option<String>,
    pub cause: Option<String>,
}

#[derive(Clone, Debug)]
pub enum StateKind {
    Task(Box<TaskState>),
    Parallel(Box<ParallelState>),
    Map(Box<MapState>),
    Pass(PassState),
    Wait(WaitState),
    Choice(ChoiceState),
    Succeed,
    Fail(FailState),
}

#[derive(Clone, Debug)]
pub struct State {
    pub input_path: FilterPath,
    pub output_path: FilterPath,
    /// `Assign`: workflow variables set when the state ends.
    pub assign: Option<Template>,
    pub kind: StateKind,
}

impl State {
    /// `Task`, `Choice`...: the prefix of this state's `...StateEntered` events.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            StateKind::Task(_) => "Task",
            StateKind::Parallel(_) => "Parallel",
            StateKind::Map(_) => "Map",
            StateKind::Pass(_) => "Pass",
            StateKind::Wait(_) => "Wait",
            StateKind::Choice(_) => "Choice",
            StateKind::Succeed => "Succeed",
            StateKind::Fail(_) => "Fail",
        }
    }

    /// Whether `$$.State.RetryCount` exists in this state's context object: only
    /// in the states that can retry.
    pub fn can_retry(&self) -> bool {
        matches!(
            self.kind,
            StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_)
        )
    }
}

/// States and where to start: the machine itself, a Parallel branch, or the
/// states a Map runs for each item.
#[derive(Clone, Debug)]
pub struct Branch {
    start_at: String,
    states: BTreeMap<String, State>,
}

impl Branch {
    pub fn start_at(&self) -> &str {
        &self.start_at
    }
    pub fn state(&self, name: &str) -> Option<&State> {
        self.states.get(name)
    }
    pub fn state_names(&self) -> impl Iterator<Item = &str> {
        self.states.keys().map(String::as_str)
    }
    /// `...StateEntered` prefix of a state of this branch (a Task when it is missing:
    /// the definition changed under a resumed execution).
    pub fn type_of(&self, name: &str) -> &'static str {
        self.state(name).map_or("Task", State::type_name)
    }

    /// `at` is the state holding the branch (None for the machine itself);
    /// `extra` the fields the holder allows besides StartAt, States and Comment.
    fn load(at: Option<&str>, raw: &Value, extra: &[&str]) -> Result<Self, LoadError> {
        let top = raw
            .as_object()
            .ok_or_else(|| invalid(at, "a branch must be a JSON object"))?;
        check_fields(at, top, &BRANCH_FIELDS, extra)?;
        let start_at = top
            .get("StartAt")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid(at, "StartAt must name a state"))?
            .to_string();
        let raw_states = top
            .get("States")
            .and_then(Value::as_object)
            .filter(|states| !states.is_empty())
            .ok_or_else(|| invalid(at, "States must be a non-empty object"))?;
        let mut states = BTreeMap::new();
        for (state_name, raw_state) in raw_states {
            states.insert(state_name.clone(), load_state(state_name, raw_state)?);
        }
        let branch = Self { start_at, states };
        branch.check_transitions(at)?;
        Ok(branch)
    }

    /// Every transition names a state of this same branch, as the language requires.
    fn check_transitions(&self, holder: Option<&str>) -> Result<(), LoadError> {
        let check = |from: Option<&str>, field: &str, target: &str| {
            if self.states.contains_key(target) {
                Ok(())
            } else {
                Err(LoadError::MissingState {
                    state: from.map(str::to_string),
                    field: field.to_string(),
                    target: target.to_string(),
                })
            }
        };
        check(holder, "StartAt", &self.start_at)?;
        for (name, state) in &self.states {
            let from = Some(name.as_str());
            let (transition, catch) = match &state.kind {
                StateKind::Task(task) => (Some(&task.transition), &task.handling.catch[..]),
                StateKind::Parallel(parallel) => {
                    (Some(&parallel.transition), &parallel.handling.catch[..])
                }
                StateKind::Map(map) => (Some(&map.transition), &map.handling.catch[..]),
                StateKind::Pass(pass) => (Some(&pass.transition), &[][..]),
                StateKind::Wait(wait) => (Some(&wait.transition), &[][..]),
                StateKind::Choice(choice) => {
                    for rule in &choice.rules {
                        check(from, "Choices Next", &rule.next)?;
                    }
                    if let Some(default) = &choice.default {
                        check(from, "Default", default)?;
                    }
                    (None, &[][..])
                }
                StateKind::Succeed | StateKind::Fail(_) => (None, &[][..]),
            };
            if let Some(Transition::Next(next)) = transition {
                check(from, "Next", next)?;
            }
            for catcher in catch {
                check(from, "Catch Next", &catcher.next)?;
            }
        }
        Ok(())
    }
}

/// A loaded, checked definition.
#[derive(Clone, Debug)]
pub struct StateMachine {
    name: String,
    root: Branch,
    /// `${Name}` placeholders no substitution replaced (left as written, as SAM does).
    unresolved: Vec<String>,
}

const TOP_LEVEL_FIELDS: [&str; 2] = ["Version", "QueryLanguage"];
const BRANCH_FIELDS: [&str; 3] = ["StartAt", "States", "Comment"];
const COMMON_FIELDS: [&str; 3] = ["Type", "Comment", "QueryLanguage"];
const TASK_FIELDS: [&str; 12] = [
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultSelector",
    "ResultPath",
    "Retry",
    "Catch",
    "TimeoutSeconds",
    "Resource",
    "Next",
    "End",
    "Assign",
];
const PARALLEL_FIELDS: [&str; 11] = [
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultSelector",
    "ResultPath",
    "Retry",
    "Catch",
    "Branches",
    "Next",
    "End",
    "Assign",
];
const MAP_FIELDS: [&str; 17] = [
    "InputPath",
    "OutputPath",
    "ItemsPath",
    "ItemSelector",
    "Parameters",
    "ItemProcessor",
    "Iterator",
    "MaxConcurrency",
    "ToleratedFailureCount",
    "ToleratedFailurePercentage",
    "ResultSelector",
    "ResultPath",
    "Retry",
    "Catch",
    "Next",
    "End",
    "Assign",
];
const PASS_FIELDS: [&str; 8] = [
    "InputPath",
    "OutputPath",
    "Parameters",
    "Result",
    "ResultPath",
    "Next",
    "End",
    "Assign",
];
const WAIT_FIELDS: [&str; 9] = [
    "InputPath",
    "OutputPath",
    "Seconds",
    "Timestamp",
    "SecondsPath",
    "TimestampPath",
    "Next",
    "End",
    "Assign",
];
const CHOICE_FIELDS: [&str; 5] = ["InputPath", "OutputPath", "Choices", "Default", "Assign"];
const SUCCEED_FIELDS: [&str; 2] = ["InputPath", "OutputPath"];
const FAIL_FIELDS: [&str; 2] = ["Error", "Cause"];

impl StateMachine {
    /// Loads a definition; `name` is the state machine's name (it appears in
    /// execution ids and in `$$.StateMachine.Name`).
    pub fn load(
        name: &str,
        definition: &str,
        substitutions: &HashMap<String, String>,
    ) -> Result<Self, LoadError> {
        let raw: Value =
            serde_json::from_str(definition).map_err(|e| LoadError::Json(e.to_string()))?;
        Self::from_value(name, raw, substitutions)
    }

    pub fn load_file(
        name: &str,
        path: impl AsRef<Path>,
        substitutions: &HashMap<String, String>,
    ) -> Result<Self, LoadError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| LoadError::Io(format!("{}: {e}", path.display())))?;
        Self::load(name, &text, substitutions)
    }

    pub fn from_value(
        name: &str,
        raw: Value,
        substitutions: &HashMap<String, String>,
    ) -> Result<Self, LoadError> {
        let raw = substitute(raw, substitutions);
        let top = raw
            .as_object()
            .ok_or_else(|| invalid(None, "the definition must be a JSON object"))?;
        check_query_language(None, top)?;
        let root = Branch::load(None, &raw, &TOP_LEVEL_FIELDS)?;
        Ok(Self {
            name: name.to_string(),
            root,
            unresolved: placeholders(&raw),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    /// The local ARN, shaped like the AWS one.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:states:local:000000000000:stateMachine:{}",
            self.name
        )
    }
    /// The `${Name}` placeholders that no substitution replaced.
    pub fn unresolved_placeholders(&self) -> &[String] {
        &self.unresolved
    }
    /// The machine's own states.
    pub fn root(&self) -> &Branch {
        &self.root
    }
    pub fn start_at(&self) -> &str {
        self.root.start_at()
    }
    pub fn state(&self, name: &str) -> Option<&State> {
        self.root.state(name)
    }
    pub fn state_names(&self) -> impl Iterator<Item = &str> {
        self.root.state_names()
    }
}

fn load_state(name: &str, raw: &Value) -> Result<State, LoadError> {
    let at = Some(name);
    let fields = raw
        .as_object()
        .ok_or_else(|| invalid(at, "a state must be a JSON object"))?;
    let type_name = fields
        .get("Type")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(at, "Type is missing"))?;
    check_query_language(at, fields)?;
    let allowed: &[&str] = match type_name {
        "Task" => &TASK_FIELDS,
        "Parallel" => &PARALLEL_FIELDS,
        "Map" => &MAP_FIELDS,
        "Pass" => &PASS_FIELDS,
        "Wait" => &WAIT_FIELDS,
        "Choice" => &CHOICE_FIELDS,
        "Succeed" => &SUCCEED_FIELDS,
        "Fail" => &FAIL_FIELDS,
        other => return Err(invalid(at, format!("unknown Type {other:?}"))),
    };
    check_fields(at, fields, allowed, &COMMON_FIELDS)?;
    let input_path = FilterPath::compile(fields.get("InputPath"))
        .map_err(|e| classify(at, format!("InputPath {e}")))?;
    let output_path = FilterPath::compile(fields.get("OutputPath"))
        .map_err(|e| classify(at, format!("OutputPath {e}")))?;
    let kind = match type_name {
        "Task" => StateKind::Task(Box::new(load_task(name, fields)?)),
        "Parallel" => StateKind::Parallel(Box::new(load_parallel(name, fields)?)),
        "Map" => StateKind::Map(Box::new(load_map(name, fields)?)),
        "Pass" => StateKind::Pass(PassState {
            result: fields.get("Result").cloned(),
            parameters: template(at, fields, "Parameters")?,
            result_path: result_path(at, fields)?,
            transition: transition(at, fields)?,
        }),
        "Wait" => StateKind::Wait(load_wait(name, fields)?),
        "Choice" => load_choice(name, fields)?,
        "Succeed" => StateKind::Succeed,
        _ => StateKind::Fail(FailState {
            error: string_field(at, fields, "Error")?,
            cause: string_field(at, fields, "Cause")?,
        }),
    };
    Ok(State {
        input_path,
        output_path,
        assign: fields
            .get("Assign")
            .map(|value| {
                Template::compile_assign(value).map_err(|e| classify(at, format!("Assign: {e}")))
            })
            .transpose()?,
        kind,
    })
}

fn load_handling(at: Option<&str>, fields: &Map<String, Value>) -> Result<Handling, LoadError> {
    let retry = match fields.get("Retry") {
        Some(v) => compile_retriers(v).map_err(|e| classify(at, e))?,
        None => Vec::new(),
    };
    let catch = match fields.get("Catch") {
        Some(v) => compile_catchers(v).map_err(|e| classify(at, e))?,
        None => Vec::new(),
    };
    Ok(Handling {
        result_selector: template(at, fields, "ResultSelector")?,
        result_path: result_path(at, fields)?,
        retry,
        catch,
    })
}

fn load_task(name: &str, fields: &Map<String, Value>) -> Result<TaskState, LoadError> {
    let at = Some(name);
    let arn = fields
        .get("Resource")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(at, "a Task needs a Resource"))?;
    let resource =
        Resource::parse(arn).ok_or_else(|| unsupported(at, &format!("Task resource {arn:?}")))?;
    let timeout = match fields.get("TimeoutSeconds") {
        None => None,
        Some(v) => Some(Duration::from_secs(
            v.as_u64()
                .filter(|s| *s >= 1)
                .ok_or_else(|| invalid(at, "TimeoutSeconds must be a positive integer"))?,
        )),
    };
    Ok(TaskState {
        resource,
        parameters: template(at, fields, "Parameters")?,
        timeout,
        handling: load_handling(at, fields)?,
        transition: transition(at, fields)?,
    })
}

fn load_parallel(name: &str, fields: &Map<String, Value>) -> Result<ParallelState, LoadError> {
    let at = Some(name);
    let branches = fields
        .get("Branches")
        .and_then(Value::as_array)
        .filter(|branches| !branches.is_empty())
        .ok_or_else(|| invalid(at, "Branches must be a non-empty array"))?
        .iter()
        .map(|branch| Branch::load(at, branch, &[]))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ParallelState {
        branches,
        parameters: template(at, fields, "Parameters")?,
        handling: load_handling(at, fields)?,
        transition: transition(at, fields)?,
    })
}

fn load_map(name: &str, fields: &Map<String, Value>) -> Result<MapState, LoadError> {
    let at = Some(name);
    let processor = match (fields.get("ItemProcessor"), fields.get("Iterator")) {
        (Some(processor), None) => {
            if let Some(config) = processor.get("ProcessorConfig") {
                let mode = config
                    .get("Mode")
                    .and_then(Value::as_str)
                    .unwrap_or("INLINE");
                let known = ["Mode"];
                if let Some(key) = config
                    .as_object()
                    .and_then(|c| c.keys().find(|k| !known.contains(&k.as_str())))
                {
                    return Err(unsupported(at, &format!("ProcessorConfig {key}")));
                }
                if mode != "INLINE" {
                    return Err(unsupported(at, &format!("Map mode {mode}")));
                }
            }
            Branch::load(at, processor, &["ProcessorConfig"])?
        }
        // `Iterator` is the older name of `ItemProcessor`.
        (None, Some(iterator)) => Branch::load(at, iterator, &[])?,
        (Some(_), Some(_)) => return Err(invalid(at, "has both ItemProcessor and Iterator")),
        (None, None) => return Err(invalid(at, "a Map needs an ItemProcessor")),
    };
    let item_selector = match (
        template(at, fields, "ItemSelector")?,
        template(at, fields, "Parameters")?,
    ) {
        (Some(_), Some(_)) => return Err(invalid(at, "has both ItemSelector and Parameters")),
        // `Parameters` is the older name of `ItemSelector`.
        (selector, parameters) => selector.or(parameters),
    };
    let items_path = match fields.get("ItemsPath") {
        None => PathSource::Input(JsonPath::root()),
        Some(Value::String(text)) => {
            PathSource::parse(text).map_err(|e| classify(at, format!("ItemsPath {e}")))?
        }
        Some(_) => return Err(invalid(at, "ItemsPath must be a JSONPath string")),
    };
    let max_concurrency = match fields.get("MaxConcurrency") {
        None => 0,
        Some(v) => v
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| invalid(at, "MaxConcurrency must be a non-negative integer"))?,
    };
    let tolerated_failure_count = fields
        .get("ToleratedFailureCount")
        .map(|v| {
            v.as_u64()
                .ok_or_else(|| invalid(at, "ToleratedFailureCount must be a non-negative integer"))
        })
        .transpose()?;
    let tolerated_failure_percentage = fields
        .get("ToleratedFailurePercentage")
        .map(|v| {
            v.as_f64()
                .filter(|p| (0.0..=100.0).contains(p))
                .ok_or_else(|| {
                    invalid(
                        at,
                        "ToleratedFailurePercentage must be a number from 0 to 100",
                    )
                })
        })
        .transpose()?;
    Ok(MapState {
        items_path,
        item_selector,
        processor,
        max_concurrency,
        tolerated_failure_count,
        tolerated_failure_percentage,
        handling: load_handling(at, fields)?,
        transition: transition(at, fields)?,
    })
}

fn load_wait(name: &str, fields: &Map<String, Value>) -> Result<WaitState, LoadError> {
    let at = Some(name);
    let given: Vec<&str> = ["Seconds", "Timestamp", "SecondsPath", "TimestampPath"]
        .into_iter()
        .filter(|field| fields.contains_key(*field))
        .collect();
    let [field] = given[..] else {
        return Err(invalid(
            at,
            "a Wait needs exactly one of Seconds, Timestamp, SecondsPath and TimestampPath",
        ));
    };
    let value = &fields[field];
    let path = || {
        value
            .as_str()
            .ok_or_else(|| invalid(at, format!("{field} must be a path string")))
            .and_then(|text| {
                PathSource::parse(text).map_err(|e| classify(at, format!("{field} {e}")))
            })
    };
    let until = match field {
        "Seconds" => WaitFor::Seconds(
            value
                .as_u64()
                .ok_or_else(|| invalid(at, "Seconds must be a non-negative integer"))?,
        ),
        "Timestamp" => WaitFor::Timestamp(
            value
                .as_str()
                .and_then(parse_timestamp)
                .ok_or_else(|| invalid(at, "Timestamp must be an RFC 3339 timestamp"))?,
        ),
        "SecondsPath" => WaitFor::SecondsPath(path()?),
        _ => WaitFor::TimestampPath(path()?),
    };
    Ok(WaitState {
        until,
        transition: transition(at, fields)?,
    })
}

/// An ISO 8601 timestamp as the language reads it: date, an uppercase `T`, time,
/// and `Z` or an offset (RFC 3339).
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .filter(|_| text.contains('T'))
        .map(|at| at.with_timezone(&Utc))
}

fn load_choice(name: &str, fields: &Map<String, Value>) -> Result<StateKind, LoadError> {
    let at = Some(name);
    let rules = fields
        .get("Choices")
        .and_then(Value::as_array)
        .filter(|rules| !rules.is_empty())
        .ok_or_else(|| invalid(at, "Choices must be a non-empty array"))?
        .iter()
        .map(|rule| ChoiceRule::compile(rule).map_err(|e| classify(at, e)))
        .collect::<Result<Vec<_>, _>>()?;
    let default = string_field(at, fields, "Default")?;
    Ok(StateKind::Choice(ChoiceState { rules, default }))
}

fn transition(at: Option<&str>, fields: &Map<String, Value>) -> Result<Transition, LoadError> {
    let end = fields.get("End").map(|v| {
        v.as_bool()
            .ok_or_else(|| invalid(at, "End must be a boolean"))
    });
    match (string_field(at, fields, "Next")?, end.transpose()?) {
        (Some(next), None | Some(false)) => Ok(Transition::Next(next)),
        (None, Some(true)) => Ok(Transition::End),
        (Some(_), Some(true)) => Err(invalid(at, "has both Next and End")),
        (None, _) => Err(invalid(at, "needs a Next or \"End\": true")),
    }
}

fn template(
    at: Option<&str>,
    fields: &Map<String, Value>,
    field: &str,
) -> Result<Option<Template>, LoadError> {
    fields
        .get(field)
        .map(|value| Template::compile(value).map_err(|e| classify(at, format!("{field}: {e}"))))
        .transpose()
}

fn result_path(at: Option<&str>, fields: &Map<String, Value>) -> Result<ResultPath, LoadError> {
    ResultPath::compile(fields.get("ResultPath")).map_err(|e| classify(at, e))
}

fn string_field(
    at: Option<&str>,
    fields: &Map<String, Value>,
    field: &str,
) -> Result<Option<String>, LoadError> {
    fields
        .get(field)
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .ok_or_else(|| invalid(at, format!("{field} must be a string")))
        })
        .transpose()
}

fn check_fields(
    at: Option<&str>,
    fields: &Map<String, Value>,
    allowed: &[&str],
    common: &[&str],
) -> Result<(), LoadError> {
    match fields
        .keys()
        .find(|key| !allowed.contains(&key.as_str()) && !common.contains(&key.as_str()))
    {
        Some(key) => Err(unsupported(at, key)),
        None => Ok(()),
    }
}

/// JSONPath is the only query language here; JSONata is refused by name.
fn check_query_language(at: Option<&str>, fields: &Map<String, Value>) -> Result<(), LoadError> {
    match fields.get("QueryLanguage") {
        None => Ok(()),
        Some(v) if v.as_str() == Some("JSONPath") => Ok(()),
        Some(v) => Err(unsupported(
            at,
            &format!("QueryLanguage {}", v.as_str().unwrap_or("?")),
        )),
    }
}

/// A message from a sub-compiler that says "not supported" becomes an
/// Unsupported error; anything else is an invalid definition.
fn classify(at: Option<&str>, message: String) -> LoadError {
    match message.strip_suffix(" is not supported") {
        Some(feature) => unsupported(at, feature),
        None => invalid(at, message),
    }
}

fn unsupported(at: Option<&str>, feature: &str) -> LoadError {
    LoadError::Unsupported {
        state: at.map(str::to_string),
        feature: feature.to_string(),
    }
}

fn invalid(at: Option<&str>, message: impl Into<String>) -> LoadError {
    LoadError::Invalid {
        state: at.map(str::to_string),
        message: message.into(),
    }
}
