//! What a loaded definition holds, state kind by state kind: the fields each
//! kind runs with, already compiled (paths, templates, Retry and Catch), and the
//! branches that Parallel and Map states run.

use crate::choice::ChoiceRule;
use crate::path::PathSource;
use crate::processing::{FilterPath, ResultPath};
use crate::retry::{Catcher, Retrier};
use crate::template::Template;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// The Task resources the runner can run; the invoker receives their ARN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resource {
    LambdaInvoke,
    SqsSendMessage,
    /// A Lambda function named by its ARN (`arn:aws:lambda:REGION:ACCOUNT:function:NAME`,
    /// optionally with a version or alias): the older form of calling Lambda, whose
    /// result is the function's payload and whose events are `LambdaFunction...`.
    LambdaFunction(String),
}

impl Resource {
    pub const LAMBDA_INVOKE_ARN: &'static str = "arn:aws:states:::lambda:invoke";
    pub const SQS_SEND_MESSAGE_ARN: &'static str = "arn:aws:states:::sqs:sendMessage";

    pub(super) fn parse(arn: &str) -> Option<Self> {
        match arn {
            Self::LAMBDA_INVOKE_ARN => Some(Self::LambdaInvoke),
            Self::SQS_SEND_MESSAGE_ARN => Some(Self::SqsSendMessage),
            _ if is_function_arn(arn) => Some(Self::LambdaFunction(arn.to_string())),
            _ => None,
        }
    }

    /// The ARN the invoker is called with: a function named by its ARN is called
    /// through `lambda:invoke`, as AWS calls it.
    pub fn arn(&self) -> &'static str {
        match self {
            Self::LambdaInvoke | Self::LambdaFunction(_) => Self::LAMBDA_INVOKE_ARN,
            Self::SqsSendMessage => Self::SQS_SEND_MESSAGE_ARN,
        }
    }

    /// `resourceType` and `resource` as `Task...` events name a service integration;
    /// `None` for a function named by its ARN, whose events are `LambdaFunction...`.
    pub fn event_names(&self) -> Option<(&'static str, &'static str)> {
        match self {
            Self::LambdaInvoke => Some(("lambda", "invoke")),
            Self::SqsSendMessage => Some(("sqs", "sendMessage")),
            Self::LambdaFunction(_) => None,
        }
    }

    /// The resource as a cause names it (`States.DataLimitExceeded` blames it for a
    /// result too large): the integrated service (`lambda`), or the function's ARN.
    pub fn name(&self) -> &str {
        match self {
            Self::LambdaInvoke => "lambda",
            Self::SqsSendMessage => "sqs",
            Self::LambdaFunction(arn) => arn,
        }
    }
}

/// `arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`.
fn is_function_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    matches!(
        parts[..],
        ["arn", _, "lambda", _, _, "function", ..] if (7..=8).contains(&parts.len())
    ) && parts.iter().all(|part| !part.is_empty())
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
    pub(super) start_at: String,
    pub(super) states: BTreeMap<String, State>,
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
}
