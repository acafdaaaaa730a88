//! The template's state machines as SAM deploys them: the definition file its
//! `DefinitionUri` names, with its `DefinitionSubstitutions` applied, loaded by the local
//! engine as a workflow of its `Type`, with its `Logging`. A placeholder no substitution
//! replaced is refused by name: SAM would deploy it as text, and the first execution
//! would fail on it.

use super::state_machine_logging::logging;
use super::{texts, Inputs, Resource, Resources, Template, TemplateError};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use wisaw_asl::{LoadError, StateMachine, WorkflowType};
use wisaw_sfn_api::Logging;

/// One state machine of the template, ready to run.
pub struct DeployedMachine {
    pub logical_id: String,
    /// Its `Name`, as its executions' ARNs carry it.
    pub name: String,
    /// Its `Type`, which the machine runs with.
    pub workflow_type: WorkflowType,
    /// Where its executions' events are logged.
    pub logging: Logging,
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
    // As CloudFormation takes it: in capitals, STANDARD when not given.
    let workflow_type = match &properties["Type"] {
        Value::Null => WorkflowType::Standard,
        Value::String(kind) if kind == "STANDARD" => WorkflowType::Standard,
        Value::String(kind) if kind == "EXPRESS" => WorkflowType::Express,
        other => {
            return Err(TemplateError::Malformed(format!(
                "{id}'s Type {other}: STANDARD or EXPRESS"
            )))
        }
    };
    let logging = logging(id, &properties["Logging"])?;
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
    let unresolved = |placeholder: &str| {
        TemplateError::Unresolved(format!("{id}'s definition placeholder ${{{placeholder}}}"))
    };
    let machine = StateMachine::load(&name, &definition, &substitutions)
        .map_err(|e| match e {
            LoadError::Unresolved { placeholders, .. } => unresolved(&placeholders[0]),
            e => TemplateError::Malformed(format!("{id}'s definition: {e}")),
        })?
        .with_workflow_type(workflow_type);
    if let Some(placeholder) = machine.unresolved_placeholders().first() {
        return Err(unresolved(placeholder));
    }
    Ok(DeployedMachine {
        logical_id: resource.logical_id,
        name,
        workflow_type,
        logging,
        machine,
    })
}
