//! The array functions: States.ArrayPartition, ArrayContains, ArrayRange,
//! ArrayGetItem, ArrayLength and ArrayUnique (States.Array only gathers its
//! arguments). ArrayContains and ArrayUnique compare items as JSON values: 1 and
//! 1.0 alike, object fields in any order.

use super::argument_checks::{array, exact_integer, exactly, rounded_integer};
use crate::payload::{json_len, MAX_PAYLOAD_BYTES};
use serde_json::Value;
use std::collections::HashSet;
use std::fmt::Write as _;

/// States.ArrayRange builds at most this many elements.
const MAX_RANGE_ELEMENTS: i128 = 1000;

pub(super) fn array_partition(values: &[Value]) -> Result<Value, String> {
    let [items, size] = exactly::<2>(values)?;
    let items = array(items, "the first argument")?;
    let size = rounded_integer(size, "the chunk size")?;
    if size < 1 {
        return Err(format!(
            "the chunk size must be a positive integer, not {size}"
        ));
    }
    within_payload_quota(items, "the array")?;
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    Ok(Value::Array(
        items
            .chunks(size)
            .map(|chunk| Value::Array(chunk.to_vec()))
            .collect(),
    ))
}

pub(super) fn array_contains(values: &[Value]) -> Result<Value, String> {
    let [items, wanted] = exactly::<2>(values)?;
    let items = array(items, "the first argument")?;
    within_payload_quota(items, "the array")?;
    let wanted = canonical(wanted);
    Ok(Value::Bool(
        items.iter().any(|item| canonical(item) == wanted),
    ))
}

pub(super) fn array_range(values: &[Value]) -> Result<Value, String> {
    let [first, last, step] = exactly::<3>(values)?;
    let first = i128::from(rounded_integer(first, "the first element")?);
    let last = i128::from(rounded_integer(last, "the final element")?);
    let step = i128::from(rounded_integer(step, "the increment")?);
    if step == 0 {
        return Err("the increment must not be 0".into());
    }
    // A range that runs away from its final element is empty.
    let count = if (step > 0 && first > last) || (step < 0 && first < last) {
        0
    } else {
        (last - first) / step + 1
    };
    if count > MAX_RANGE_ELEMENTS {
        return Err(format!(
            "the range would have {count} elements; at most {MAX_RANGE_ELEMENTS} are allowed"
        ));
    }
    (0..count)
        .map(|k| {
            i64::try_from(first + k * step)
                .map(Value::from)
                .map_err(|_| "an element is out of range".to_string())
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

pub(super) fn array_get_item(values: &[Value]) -> Result<Value, String> {
    let [items, index] = exactly::<2>(values)?;
    let items = array(items, "the first argument")?;
    let position = exact_integer(index)
        .and_then(|i| usize::try_from(i).ok())
        .ok_or_else(|| format!("the index must be a non-negative integer, not {index}"))?;
    items.get(position).cloned().ok_or_else(|| {
        format!(
            "the index {position} is out of bounds for an array of {} elements",
            items.len()
        )
    })
}

pub(super) fn array_length(values: &[Value]) -> Result<Value, String> {
    let [items] = exactly::<1>(values)?;
    Ok(Value::from(array(items, "the argument")?.len()))
}

pub(super) fn array_unique(values: &[Value]) -> Result<Value, String> {
    let [items] = exactly::<1>(values)?;
    let mut seen = HashSet::new();
    Ok(Value::Array(
        array(items, "the argument")?
            .iter()
            .filter(|item| seen.insert(canonical(item)))
            .cloned()
            .collect(),
    ))
}

fn within_payload_quota(items: &[Value], what: &str) -> Result<(), String> {
    let size = json_len(items);
    if size > MAX_PAYLOAD_BYTES {
        return Err(format!(
            "{what} is {size} bytes, over the {MAX_PAYLOAD_BYTES}-byte payload quota"
        ));
    }
    Ok(())
}

/// A key equal for equal JSON values: numbers by value (1 and 1.0 alike), object
/// fields in any order.
fn canonical(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Null | Value::Bool(_) => out.push_str(&value.to_string()),
        Value::Number(number) => match exact_integer(value) {
            Some(integer) => out.push_str(&integer.to_string()),
            None => out.push_str(&number.to_string()),
        },
        Value::String(text) => {
            let _ = write!(out, "{text:?}");
        }
        Value::Array(items) => {
            out.push('[');
            for item in items {
                write_canonical(item, out);
                out.push(',');
            }
            out.push(']');
        }
        Value::Object(fields) => {
            let mut names: Vec<&String> = fields.keys().collect();
            names.sort();
            out.push('{');
            for name in names {
                let _ = write!(out, "{name:?}:");
                if let Some(field) = fields.get(name) {
                    write_canonical(field, out);
                }
                out.push(',');
            }
            out.push('}');
        }
    }
}
