//! Payload templates: `Parameters` and `ResultSelector`. A key ending in `.$`
//! takes its value from a path (`$...` into the effective input, `$$...` into
//! the context object); every other value is copied as written.

use super::error::RuntimeError;
use super::intrinsic::Intrinsic;
use super::path::{PathSource, Scope};
use serde_json::{Map, Value};

#[derive(Clone, Debug, PartialEq)]
pub enum Template {
    Object(Vec<(String, Template)>),
    Array(Vec<Template>),
    /// `"key.$": "$.path"`; `key` is the field as written (with `.$`).
    Path {
        key: String,
        source: PathSource,
    },
    /// `"key.$": "States.Format(...)"`.
    Intrinsic {
        key: String,
        call: Intrinsic,
    },
    Literal(Value),
}

impl Template {
    /// Compiles every `.$` path now, so an unsupported path or an intrinsic
    /// function is refused at load.
    pub fn compile(value: &Value) -> Result<Self, String> {
        match value {
            Value::Object(fields) => {
                let mut compiled = Vec::with_capacity(fields.len());
                for (key, value) in fields {
                    if let Some(out_key) = key.strip_suffix(".$") {
                        let text = value
                            .as_str()
                            .ok_or_else(|| format!("the value of {key:?} must be a path string"))?;
                        let compiled_value = if Intrinsic::looks_like(text) {
                            Self::Intrinsic {
                                key: key.clone(),
                                call: Intrinsic::parse(text)
                                    .map_err(|e| format!("{key:?}: {e}"))?,
                            }
                        } else {
                            Self::Path {
                                key: key.clone(),
                                source: PathSource::parse(text)
                                    .map_err(|e| format!("{key:?}: {e}"))?,
                            }
                        };
                        compiled.push((out_key.to_string(), compiled_value));
                    } else {
                        compiled.push((key.clone(), Self::compile(value)?));
                    }
                }
                Ok(Self::Object(compiled))
            }
            Value::Array(items) => items
                .iter()
                .map(Self::compile)
                .collect::<Result<_, _>>()
                .map(Self::Array),
            other => Ok(Self::Literal(other.clone())),
        }
    }

    /// An `Assign` field: an object whose keys (without `.$`) name variables, as
    /// Step Functions requires them: a letter or `_`, then letters, digits or `_`,
    /// and never the reserved `states`.
    pub fn compile_assign(value: &Value) -> Result<Self, String> {
        let fields = value.as_object().ok_or("Assign must be an object")?;
        for key in fields.keys() {
            let name = key.strip_suffix(".$").unwrap_or(key);
            let mut chars = name.chars();
            let valid = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
                && chars.all(|c| c.is_alphanumeric() || c == '_');
            if !valid || name == "states" {
                return Err(format!("{name:?} is not a variable name Assign may set"));
            }
        }
        Self::compile(value)
    }

    pub fn render(&self, input: &Value, scope: &Scope<'_>) -> Result<Value, RuntimeError> {
        Ok(match self {
            Self::Object(fields) => {
                let mut out = Map::with_capacity(fields.len());
                for (key, template) in fields {
                    out.insert(key.clone(), template.render(input, scope)?);
                }
                Value::Object(out)
            }
            Self::Array(items) => {
                Value::Array(items.iter().map(|item| item.render(input, scope)).collect::<Result<_, _>>()?)
            }
            Self::Path { key, source } => source.select(input, scope).cloned().ok_or_else(|| {
                RuntimeError(format!(
                    "The JSONPath '{source}' specified for the field '{key}' could not be found in the input '{input}'"
                ))
            })?,
            Self::Intrinsic { key, call } => call
                .evaluate(&|path| path.select(input, scope).cloned())
                .map_err(|failure| {
                    RuntimeError(format!(
                        "The intrinsic function of the field '{key}' failed: {}",
                        failure.0
                    ))
                })?,
            Self::Literal(value) => value.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_nested_paths_context_and_literals() {
        let template = Template::compile(&json!({
            "FunctionName": "fn",
            "Payload": {"id.$": "$.id", "name.$": "$$.Execution.Name", "list": [{"x.$": "$.n"}, 3]}
        }))
        .unwrap();
        let context = json!({"Execution": {"Name": "e"}});
        let variables = Map::new();
        let scope = Scope {
            context: &context,
            variables: &variables,
        };
        let out = template
            .render(&json!({"id": 7, "n": "v"}), &scope)
            .unwrap();
        assert_eq!(
            out,
            json!({"FunctionName": "fn", "Payload": {"id": 7, "name": "e", "list": [{"x": "v"}, 3]}})
        );
    }

    #[test]
    fn assign_takes_variable_names_only() {
        assert!(Template::compile_assign(&json!({"photo.$": "$.id", "_n2": 1})).is_ok());
        for bad in [
            json!({"states": 1}),
            json!({"2x": 1}),
            json!({"a-b.$": "$"}),
            json!([1]),
        ] {
            assert!(Template::compile_assign(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_missing_path_is_a_runtime_error_naming_the_field() {
        let template = Template::compile(&json!({"id.$": "$.nope"})).unwrap();
        let (context, variables) = (json!({}), Map::new());
        let scope = Scope {
            context: &context,
            variables: &variables,
        };
        let err = template.render(&json!({}), &scope).unwrap_err();
        assert!(
            err.0.contains("'id.$'") && err.0.contains("$.nope"),
            "{}",
            err.0
        );
    }
}
