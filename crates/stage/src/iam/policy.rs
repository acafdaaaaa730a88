//! A policy document read as IAM reads one: `Version`, and `Statement` (one, or a list)
//! of `Effect`, `Action` or `NotAction`, `Resource` or `NotResource`, and `Condition`,
//! each a string or a list of strings. What this does not evaluate is refused by name
//! when the document is read, never ignored: a policy variable (`${aws:username}`) in a
//! resource or a condition's value among them.

use super::condition::Condition;
use serde_json::Value;

/// A document that cannot be evaluated, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// A construct the stage does not evaluate, named.
    #[error("{0}: the stage does not evaluate it")]
    Unsupported(String),
    /// Not a policy IAM would accept.
    #[error("{0}")]
    Malformed(String),
}

/// A policy document, named after where it came from (for errors).
#[derive(Clone, Debug)]
pub struct Policy {
    pub name: String,
    pub statements: Vec<Statement>,
}

#[derive(Clone, Debug)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub actions: Matcher,
    pub resources: Matcher,
    /// All must hold.
    pub conditions: Vec<Condition>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// `Action`/`Resource` (any pattern matches) or `NotAction`/`NotResource` (none does).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Matcher {
    AnyOf(Vec<String>),
    NoneOf(Vec<String>),
}

/// The versions of the policy language.
const VERSIONS: [&str; 2] = [VARIABLES_VERSION, "2008-10-17"];
/// The one version with policy variables; before it, `${...}` is text like any other.
const VARIABLES_VERSION: &str = "2012-10-17";

impl Policy {
    pub fn parse(name: &str, document: &Value) -> Result<Self, PolicyError> {
        let malformed = |what: String| PolicyError::Malformed(format!("{name}: {what}"));
        let fields = document
            .as_object()
            .ok_or_else(|| malformed("a policy document is an object".into()))?;
        for key in fields.keys() {
            if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
                return Err(malformed(format!("unknown element {key}")));
            }
        }
        // Without a Version, IAM reads a document as 2008-10-17.
        let version = match fields.get("Version") {
            None => "2008-10-17",
            Some(Value::String(v)) if VERSIONS.contains(&v.as_str()) => v.as_str(),
            Some(other) => return Err(malformed(format!("the Version {other} is not IAM's"))),
        };
        let statements = match fields.get("Statement") {
            Some(Value::Array(list)) => list.iter().collect(),
            Some(one @ Value::Object(_)) => vec![one],
            _ => return Err(malformed("it has no Statement".into())),
        };
        let statements = statements
            .into_iter()
            .enumerate()
            .map(|(index, statement)| {
                let name = format!("{name}, statement {index}");
                parse_statement(&name, version, statement)
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            name: name.to_string(),
            statements,
        })
    }
}

fn parse_statement(name: &str, version: &str, statement: &Value) -> Result<Statement, PolicyError> {
    let malformed = |what: String| PolicyError::Malformed(format!("{name}: {what}"));
    let fields = statement
        .as_object()
        .ok_or_else(|| malformed("a statement is an object".into()))?;
    for key in fields.keys() {
        match key.as_str() {
            "Sid" | "Effect" | "Action" | "NotAction" | "Resource" | "NotResource"
            | "Condition" => {}
            "Principal" | "NotPrincipal" => {
                return Err(malformed(format!(
                    "{key} belongs in a resource policy, not a role's"
                )))
            }
            other => return Err(malformed(format!("unknown element {other}"))),
        }
    }
    let effect = match fields.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        other => {
            return Err(malformed(format!(
                "the Effect {other:?} is not Allow or Deny"
            )))
        }
    };
    let actions = matcher(name, fields, "Action", "NotAction")?;
    for pattern in patterns(&actions) {
        if pattern != "*" && !pattern.contains(':') {
            return Err(malformed(format!(
                "the action {pattern:?} is not service:Action"
            )));
        }
    }
    let resources = matcher(name, fields, "Resource", "NotResource")?;
    // IAM substitutes them where they stand; compared as written they would match no
    // caller's value, and a negated condition or a `NotResource` would then hold for all.
    let variables = version == VARIABLES_VERSION;
    if variables {
        let found = patterns(&resources).find_map(|p| policy_variable(p).map(|v| (v, p)));
        if let Some((variable, pattern)) = found {
            return Err(PolicyError::Unsupported(format!(
                "{name}: the policy variable {variable} in the resource {pattern:?}"
            )));
        }
    }
    let conditions = match fields.get("Condition") {
        None => Vec::new(),
        Some(block) => Condition::parse_block(name, block, variables)?,
    };
    Ok(Statement {
        sid: fields
            .get("Sid")
            .and_then(Value::as_str)
            .map(str::to_string),
        effect,
        actions,
        resources,
        conditions,
    })
}

/// The first policy variable in `text` (`${aws:username}`), as written.
pub(crate) fn policy_variable(text: &str) -> Option<&str> {
    let rest = &text[text.find("${")?..];
    Some(rest.find('}').map_or(rest, |end| &rest[..=end]))
}

fn patterns(matcher: &Matcher) -> impl Iterator<Item = &str> {
    match matcher {
        Matcher::AnyOf(p) | Matcher::NoneOf(p) => p.iter().map(String::as_str),
    }
}

/// `Action` or `NotAction` (exactly one), each a string or a list of strings.
fn matcher(
    name: &str,
    fields: &serde_json::Map<String, Value>,
    positive: &str,
    negative: &str,
) -> Result<Matcher, PolicyError> {
    let malformed = |what: String| PolicyError::Malformed(format!("{name}: {what}"));
    let (kind, value): (fn(Vec<String>) -> Matcher, _) =
        match (fields.get(positive), fields.get(negative)) {
            (Some(value), None) => (Matcher::AnyOf, value),
            (None, Some(value)) => (Matcher::NoneOf, value),
            (Some(_), Some(_)) => return Err(malformed(format!("both {positive} and {negative}"))),
            (None, None) => return Err(malformed(format!("neither {positive} nor {negative}"))),
        };
    Ok(kind(strings(value).ok_or_else(|| {
        malformed(format!("{positive} is a string or a list of strings"))
    })?))
}

/// A string, or a non-empty list of strings.
pub(crate) fn strings(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(one) => Some(vec![one.clone()]),
        Value::Array(list) if !list.is_empty() => list
            .iter()
            .map(|item| item.as_str().map(str::to_string))
            .collect(),
        _ => None,
    }
}
