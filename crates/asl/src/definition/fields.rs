//! Reading single fields of a definition's JSON objects, and the load errors,
//! which name the state they are about (None: the machine itself). A message
//! from a sub-compiler ending in "is not supported" becomes an Unsupported error.

use super::states::Transition;
use crate::error::LoadError;
use crate::processing::ResultPath;
use crate::template::Template;
use serde_json::{Map, Value};

pub(super) fn transition(
    at: Option<&str>,
    fields: &Map<String, Value>,
) -> Result<Transition, LoadError> {
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

pub(super) fn template(
    at: Option<&str>,
    fields: &Map<String, Value>,
    field: &str,
) -> Result<Option<Template>, LoadError> {
    fields
        .get(field)
        .map(|value| Template::compile(value).map_err(|e| classify(at, format!("{field}: {e}"))))
        .transpose()
}

pub(super) fn result_path(
    at: Option<&str>,
    fields: &Map<String, Value>,
) -> Result<ResultPath, LoadError> {
    ResultPath::compile(fields.get("ResultPath")).map_err(|e| classify(at, e))
}

pub(super) fn string_field(
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

pub(super) fn check_fields(
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
pub(super) fn check_query_language(
    at: Option<&str>,
    fields: &Map<String, Value>,
) -> Result<(), LoadError> {
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
pub(super) fn classify(at: Option<&str>, message: String) -> LoadError {
    match message.strip_suffix(" is not supported") {
        Some(feature) => unsupported(at, feature),
        None => invalid(at, message),
    }
}

pub(super) fn unsupported(at: Option<&str>, feature: &str) -> LoadError {
    LoadError::Unsupported {
        state: at.map(str::to_string),
        feature: feature.to_string(),
    }
}

pub(super) fn invalid(at: Option<&str>, message: impl Into<String>) -> LoadError {
    LoadError::Invalid {
        state: at.map(str::to_string),
        message: message.into(),
    }
}
