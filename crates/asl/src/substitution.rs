//! `DefinitionSubstitutions`: `${Name}` placeholders replaced in every string of
//! the definition (keys included), as SAM does before creating the state machine.

use super::error::LoadError;
use serde_json::{Map, Value};
use std::collections::HashMap;

pub fn substitute(
    value: Value,
    substitutions: &HashMap<String, String>,
) -> Result<Value, LoadError> {
    Ok(match value {
        Value::String(text) => Value::String(substitute_text(&text, substitutions)?),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| substitute(item, substitutions))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(fields) => {
            let mut out = Map::with_capacity(fields.len());
            for (key, value) in fields {
                out.insert(
                    substitute_text(&key, substitutions)?,
                    substitute(value, substitutions)?,
                );
            }
            Value::Object(out)
        }
        other => other,
    })
}

fn substitute_text(
    text: &str,
    substitutions: &HashMap<String, String>,
) -> Result<String, LoadError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| LoadError::UnresolvedSubstitution(after.to_string()))?;
        let name = &after[..end];
        let value = substitutions
            .get(name)
            .ok_or_else(|| LoadError::UnresolvedSubstitution(name.to_string()))?;
        out.push_str(value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn replaces_every_placeholder_and_names_a_missing_one() {
        let subs = HashMap::from([
            ("A".to_string(), "1".to_string()),
            ("B".to_string(), "two".to_string()),
        ]);
        let out = substitute(
            json!({"k": "x${A}y${B}", "l": ["${A}"], "p.$": "$.a"}),
            &subs,
        )
        .unwrap();
        assert_eq!(out, json!({"k": "x1ytwo", "l": ["1"], "p.$": "$.a"}));
        let err = substitute(json!({"k": "${C}"}), &subs).unwrap_err();
        assert!(err.to_string().contains("${C}"), "{err}");
    }
}
