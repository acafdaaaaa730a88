//! Reading a branch and its states from the definition's JSON: the fields each
//! state kind allows, each kind's fields compiled and checked, and every
//! transition checked to name a state of its branch. Branches and states are read
//! together because they nest: a Parallel or Map state holds branches of its own.

use super::fields::{
    check_fields, check_query_language, classify, invalid, non_empty_array, optional, result_path,
    string_field, template, transition, unsupported,
};
use super::states::{
    Branch, ChoiceState, FailState, Handling, MapState, ParallelState, PassState, Resource, State,
    StateKind, TaskState, Transition, WaitFor, WaitState,
};
use crate::choice::ChoiceRule;
use crate::error::LoadError;
use crate::path::{JsonPath, PathSource};
use crate::processing::FilterPath;
use crate::retry::{compile_catchers, compile_retriers};
use crate::template::Template;
use crate::timestamp::parse_timestamp;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// The fields a branch allows besides those its holder adds.
const BRANCH_FIELDS: [&str; 3] = ["StartAt", "States", "Comment"];
/// The fields every state allows, whatever its kind.
const COMMON_FIELDS: [&str; 3] = ["Type", "Comment", "QueryLanguage"];
/// The fields the states that do work (Task, Parallel, Map) share: their input is
/// shaped, their result selected and placed, their errors retried and caught.
const WORK_FIELDS: [&str; 10] = [
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultSelector",
    "ResultPath",
    "Retry",
    "Catch",
    "Next",
    "End",
    "Assign",
];
// The fields each state kind allows besides `COMMON_FIELDS` (and `WORK_FIELDS`).
const TASK_FIELDS: [&str; 2] = ["Resource", "TimeoutSeconds"];
const PARALLEL_FIELDS: [&str; 1] = ["Branches"];
const MAP_FIELDS: [&str; 7] = [
    "ItemsPath",
    "ItemSelector",
    "ItemProcessor",
    "Iterator",
    "MaxConcurrency",
    "ToleratedFailureCount",
    "ToleratedFailurePercentage",
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

impl Branch {
    /// `at` is the state holding the branch (None for the machine itself);
    /// `extra` the fields the holder allows besides StartAt, States and Comment.
    pub(super) fn load(at: Option<&str>, raw: &Value, extra: &[&str]) -> Result<Self, LoadError> {
        let top = raw
            .as_object()
            .ok_or_else(|| invalid(at, "a branch must be a JSON object"))?;
        check_fields(at, top, &BRANCH_FIELDS, &[extra])?;
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
    let allowed: &[&[&str]] = match type_name {
        "Task" => &[&WORK_FIELDS, &TASK_FIELDS],
        "Parallel" => &[&WORK_FIELDS, &PARALLEL_FIELDS],
        "Map" => &[&WORK_FIELDS, &MAP_FIELDS],
        "Pass" => &[&PASS_FIELDS],
        "Wait" => &[&WAIT_FIELDS],
        "Choice" => &[&CHOICE_FIELDS],
        "Succeed" => &[&SUCCEED_FIELDS],
        "Fail" => &[&FAIL_FIELDS],
        other => return Err(invalid(at, format!("unknown Type {other:?}"))),
    };
    check_fields(at, fields, &COMMON_FIELDS, allowed)?;
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
        assign: optional(at, fields, "Assign", |value| {
            Template::compile_assign(value).map_err(|e| format!("Assign: {e}"))
        })?,
        kind,
    })
}

fn load_handling(at: Option<&str>, fields: &Map<String, Value>) -> Result<Handling, LoadError> {
    let retry = optional(at, fields, "Retry", compile_retriers)?;
    let catch = optional(at, fields, "Catch", compile_catchers)?;
    Ok(Handling {
        result_selector: template(at, fields, "ResultSelector")?,
        result_path: result_path(at, fields)?,
        retry: retry.unwrap_or_default(),
        catch: catch.unwrap_or_default(),
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
    let timeout = optional(at, fields, "TimeoutSeconds", |v| {
        v.as_u64()
            .filter(|s| *s >= 1)
            .map(Duration::from_secs)
            .ok_or_else(|| "TimeoutSeconds must be a positive integer".to_string())
    })?;
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
    let branches = non_empty_array(at, fields, "Branches")?
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
    let max_concurrency = optional(at, fields, "MaxConcurrency", |v| {
        v.as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| "MaxConcurrency must be a non-negative integer".to_string())
    })?
    .unwrap_or(0);
    let tolerated_failure_count = optional(at, fields, "ToleratedFailureCount", |v| {
        v.as_u64()
            .ok_or_else(|| "ToleratedFailureCount must be a non-negative integer".to_string())
    })?;
    let tolerated_failure_percentage = optional(at, fields, "ToleratedFailurePercentage", |v| {
        v.as_f64()
            .filter(|p| (0.0..=100.0).contains(p))
            .ok_or_else(|| "ToleratedFailurePercentage must be a number from 0 to 100".to_string())
    })?;
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

fn load_choice(name: &str, fields: &Map<String, Value>) -> Result<StateKind, LoadError> {
    let at = Some(name);
    let rules = non_empty_array(at, fields, "Choices")?
        .iter()
        .map(|rule| ChoiceRule::compile(rule).map_err(|e| classify(at, e)))
        .collect::<Result<Vec<_>, _>>()?;
    let default = string_field(at, fields, "Default")?;
    Ok(StateKind::Choice(ChoiceState { rules, default }))
}
