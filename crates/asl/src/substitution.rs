//! `DefinitionSubstitutions`: `${Name}` placeholders replaced in every string of
//! the definition (keys included), as SAM does before creating the state machine.
//! A placeholder with no substitution is left as written, as SAM leaves it: the
//! text is then an ordinary string of the definition.

use serde_json::{Map, Value};
use std::collections::HashMap;

pub fn substitute(value: Value, substitutions: &HashMap<String, String>) -> Value {
    match value {
        Value::String(text) => Value::String(substitute_text(&text, substitutions)),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| substitute(item, substitutions))
                .collect(),
        ),
        Value::Object(fields) => {
            let mut out = Map::with_capacity(fields.len());
            for (key, value) in fields {
                out.insert(
                    substitute_text(&key, substitutions),
                    substitute(value, substitutions),
                );
            }
            Value::Object(out)
        }
        other => other,
    }
}

/// `${Name}` replaced in one text: a string of the definition, or its whole JSON text.
pub fn substitute_text(text: &str, substitutions: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let known = after
            .find('}')
            .and_then(|end| Some((end, substitutions.get(&after[..end])?)));
        match known {
            Some((end, value)) => {
                out.push_str(&rest[..start]);
                out.push_str(value);
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[..start + 2]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `${Name}` placeholders of a definition that no substitution replaced.
pub fn placeholders(value: &Value) -> Vec<String> {
    let mut found = Vec::new();
    collect_placeholders(value, &mut found);
    found.sort();
    found.dedup();
    found
}

fn collect_placeholders(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::String(text) => scan_placeholders(text, found),
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_placeholders(item, found)),
        Value::Object(fields) => {
            for (key, value) in fields {
                scan_placeholders(key, found);
                collect_placeholders(value, found);
            }
        }
        _ => {}
    }
}

fn scan_placeholders(text: &str, found: &mut Vec<String>) {
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        rest = &rest[start + 2..];
        if let Some(end) = rest.find('}') {
            found.push(rest[..end].to_string());
            rest = &rest[end + 1..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn replaces_known_placeholders_and_leaves_unknown_ones_as_written() {
        let subs = HashMap::from([
            ("A".to_string(), "1".to_string()),
            ("B".to_string(), "two".to_string()),
        ]);
        let out = substitute(
            json!({"k": "x${A}y${B}", "l": ["${A}"], "p.$": "$.a", "u": "${C} and ${A}", "open": "${A"}),
            &subs,
        );
        assert_eq!(
            out,
            json!({"k": "x1ytwo", "l": ["1"], "p.$": "$.a", "u": "${C} and 1", "open": "${A"})
        );
        assert_eq!(placeholders(&out), vec!["C".to_string()]);
    }
}
