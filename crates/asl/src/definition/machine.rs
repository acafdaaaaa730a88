//! The state machine: a whole definition, loaded from its JSON text or file with
//! its `${Name}` substitutions applied, its workflow type, and what the runner asks of
//! it. Its ARN and its executions' ARNs are built here and nowhere else.

use super::fields::{check_query_language, invalid};
use super::states::{Branch, State};
use crate::error::LoadError;
use crate::substitution::{placeholders, substitute, substitute_text};
use serde_json::Value;
use sfn_vocabulary::WorkflowType;
use std::collections::HashMap;
use std::path::Path;

/// A loaded, checked definition.
#[derive(Clone, Debug)]
pub struct StateMachine {
    name: String,
    root: Branch,
    /// `${Name}` placeholders no substitution replaced (left as written, as SAM does).
    unresolved: Vec<String>,
    /// The definition's text with its substitutions applied, as Step Functions keeps it.
    definition: String,
    /// Where its ARNs say it lives.
    region: String,
    account: String,
    /// STANDARD unless [`StateMachine::with_workflow_type`] says otherwise.
    workflow_type: WorkflowType,
}

/// The fields the definition allows at its top, besides those of a branch.
const TOP_LEVEL_FIELDS: [&str; 2] = ["Version", "QueryLanguage"];

impl StateMachine {
    /// The region of a machine's ARNs until [`StateMachine::with_region_and_account`].
    pub const LOCAL_REGION: &'static str = "local";
    /// The account of a machine's ARNs until [`StateMachine::with_region_and_account`].
    pub const LOCAL_ACCOUNT: &'static str = "000000000000";

    /// Loads a definition; `name` is the state machine's name (it appears in
    /// execution ids and in `$$.StateMachine.Name`).
    pub fn load(
        name: &str,
        definition: &str,
        substitutions: &HashMap<String, String>,
    ) -> Result<Self, LoadError> {
        let raw: Value =
            serde_json::from_str(definition).map_err(|e| LoadError::Json(e.to_string()))?;
        let machine = Self::from_value(name, raw, substitutions)?;
        // The text as written, substituted as text, as CloudFormation hands it over.
        Ok(Self {
            definition: substitute_text(definition, substitutions),
            ..machine
        })
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
        let unresolved = placeholders(&raw);
        let root = Branch::load(None, &raw, &TOP_LEVEL_FIELDS).map_err(|cause| {
            if unresolved.is_empty() {
                cause
            } else {
                LoadError::Unresolved {
                    placeholders: unresolved.clone(),
                    cause: Box::new(cause),
                }
            }
        })?;
        Ok(Self {
            name: name.to_string(),
            root,
            unresolved,
            definition: raw.to_string(),
            region: Self::LOCAL_REGION.to_string(),
            account: Self::LOCAL_ACCOUNT.to_string(),
            workflow_type: WorkflowType::Standard,
        })
    }

    /// The same machine with ARNs in `region` and `account` (a deployed stage's, for
    /// example `us-east-1` and `123456789012`). A region is lowercase letters, digits
    /// and dashes; an account is 12 digits.
    pub fn with_region_and_account(self, region: &str, account: &str) -> Result<Self, LoadError> {
        let region_ok = !region.is_empty()
            && region
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !region_ok {
            return Err(invalid(None, format!("{region:?} is not a region")));
        }
        if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid(None, format!("{account:?} is not an account id")));
        }
        Ok(Self {
            region: region.to_string(),
            account: account.to_string(),
            ..self
        })
    }

    /// The same machine as a workflow of `workflow_type` (its `Type` on AWS).
    pub fn with_workflow_type(self, workflow_type: WorkflowType) -> Self {
        Self {
            workflow_type,
            ..self
        }
    }

    pub fn workflow_type(&self) -> WorkflowType {
        self.workflow_type
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn region(&self) -> &str {
        &self.region
    }
    pub fn account(&self) -> &str {
        &self.account
    }
    /// `arn:aws:states:REGION:ACCOUNT:stateMachine:NAME`.
    pub fn arn(&self) -> String {
        self.states_arn("stateMachine", &self.name)
    }
    /// `arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME`: the ARN a Standard
    /// execution `name` of this machine has.
    pub fn execution_arn(&self, name: &str) -> String {
        let resource_type = WorkflowType::Standard.execution_resource_type();
        self.states_arn(resource_type, &format!("{}:{name}", self.name))
    }
    /// The ARN of an execution `name` starting now: [`StateMachine::execution_arn`] for a
    /// Standard machine; for an Express one, `...:express:MACHINE:NAME:ID` with an id of its
    /// own, as no two Express executions share an ARN even when they share a name.
    pub fn new_execution_arn(&self, name: &str) -> String {
        match self.workflow_type {
            WorkflowType::Standard => self.execution_arn(name),
            WorkflowType::Express => {
                let id = uuid::Uuid::new_v4();
                let resource_type = WorkflowType::Express.execution_resource_type();
                self.states_arn(resource_type, &format!("{}:{name}:{id}", self.name))
            }
        }
    }
    /// The role its executions run as (`$$.Execution.RoleArn`): there is none locally,
    /// so an ARN of the shape AWS gives, in the machine's account.
    pub fn role_arn(&self) -> String {
        format!("arn:aws:iam::{}:role/wisaw-local-runner", self.account)
    }
    /// The definition's text, substitutions applied: the text of the file it was loaded
    /// from, or the compact JSON of the value it was built from.
    pub fn definition(&self) -> &str {
        &self.definition
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

    fn states_arn(&self, resource_type: &str, resource: &str) -> String {
        format!(
            "arn:aws:states:{}:{}:{resource_type}:{resource}",
            self.region, self.account
        )
    }
}
