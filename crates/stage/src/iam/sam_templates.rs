//! SAM's policy templates (`- LambdaInvokePolicy: {FunctionName: ...}` in `Policies`),
//! expanded in the two steps a deploy takes: SAM's ([`expand`]: each `Ref` to one of the
//! template's parameters replaced by the value given, the rest left as written), then
//! CloudFormation's ([`resolve`]: `Fn::Sub` and the pseudo parameters, by the stage's own
//! resolver).
//!
//! `sam_policy_templates.json` is aws-sam-translator 1.115.0's
//! `samtranslator/policy_templates_data/policy_templates.json`, copied verbatim (its
//! `Version` field reads 0.0.1); the tests hold it, and SAM's own expansion of every
//! template, to the installed aws-sam-translator.

use super::policy::PolicyError;
use crate::template::{Cfn, Pseudo, Resources, Scope};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// The policy templates SAM defines, as SAM ships them.
pub const POLICY_TEMPLATES_JSON: &str = include_str!("sam_policy_templates.json");

/// Where [`POLICY_TEMPLATES_JSON`] comes from.
pub const SOURCE: &str =
    "aws-sam-translator 1.115.0, samtranslator/policy_templates_data/policy_templates.json";

static TEMPLATES: LazyLock<serde_json::Map<String, Value>> = LazyLock::new(|| {
    let file: Value =
        serde_json::from_str(POLICY_TEMPLATES_JSON).expect("SAM's policy templates are JSON");
    file["Templates"]
        .as_object()
        .cloned()
        .expect("SAM's policy templates have Templates")
});

/// Every policy template's name.
pub fn names() -> impl Iterator<Item = &'static str> {
    TEMPLATES.keys().map(String::as_str)
}

pub fn is_template(name: &str) -> bool {
    TEMPLATES.contains_key(name)
}

/// SAM's step: the template's `Definition`, each `{"Ref": P}` to one of its `Parameters`
/// replaced by `values[P]` (every parameter must have one; others given are ignored).
pub fn expand(name: &str, values: &Value) -> Result<Value, PolicyError> {
    let template = TEMPLATES.get(name).ok_or_else(|| {
        PolicyError::Malformed(format!("{name} is not a policy template SAM defines"))
    })?;
    let values = values.as_object().ok_or_else(|| {
        PolicyError::Malformed(format!(
            "Must specify valid parameter values for policy template '{name}'"
        ))
    })?;
    let parameters = template["Parameters"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut missing: Vec<&str> = parameters
        .keys()
        .filter(|p| !values.contains_key(*p))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        missing.sort_unstable();
        return Err(PolicyError::Malformed(format!(
            "Following required parameters of template '{name}' don't have values: {missing:?}"
        )));
    }
    let given: BTreeMap<&str, &Value> = values
        .iter()
        .filter(|(p, _)| parameters.contains_key(*p))
        .map(|(p, v)| (p.as_str(), v))
        .collect();
    substitute(name, &template["Definition"], &given)
}

fn substitute(
    name: &str,
    value: &Value,
    given: &BTreeMap<&str, &Value>,
) -> Result<Value, PolicyError> {
    Ok(match value {
        Value::Object(map) => {
            if let (1, Some(Value::String(reference))) = (map.len(), map.get("Ref")) {
                return given
                    .get(reference.as_str())
                    .map(|v| (*v).clone())
                    .ok_or_else(|| {
                        PolicyError::Unsupported(format!(
                        "the policy template {name}'s Ref {reference} (not one of its parameters)"
                    ))
                    });
            }
            let mut out = serde_json::Map::new();
            for (key, item) in map {
                out.insert(key.clone(), substitute(name, item, given)?);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| substitute(name, item, given))
                .collect::<Result<_, _>>()?,
        ),
        scalar => scalar.clone(),
    })
}

/// No resource is named inside a policy template: only pseudo parameters resolve.
struct NoResources;

impl Resources for NoResources {
    fn reference(&self, _: &str) -> Option<Value> {
        None
    }
    fn attribute(&self, _: &str, _: &str) -> Option<Value> {
        None
    }
}

/// CloudFormation's step: SAM's expansion resolved with the stage's pseudo parameters.
pub fn resolve(name: &str, expanded: &Value, pseudo: &Pseudo) -> Result<Value, PolicyError> {
    let parameters: BTreeMap<String, Value> = [
        ("AWS::Region", pseudo.region.as_str()),
        ("AWS::AccountId", pseudo.account_id.as_str()),
        ("AWS::StackName", pseudo.stack_name.as_str()),
        ("AWS::Partition", "aws"),
        ("AWS::URLSuffix", "amazonaws.com"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
    .collect();
    let conditions = BTreeMap::new();
    let scope = Scope {
        parameters: &parameters,
        conditions: &conditions,
        resources: &NoResources,
    };
    let unresolvable =
        |e: String| PolicyError::Unsupported(format!("the policy template {name}, resolved: {e}"));
    let yaml = serde_norway::to_value(expanded).map_err(|e| unresolvable(e.to_string()))?;
    let cfn = Cfn::from_yaml(&yaml).map_err(|e| unresolvable(e.to_string()))?;
    scope
        .resolve(&cfn)
        .map_err(|e| unresolvable(e.to_string()))?
        .ok_or_else(|| unresolvable("it resolves to nothing".into()))
}

/// The policy document a template gives, both steps taken.
pub fn document(name: &str, values: &Value, pseudo: &Pseudo) -> Result<Value, PolicyError> {
    resolve(name, &expand(name, values)?, pseudo)
}
