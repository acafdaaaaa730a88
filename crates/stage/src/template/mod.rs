//! A SAM template read as CloudFormation reads it: its parameters (defaults, then the
//! overrides given), the pseudo parameters of the stage, its conditions, SAM's `Globals`
//! merged into each function as SAM merges them, and every intrinsic resolved against the
//! stood-in resources. A construct this does not run is refused by name.

mod cfn;
mod globals;
mod parameters;
mod resolve;
mod state_machine;
mod state_machine_logging;

pub use cfn::Cfn;
pub use resolve::{Resources, Scope};
pub(crate) use state_machine::deployed as deployed_machine;
pub use state_machine::DeployedMachine;
pub use state_machine_logging::log_group_name;

use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Clone, Debug, thiserror::Error, PartialEq)]
pub enum TemplateError {
    #[error("the template is not YAML: {0}")]
    NotYaml(String),
    #[error("the template is malformed: {0}")]
    Malformed(String),
    #[error("{0} is not supported by the stage")]
    Unsupported(String),
    #[error("{0} cannot be resolved: nothing by that name")]
    Unresolved(String),
    #[error("the parameter {0} has no value: give it with --parameter-overrides {0}=VALUE")]
    MissingParameter(String),
    #[error("the parameter {0}: {1}")]
    InvalidParameter(String, String),
}

/// The pseudo parameters CloudFormation gives every stack.
#[derive(Clone, Debug)]
pub struct Pseudo {
    pub region: String,
    pub account_id: String,
    pub stack_name: String,
}

impl Pseudo {
    fn parameters(&self) -> [(&'static str, String); 5] {
        [
            ("AWS::Region", self.region.clone()),
            ("AWS::AccountId", self.account_id.clone()),
            ("AWS::StackName", self.stack_name.clone()),
            ("AWS::Partition", "aws".to_string()),
            ("AWS::URLSuffix", "amazonaws.com".to_string()),
        ]
    }
}

/// The template, parsed.
pub struct Template {
    root: Cfn,
}

/// A resource of the template, its properties resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    pub logical_id: String,
    pub kind: String,
    pub properties: Value,
    /// Its `Metadata` (how SAM builds a function, for one), resolved too.
    pub metadata: Value,
}

/// The values a template resolves against: parameters (with the pseudo ones) and
/// conditions, decided once.
pub struct Inputs {
    pub parameters: BTreeMap<String, Value>,
    pub conditions: BTreeMap<String, bool>,
}

impl Template {
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let yaml: serde_norway::Value =
            serde_norway::from_str(text).map_err(|e| TemplateError::NotYaml(e.to_string()))?;
        let root = Cfn::from_yaml(&yaml)?;
        for section in root.entries().iter().map(|(name, _)| name.as_str()) {
            if !KNOWN_SECTIONS.contains(&section) {
                return Err(TemplateError::Unsupported(format!("the section {section}")));
            }
        }
        Ok(Self { root })
    }

    /// The parameters' values (defaults, then `overrides`) and the pseudo parameters, and
    /// the conditions evaluated with them.
    pub fn inputs(
        &self,
        overrides: &BTreeMap<String, String>,
        pseudo: &Pseudo,
        resources: &dyn Resources,
    ) -> Result<Inputs, TemplateError> {
        let mut parameters = BTreeMap::new();
        for (name, declaration) in self.section("Parameters") {
            let given = overrides
                .get(name)
                .cloned()
                .or_else(|| declaration.get("Default").and_then(scalar_text));
            let given = given.ok_or_else(|| TemplateError::MissingParameter(name.clone()))?;
            parameters.insert(name.clone(), parameters::value(name, declaration, given)?);
        }
        if let Some(unknown) = overrides.keys().find(|k| !parameters.contains_key(*k)) {
            return Err(TemplateError::Unresolved(format!(
                "the parameter {unknown}"
            )));
        }
        for (name, value) in pseudo.parameters() {
            parameters.insert(name.to_string(), Value::String(value));
        }
        let conditions = self.conditions(&parameters, resources)?;
        Ok(Inputs {
            parameters,
            conditions,
        })
    }

    /// Every condition, in any order they refer to one another.
    fn conditions(
        &self,
        parameters: &BTreeMap<String, Value>,
        resources: &dyn Resources,
    ) -> Result<BTreeMap<String, bool>, TemplateError> {
        let pending: Vec<&(String, Cfn)> = self.section("Conditions").iter().collect();
        let mut decided = BTreeMap::new();
        // Each pass decides at least one condition, or one refers to one that never is.
        for _ in 0..=pending.len() {
            let mut progress = false;
            for (name, condition) in &pending {
                if decided.contains_key(name) {
                    continue;
                }
                let scope = Scope {
                    parameters,
                    conditions: &decided,
                    resources,
                };
                match scope.condition(condition) {
                    Ok(value) => {
                        decided.insert(name.clone(), value);
                        progress = true;
                    }
                    Err(TemplateError::Unresolved(what)) if what.starts_with("the condition ") => {}
                    Err(other) => return Err(other),
                }
            }
            if !progress {
                break;
            }
        }
        match pending.iter().find(|(name, _)| !decided.contains_key(name)) {
            Some((name, _)) => Err(TemplateError::Unresolved(format!(
                "the condition {name} (it refers to itself or to one that does not exist)"
            ))),
            None => Ok(decided),
        }
    }

    /// The resources of `kind`, in the template's order, their properties resolved, with
    /// SAM's `Globals` of that kind merged in first; a resource whose `Condition` is
    /// false is left out, as CloudFormation leaves it out.
    pub fn resources_of(
        &self,
        kind: &str,
        inputs: &Inputs,
        resources: &dyn Resources,
    ) -> Result<Vec<Resource>, TemplateError> {
        let mut found = Vec::new();
        for (logical_id, _) in self.declared().filter(|(_, k)| *k == kind) {
            if let Some(resource) = self.resource(logical_id, inputs, resources)? {
                found.push(resource);
            }
        }
        Ok(found)
    }

    /// Every resource's logical id and type, in the template's order.
    pub fn declared(&self) -> impl Iterator<Item = (&str, &str)> {
        self.section("Resources").iter().map(|(id, resource)| {
            let kind = resource.get("Type").and_then(Cfn::as_str).unwrap_or("");
            (id.as_str(), kind)
        })
    }

    /// One resource, resolved as [`Template::resources_of`] resolves it; `None` when its
    /// condition is false. An intrinsic naming a resource `resources` does not know yet
    /// is [`TemplateError::Unresolved`]: create that one first.
    pub fn resource(
        &self,
        logical_id: &str,
        inputs: &Inputs,
        resources: &dyn Resources,
    ) -> Result<Option<Resource>, TemplateError> {
        let declared = self
            .section("Resources")
            .iter()
            .find(|(id, _)| id == logical_id)
            .map(|(_, resource)| resource)
            .ok_or_else(|| TemplateError::Unresolved(format!("the resource {logical_id}")))?;
        let kind = declared
            .get("Type")
            .and_then(Cfn::as_str)
            .ok_or_else(|| TemplateError::Malformed(format!("{logical_id} has no Type")))?;
        if let Some(condition) = declared.get("Condition").and_then(Cfn::as_str) {
            if !inputs
                .conditions
                .get(condition)
                .copied()
                .ok_or_else(|| TemplateError::Unresolved(format!("the condition {condition}")))?
            {
                return Ok(None);
            }
        }
        let scope = Scope {
            parameters: &inputs.parameters,
            conditions: &inputs.conditions,
            resources,
        };
        let properties = declared
            .get("Properties")
            .cloned()
            .unwrap_or(Cfn::Map(Vec::new()));
        let properties = match globals::of_kind(self.root.get("Globals"), kind) {
            Some(globals) => globals::merged(globals, &properties),
            None => properties,
        };
        let metadata = match declared.get("Metadata") {
            Some(metadata) => scope.resolve(metadata)?.unwrap_or(Value::Null),
            None => Value::Null,
        };
        Ok(Some(Resource {
            logical_id: logical_id.to_string(),
            kind: kind.to_string(),
            properties: scope.resolve(&properties)?.unwrap_or(Value::Null),
            metadata,
        }))
    }

    /// The stack's `Outputs`, each value resolved, in the template's order (an output
    /// whose condition is false is left out).
    pub fn outputs(
        &self,
        inputs: &Inputs,
        resources: &dyn Resources,
    ) -> Result<Vec<(String, Value)>, TemplateError> {
        let scope = Scope {
            parameters: &inputs.parameters,
            conditions: &inputs.conditions,
            resources,
        };
        let mut outputs = Vec::new();
        for (name, output) in self.section("Outputs") {
            if let Some(condition) = output.get("Condition").and_then(Cfn::as_str) {
                if !inputs.conditions.get(condition).copied().unwrap_or(false) {
                    continue;
                }
            }
            let value = output.get("Value").ok_or_else(|| {
                TemplateError::Malformed(format!("the output {name} has no Value"))
            })?;
            if let Some(value) = scope.resolve(value)? {
                outputs.push((name.clone(), value));
            }
        }
        Ok(outputs)
    }

    /// The names of the template's parameters.
    pub fn parameter_names(&self) -> impl Iterator<Item = &str> {
        self.section("Parameters")
            .iter()
            .map(|(name, _)| name.as_str())
    }

    fn section(&self, name: &str) -> &[(String, Cfn)] {
        self.root.get(name).map_or(&[], Cfn::entries)
    }
}

/// The sections a template may have; any other is refused rather than ignored.
const KNOWN_SECTIONS: [&str; 9] = [
    "AWSTemplateFormatVersion",
    "Transform",
    "Description",
    "Metadata",
    "Parameters",
    "Conditions",
    "Globals",
    "Resources",
    "Outputs",
];

fn scalar_text(value: &Cfn) -> Option<String> {
    match value {
        Cfn::Scalar(Value::String(s)) => Some(s.clone()),
        Cfn::Scalar(Value::Number(n)) => Some(n.to_string()),
        Cfn::Scalar(Value::Bool(b)) => Some(b.to_string()),
        _ => None,
    }
}

/// A map of the template whose values Lambda or SAM takes as text (variables,
/// substitutions): each value as that text. `what` names the map in an error.
pub fn texts(
    id: &str,
    what: &str,
    value: &Value,
) -> Result<BTreeMap<String, String>, TemplateError> {
    let Some(entries) = value.as_object() else {
        return Ok(BTreeMap::new());
    };
    entries
        .iter()
        .map(|(name, value)| match value {
            Value::String(text) => Ok((name.clone(), text.clone())),
            Value::Number(n) => Ok((name.clone(), n.to_string())),
            Value::Bool(b) => Ok((name.clone(), b.to_string())),
            other => Err(TemplateError::Malformed(format!(
                "{id}'s {what} {name} is not text: {other}"
            ))),
        })
        .collect()
}

/// A whole number as CloudFormation passes it: a number, or its text.
pub(crate) fn whole_number(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}
