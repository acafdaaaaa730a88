//! The template's state machines as SAM deploys them: the definition file its
//! `DefinitionUri` names, with its `DefinitionSubstitutions` applied, loaded by the local
//! engine. A placeholder no substitution replaced is refused by name: SAM would deploy it
//! as text, and the first execution would fail on it.

use super::{texts, Inputs, Resource, Resources, Template, TemplateError};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use wisaw_asl::StateMachine;

/// One state machine of the template, ready to run.
pub struct DeployedMachine {
    pub logical_id: String,
    /// Its `Name`, as its executions' ARNs carry it.
    pub name: String,
    /// `STANDARD` or `EXPRESS`.
    pub kind: String,
    pub machine: StateMachine,
}

impl Template {
    /// Every `AWS::Serverless::StateMachine`, its definition read from `template_dir`.
    pub fn state_machines(
        &self,
        inputs: &Inputs,
        resources: &dyn Resources,
        template_dir: &Path,
    ) -> Result<Vec<DeployedMachine>, TemplateError> {
        self.resources_of("AWS::Serverless::StateMachine", inputs, resources)?
            .into_iter()
            .map(|resource| deployed(resource, template_dir))
            .collect()
    }
}

pub(crate) fn deployed(
    resource: Resource,
    template_dir: &Path,
) -> Result<DeployedMachine, TemplateError> {
    let properties = &resource.properties;
    let id = &resource.logical_id;
    let name = properties["Name"].as_str().unwrap_or(id).to_string();
    let kind = properties["Type"]
        .as_str()
        .unwrap_or("STANDARD")
        .to_string();
    match kind.as_str() {
        "STANDARD" => {}
        // Express's semantics (names not unique, at-least-once runs, histories in
        // CloudWatch Logs only) are not the local engine's: refused, never run as Standard.
        "EXPRESS" => {
            return Err(TemplateError::Unsupported(format!(
                "{id}'s Type EXPRESS (the stage runs Standard workflows)"
            )))
        }
        other => {
            return Err(TemplateError::Malformed(format!(
                "{id}'s Type {other}: STANDARD or EXPRESS"
            )))
        }
    }
    let definition = match (&properties["DefinitionUri"], &properties["Definition"]) {
        (Value::String(uri), Value::Null) => {
            let path = template_dir.join(uri);
            std::fs::read_to_string(&path)
                .map_err(|e| TemplateError::Malformed(format!("{id}: {}: {e}", path.display())))?
        }
        (Value::Null, Value::Object(_)) => properties["Definition"].to_string(),
        (Value::Object(_), _) => {
            return Err(TemplateError::Unsupported(format!(
                "{id}'s DefinitionUri as an S3 location"
            )))
        }
        _ => {
            return Err(TemplateError::Malformed(format!(
                "{id} needs one DefinitionUri (a file) or Definition"
            )))
        }
    };
    let substitutions: HashMap<String, String> =
        texts(id, "substitution", &properties["DefinitionSubstitutions"])?
            .into_iter()
            .collect();
    let machine = StateMachine::load(&name, &definition, &substitutions)
        .map_err(|e| TemplateError::Malformed(format!("{id}'s definition: {e}")))?;
    if let Some(placeholder) = machine.unresolved_placeholders().first() {
        return Err(TemplateError::Unresolved(format!(
            "{id}'s definition placeholder ${{{placeholder}}}"
        )));
    }
    Ok(DeployedMachine {
        logical_id: resource.logical_id,
        name,
        kind,
        machine,
    })
}
