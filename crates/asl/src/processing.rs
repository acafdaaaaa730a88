//! The paths that shape a state's data: `InputPath`, `OutputPath` and
//! `ResultPath`, with the Amazon States Language meaning of absent and `null`.

use super::error::RuntimeError;
use super::path::{JsonPath, PathSource, Scope};
use serde_json::{json, Value};

/// `InputPath` / `OutputPath`: absent means `$`, `null` means `{}`. Either may
/// read the context object (`$$`, `$$.Execution.Input`) or a variable instead.
#[derive(Clone, Debug, PartialEq)]
pub struct FilterPath(Option<PathSource>);

impl FilterPath {
    pub fn compile(field: Option<&Value>) -> Result<Self, String> {
        match field {
            None => Ok(Self(Some(PathSource::Input(JsonPath::root())))),
            Some(Value::Null) => Ok(Self(None)),
            Some(Value::String(text)) => PathSource::parse(text).map(|path| Self(Some(path))),
            Some(other) => Err(format!("must be a JSONPath string or null, not {other}")),
        }
    }

    pub fn apply(&self, value: &Value, scope: &Scope<'_>) -> Result<Value, RuntimeError> {
        match &self.0 {
            None => Ok(json!({})),
            Some(path) => path
                .select(value, scope)
                .cloned()
                .ok_or_else(|| no_results(path)),
        }
    }
}

/// A reference path that selects nothing, in Step Functions' words.
pub fn no_results(path: &PathSource) -> RuntimeError {
    RuntimeError(format!(
        "Invalid path '{path}' : No results for path: {}",
        path.normalized()
    ))
}

/// `ResultPath`: absent means `$` (the result replaces the input), `null`
/// discards the result and keeps the input.
#[derive(Clone, Debug, PartialEq)]
pub struct ResultPath(Option<JsonPath>);

impl ResultPath {
    pub fn compile(field: Option<&Value>) -> Result<Self, String> {
        match field {
            None => Ok(Self(Some(JsonPath::root()))),
            Some(Value::Null) => Ok(Self(None)),
            Some(Value::String(text)) => JsonPath::parse(text).map(|path| Self(Some(path))),
            Some(other) => Err(format!(
                "ResultPath must be a JSONPath string or null, not {other}"
            )),
        }
    }

    /// Merges `result` into the state's raw input.
    pub fn apply(&self, state_input: &Value, result: Value) -> Result<Value, RuntimeError> {
        match &self.0 {
            None => Ok(state_input.clone()),
            Some(path) => path
                .insert(state_input.clone(), result)
                .map_err(RuntimeError),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_paths_mean_empty_object_and_discard() {
        let input = json!({"a": 1});
        let (context, variables) = (
            json!({"Execution": {"Input": {"x": 1}}}),
            Default::default(),
        );
        let scope = Scope {
            context: &context,
            variables: &variables,
        };
        assert_eq!(
            FilterPath::compile(Some(&Value::Null))
                .unwrap()
                .apply(&input, &scope)
                .unwrap(),
            json!({})
        );
        assert_eq!(
            ResultPath::compile(Some(&Value::Null))
                .unwrap()
                .apply(&input, json!(9))
                .unwrap(),
            input
        );
        assert_eq!(
            ResultPath::compile(None)
                .unwrap()
                .apply(&input, json!(9))
                .unwrap(),
            json!(9)
        );
        let missing = FilterPath::compile(Some(&json!("$.b")))
            .unwrap()
            .apply(&input, &scope)
            .unwrap_err();
        assert_eq!(
            missing.0,
            "Invalid path '$.b' : No results for path: $['b']"
        );
        let context_input = FilterPath::compile(Some(&json!("$$.Execution.Input")))
            .unwrap()
            .apply(&input, &scope)
            .unwrap();
        assert_eq!(context_input, json!({"x": 1}));
    }
}
