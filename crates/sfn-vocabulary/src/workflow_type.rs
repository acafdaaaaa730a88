//! A state machine's workflow type, its `Type` on AWS: STANDARD or EXPRESS. What the
//! runner does differently for each is decided here, and only here:
//!
//! - a name: a Standard start under a name already used starts nothing
//!   (`AlreadyExists`); an Express start always starts another execution, as Step
//!   Functions does ("idempotency is not automatically managed");
//! - an id: a Standard execution's ARN is its machine's and its name; an Express
//!   execution's has the resource type `express` and an id of its own after the name, so
//!   executions that share a name stay apart;
//! - a duration: an Express execution runs at most five minutes, then ends `TIMED_OUT`;
//!   a Standard one runs until it ends (a year on AWS, not enforced here).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// How long an Express execution may run.
pub const EXPRESS_MAX_DURATION: Duration = Duration::from_secs(5 * 60);

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum WorkflowType {
    #[default]
    Standard,
    Express,
}

impl WorkflowType {
    pub const ALL: [WorkflowType; 2] = [Self::Standard, Self::Express];

    /// As AWS spells it: `STANDARD`, `EXPRESS`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "STANDARD",
            Self::Express => "EXPRESS",
        }
    }

    /// Whether a start under a name already used is refused.
    pub fn names_are_unique(self) -> bool {
        self == Self::Standard
    }

    /// How long an execution may run before it ends `TIMED_OUT`; `None`: until it ends.
    pub fn max_duration(self) -> Option<Duration> {
        match self {
            Self::Standard => None,
            Self::Express => Some(EXPRESS_MAX_DURATION),
        }
    }

    /// The resource type of its executions' ARNs.
    pub fn execution_resource_type(self) -> &'static str {
        match self {
            Self::Standard => "execution",
            Self::Express => "express",
        }
    }

    /// The type of the execution whose ARN is `execution_arn`: what it started as, whatever
    /// the machine that resumes it is now.
    pub fn of_execution(execution_arn: &str) -> Self {
        let resource_type = execution_arn.split(':').nth(5);
        match resource_type {
            Some(kind) if kind == Self::Express.execution_resource_type() => Self::Express,
            _ => Self::Standard,
        }
    }
}

impl fmt::Display for WorkflowType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A workflow type that is neither STANDARD nor EXPRESS.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a workflow type: STANDARD or EXPRESS")]
pub struct UnknownWorkflowType(pub String);

/// Either spelling, in any case (`express`, `EXPRESS`).
impl FromStr for WorkflowType {
    type Err = UnknownWorkflowType;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| UnknownWorkflowType(text.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workflow_type_is_read_in_any_case_and_anything_else_is_refused_by_name() {
        assert_eq!("express".parse(), Ok(WorkflowType::Express));
        assert_eq!("EXPRESS".parse(), Ok(WorkflowType::Express));
        assert_eq!("Standard".parse(), Ok(WorkflowType::Standard));
        let refused = "sometimes".parse::<WorkflowType>().unwrap_err();
        assert_eq!(
            refused.to_string(),
            "`sometimes` is not a workflow type: STANDARD or EXPRESS"
        );
        assert!("".parse::<WorkflowType>().is_err());
    }

    #[test]
    fn an_execution_arn_tells_its_workflow_type() {
        let express = "arn:aws:states:local:000000000000:express:upload:photo:0000-1111";
        let standard = "arn:aws:states:local:000000000000:execution:upload:photo";
        assert_eq!(WorkflowType::of_execution(express), WorkflowType::Express);
        assert_eq!(WorkflowType::of_execution(standard), WorkflowType::Standard);
        // A name that reads "express" is still a Standard execution's.
        let named_express = "arn:aws:states:local:000000000000:execution:upload:express";
        assert_eq!(
            WorkflowType::of_execution(named_express),
            WorkflowType::Standard
        );
    }
}
