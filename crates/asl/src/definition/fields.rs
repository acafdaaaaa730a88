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
    optional(at, fields, field, |value| {
        Template::compile(value).map_err(|e| format!("{field}: {e}"))
    })
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
    optional(at, fields, field, |value| {
        value
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("{field} must be a string"))
    })
}

/// `field` read by `read` when the object has it; `read`'s message becomes the
/// error about this state (classified as `classify` does).
pub(super) fn optional<T>(
    at: Option<&str>,
    fields: &Map<String, Value>,
    field: &str,
    read: impl FnOnce(&Value) -> Result<T, String>,
) -> Result<Option<T>, LoadError> {
    fields
        .get(field)
        .map(|value| read(value).map_err(|message| classify(at, message)))
        .transpose()
}

/// The array a field must hold, with at least one entry.
pub(super) fn non_empty_array<'a>(
    at: Option<&str>,
    fields: &'a Map<String, Value>,
    field: &str,
) -> Result<&'a Vec<Value>, LoadError> {
    fields
        .get(field)
        .and_then(Value::as_array)
        .filter(|entries| !entries.is_empty())
        .ok_or_else(|| invalid(at, format!("{field} must be a non-empty array")))
}

/// Every field is one of `common` or of one of the `allowed` groups.
pub(super) fn check_fields(
    at: Option<&str>,
    fields: &Map<String, Value>,
    common: &[&str],
    allowed: &[&[&str]],
) -> Result<(), LoadError> {
    let known =
        |key: &str| common.contains(&key) || allowed.iter().any(|group| group.contains(&key));
    match fields.keys().find(|key| !known(key)) {
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
