//! Reading the evaluated arguments of a function: the JSON types and integers it
//! expects, with messages that say what was found instead.

use super::function::arguments;
use serde_json::{Map, Number, Value};

/// The arguments as an array of the length the parser already checked.
pub(super) fn exactly<const N: usize>(values: &[Value]) -> Result<&[Value; N], String> {
    values
        .try_into()
        .map_err(|_| format!("expected {N} {}", arguments(N)))
}

pub(super) fn string<'v>(value: &'v Value, what: &str) -> Result<&'v str, String> {
    match value {
        Value::String(text) => Ok(text),
        other => Err(format!("{what} is {}, not a string", kind(other))),
    }
}

pub(super) fn array<'v>(value: &'v Value, what: &str) -> Result<&'v [Value], String> {
    match value {
        Value::Array(items) => Ok(items),
        other => Err(format!("{what} is {}, not an array", kind(other))),
    }
}

pub(super) fn object<'v>(value: &'v Value, what: &str) -> Result<&'v Map<String, Value>, String> {
    match value {
        Value::Object(fields) => Ok(fields),
        other => Err(format!("{what} is {}, not a JSON object", kind(other))),
    }
}

/// An integer argument; Step Functions rounds a non-integer to the nearest integer,
/// a half towards positive infinity (see [`round_half_up`]).
pub(super) fn rounded_integer(value: &Value, what: &str) -> Result<i64, String> {
    let Value::Number(number) = value else {
        return Err(format!("{what} is {}, not an integer", kind(value)));
    };
    number
        .as_i64()
        .or_else(|| round_float(number))
        .ok_or_else(|| format!("{what} {number} is out of range"))
}

fn round_float(number: &Number) -> Option<i64> {
    let rounded = round_half_up(number.as_f64()?);
    // 2^63 is exactly representable; every float below it fits an i64.
    (rounded.is_finite() && rounded >= -(2f64.powi(63)) && rounded < 2f64.powi(63))
        .then_some(rounded as i64)
}

/// Rounds as Java's `Math.round` does, which Step Functions uses: to the nearest
/// integer, a half upwards (2.5 to 3, -2.5 to -2), where `f64::round` takes a half
/// away from zero. Computed from the floor, so no addition loses the fraction.
fn round_half_up(x: f64) -> f64 {
    let floor = x.floor();
    if x - floor >= 0.5 {
        floor + 1.0
    } else {
        floor
    }
}

/// An integer argument that must already be one (an array index).
pub(super) fn exact_integer(value: &Value) -> Option<i64> {
    let Value::Number(number) = value else {
        return None;
    };
    if let Some(integer) = number.as_i64() {
        return Some(integer);
    }
    let whole = number.as_f64()?.fract() == 0.0;
    round_float(number).filter(|_| whole)
}

/// "a string", "an array"…: for messages.
pub(super) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
