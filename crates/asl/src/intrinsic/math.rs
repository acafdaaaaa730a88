//! The math functions: States.MathRandom, seeded or not, and States.MathAdd over
//! 32-bit integers.

use super::argument_checks::{exactly, rounded_integer};
use serde_json::Value;

/// States.MathAdd takes 32-bit integers.
const MATH_ADD_RANGE: std::ops::RangeInclusive<i64> = (i32::MIN as i64)..=(i32::MAX as i64);

pub(super) fn math_random(values: &[Value]) -> Result<Value, String> {
    use rand::{Rng as _, SeedableRng as _};
    let (start, end, seed) = match values {
        [start, end] => (start, end, None),
        [start, end, seed] => (start, end, Some(seed)),
        _ => return Err("expected 2 or 3 arguments".into()),
    };
    let start = rounded_integer(start, "the start")?;
    let end = rounded_integer(end, "the end")?;
    if start >= end {
        return Err(format!(
            "the start {start} must be less than the end {end} (which is excluded)"
        ));
    }
    let number = match seed {
        Some(seed) => {
            let seed = rounded_integer(seed, "the seed")?;
            rand::rngs::StdRng::seed_from_u64(u64::from_ne_bytes(seed.to_ne_bytes()))
                .gen_range(start..end)
        }
        None => rand::thread_rng().gen_range(start..end),
    };
    Ok(Value::from(number))
}

pub(super) fn math_add(values: &[Value]) -> Result<Value, String> {
    let [a, b] = exactly::<2>(values)?;
    let a = rounded_integer(a, "the first argument")?;
    let b = rounded_integer(b, "the second argument")?;
    for n in [a, b] {
        if !MATH_ADD_RANGE.contains(&n) {
            return Err(format!(
                "{n} is outside the range {}..{} of States.MathAdd",
                MATH_ADD_RANGE.start(),
                MATH_ADD_RANGE.end()
            ));
        }
    }
    Ok(Value::from(a + b))
}
