//! A state machine definition, loaded from Amazon States Language and checked
//! up front: substitutions resolved, every transition pointing at a state, and
//! every feature this runner does not implement refused by name.

use super::choice::ChoiceRule;
use super::error::LoadError;
use super::processing::{FilterPath, ResultPath};
use super::retry::{compile_catchers, compile_retriers, Catcher, Retrier};
use super::substitution::substitute;
use super::template::Template;
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

#[derive(Clone, Debug)]
pub struct TaskState {
    pub resource: Resource,
    pub parameters: Option<Template>,
    pub result_selector: Option<Template>,
    pub result_path: ResultPath,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
    pub timeout: Option<Duration>,
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
    Pass(PassState),
    Choice(ChoiceState),
    Succeed,
    Fail(FailState),
}

#[derive(Clone, Debug)]
pub struct State {
    pub input_path: FilterPath,
    pub output_path: FilterPath,
    pub kind: StateKind,
}

impl State {
    /// `Task`, `Choice`...: the prefix of this state's `...StateEntered` events.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            StateKind::Task(_) => "Task",
            StateKind::Pass(_) => "Pass",
            StateKind::Choice(_) => "Choice",
            StateKind::Succeed => "Succeed",
            StateKind::Fail(_) => "Fail",
        }
    }
}

/// A loaded, checked definition.
#[derive(Clone, Debug)]
pub struct StateMachine {
    name: String,
    start_at: String,
    states: BTreeMap<String, State>,
}

const TOP_LEVEL_FIELDS: [&str; 5] = ["StartAt", "States", "Comment", "Version", "QueryLanguage"];
const COMMON_FIELDS: [&str; 3] = ["Type", "Comment", "QueryLanguage"];
const TASK_FIELDS: [&str; 11] = [
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
];
const PASS_FIELDS: [&str; 7] = [
    "InputPath",
    "OutputPath",
    "Parameters",
    "Result",
    "ResultPath",
    "Next",
    "End",
];
const CHOICE_FIELDS: [&str; 4] = ["InputPath", "OutputPath", "Choices", "Default"];
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
        let raw = substitute(raw, substitutions)?;
        let top = raw
            .as_object()
            .ok_or_else(|| invalid(None, "the definition must be a JSON object"))?;
        check_fields(None, top, &TOP_LEVEL_FIELDS, &[])?;
        check_query_language(None, top)?;
        let start_at = top
            .get("StartAt")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid(None, "StartAt must name a state"))?
            .to_string();
        let raw_states = top
            .get("States")
            .and_then(Value::as_object)
            .filter(|states| !states.is_empty())
            .ok_or_else(|| invalid(None, "States must be a non-empty object"))?;
        let mut states = BTreeMap::new();
        for (state_name, raw_state) in raw_states {
            states.insert(state_name.clone(), load_state(state_name, raw_state)?);
        }
        let machine = Self {
            name: name.to_string(),
            start_at,
            states,
        };
        machine.check_transitions()?;
        Ok(machine)
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
    pub fn start_at(&self) -> &str {
        &self.start_at
    }
    pub fn state(&self, name: &str) -> Option<&State> {
        self.states.get(name)
    }
    pub fn state_names(&self) -> impl Iterator<Item = &str> {
        self.states.keys().map(String::as_str)
    }

    fn check_transitions(&self) -> Result<(), LoadError> {
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
        check(None, "StartAt", &self.start_at)?;
        for (name, state) in &self.states {
            let from = Some(name.as_str());
            match &state.kind {
                StateKind::Task(task) => {
                    if let Transition::Next(next) = &task.transition {
                        check(from, "Next", next)?;
                    }
                    for catcher in &task.catch {
                        check(from, "Catch Next", &catcher.next)?;
                    }
                }
                StateKind::Pass(pass) => {
                    if let Transition::Next(next) = &pass.transition {
                        check(from, "Next", next)?;
                    }
                }
                StateKind::Choice(choice) => {
                    for rule in &choice.rules {
                        check(from, "Choices Next", &rule.next)?;
                    }
                    if let Some(default) = &choice.default {
                        check(from, "Default", default)?;
                    }
                }
                StateKind::Succeed | StateKind::Fail(_) => {}
            }
        }
        Ok(())
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
        "Pass" => &PASS_FIELDS,
        "Choice" => &CHOICE_FIELDS,
        "Succeed" => &SUCCEED_FIELDS,
        "Fail" => &FAIL_FIELDS,
        "Map" | "Parallel" | "Wait" => return Err(unsupported(at, &format!("Type {type_name}"))),
        other => return Err(invalid(at, format!("unknown Type {other:?}"))),
    };
    check_fields(at, fields, allowed, &COMMON_FIELDS)?;
    let input_path = FilterPath::compile(fields.get("InputPath"))
        .map_err(|e| classify(at, format!("InputPath {e}")))?;
    let output_path = FilterPath::compile(fields.get("OutputPath"))
        .map_err(|e| classify(at, format!("OutputPath {e}")))?;
    let kind = match type_name {
        "Task" => StateKind::Task(Box::new(load_task(name, fields)?)),
        "Pass" => StateKind::Pass(PassState {
            result: fields.get("Result").cloned(),
            parameters: template(at, fields, "Parameters")?,
            result_path: result_path(at, fields)?,
            transition: transition(at, fields)?,
        }),
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
        kind,
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
    let retry = match fields.get("Retry") {
        Some(v) => compile_retriers(v).map_err(|e| classify(at, e))?,
        None => Vec::new(),
    };
    let catch = match fields.get("Catch") {
        Some(v) => compile_catchers(v).map_err(|e| classify(at, e))?,
        None => Vec::new(),
    };
    Ok(TaskState {
        resource,
        parameters: template(at, fields, "Parameters")?,
        result_selector: template(at, fields, "ResultSelector")?,
        result_path: result_path(at, fields)?,
        retry,
        catch,
        timeout,
        transition: transition(at, fields)?,
    })
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
