//! A parameter's value read as its type says and held to its declaration, as CloudFormation holds it before it
//! creates anything: its type, `AllowedValues`, `AllowedPattern`, `MinValue`/`MaxValue`
//! and `MinLength`/`MaxLength`. A list parameter's items are each held to them.

use super::cfn::Cfn;
use super::{scalar_text, TemplateError};
use serde_json::Value;

/// The parameter's value as `Ref` gives it (list types as lists, everything else as
/// text, a `Number` too, as CloudFormation passes it), once `given` meets the declaration.
pub fn value(name: &str, declaration: &Cfn, given: String) -> Result<Value, TemplateError> {
    let kind = declaration
        .get("Type")
        .and_then(Cfn::as_str)
        .unwrap_or("String");
    let is_list = kind == "CommaDelimitedList" || kind.starts_with("List<");
    let value = if !is_list {
        Value::String(given)
    } else if given.is_empty() {
        Value::Array(Vec::new())
    } else {
        given
            .split(',')
            .map(|item| Value::String(item.trim().to_string()))
            .collect()
    };
    check(name, declaration, kind, &value)?;
    Ok(value)
}

fn check(name: &str, declaration: &Cfn, kind: &str, value: &Value) -> Result<(), TemplateError> {
    // An empty list is held to the constraints as the empty text it was given as.
    let items: Vec<&str> = match value {
        Value::Array(items) if !items.is_empty() => {
            items.iter().filter_map(Value::as_str).collect()
        }
        Value::String(text) => vec![text.as_str()],
        _ => vec![""],
    };
    let refuse = |why: String| {
        let constraint = declaration
            .get("ConstraintDescription")
            .and_then(Cfn::as_str);
        let why = match constraint {
            Some(constraint) => format!("{why} ({constraint})"),
            None => why,
        };
        TemplateError::InvalidParameter(name.to_string(), why)
    };
    for item in items {
        if kind == "Number" || kind == "List<Number>" {
            let number: f64 = item
                .parse()
                .map_err(|_| refuse(format!("`{item}` is not a number")))?;
            if let Some(min) = number_of(declaration, "MinValue") {
                if number < min {
                    return Err(refuse(format!("{item} is below the MinValue {min}")));
                }
            }
            if let Some(max) = number_of(declaration, "MaxValue") {
                if number > max {
                    return Err(refuse(format!("{item} is above the MaxValue {max}")));
                }
            }
        }
        if let Some(Cfn::List(allowed)) = declaration.get("AllowedValues") {
            let allowed: Vec<String> = allowed.iter().filter_map(scalar_text).collect();
            if !allowed.iter().any(|value| value == item) {
                return Err(refuse(format!(
                    "`{item}` is not one of the AllowedValues {}",
                    allowed.join(", ")
                )));
            }
        }
        if let Some(pattern) = declaration.get("AllowedPattern").and_then(Cfn::as_str) {
            // CloudFormation matches the whole value.
            let whole = regex_lite::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
                TemplateError::Malformed(format!("the AllowedPattern of {name}: {e}"))
            })?;
            if !whole.is_match(item) {
                return Err(refuse(format!("`{item}` does not match {pattern}")));
            }
        }
        let length = item.chars().count() as f64;
        if number_of(declaration, "MinLength").is_some_and(|min| length < min)
            || number_of(declaration, "MaxLength").is_some_and(|max| length > max)
        {
            return Err(refuse(format!("`{item}` has a length out of bounds")));
        }
    }
    Ok(())
}

fn number_of(declaration: &Cfn, field: &str) -> Option<f64> {
    match declaration.get(field)? {
        Cfn::Scalar(Value::Number(n)) => n.as_f64(),
        Cfn::Scalar(Value::String(s)) => s.parse().ok(),
        _ => None,
    }
}
