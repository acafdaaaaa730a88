//! The JSON functions: States.StringToJson and JsonToString convert between a
//! value and its JSON text; States.JsonMerge merges two objects, shallowly.

use super::argument_checks::{exactly, kind, object, string};
use serde_json::Value;

/// Blank text reads as null, as Step Functions reads it.
pub(super) fn string_to_json(values: &[Value]) -> Result<Value, String> {
    let [text] = exactly::<1>(values)?;
    let text = string(text, "the argument")?;
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(text)
        .map(without_negative_zero)
        .map_err(|err| format!("the string is not JSON text: {err}"))
}

/// `-0` is the integer 0 to Step Functions; serde_json reads it as the float -0.0,
/// which would be written back as `-0.0`.
fn without_negative_zero(value: Value) -> Value {
    match value {
        Value::Number(number) if number.as_f64().is_some_and(is_negative_zero) => Value::from(0),
        Value::Array(items) => Value::Array(items.into_iter().map(without_negative_zero).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(name, value)| (name, without_negative_zero(value)))
                .collect(),
        ),
        other => other,
    }
}

fn is_negative_zero(x: f64) -> bool {
    x == 0.0 && x.is_sign_negative()
}

pub(super) fn json_to_string(values: &[Value]) -> Result<Value, String> {
    let [value] = exactly::<1>(values)?;
    serde_json::to_string(value)
        .map(Value::String)
        .map_err(|err| format!("the value cannot be written as JSON: {err}"))
}

pub(super) fn json_merge(values: &[Value]) -> Result<Value, String> {
    let [first, second, deep] = exactly::<3>(values)?;
    let first = object(first, "the first argument")?;
    let second = object(second, "the second argument")?;
    match deep {
        Value::Bool(false) => {}
        Value::Bool(true) => {
            return Err(
                "only the shallow merge is supported: the third argument must be false".into(),
            )
        }
        other => return Err(format!("the third argument is {}, not false", kind(other))),
    }
    // The first object's fields keep their places; the second's new fields follow.
    let mut merged = first.clone();
    for (name, value) in second {
        merged.insert(name.clone(), value.clone());
    }
    Ok(Value::Object(merged))
}
