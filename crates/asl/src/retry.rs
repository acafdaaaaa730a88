//! `Retry` and `Catch`: which errors they match and how long a retry waits.

use super::error::{STATES_ALL, STATES_RUNTIME, STATES_TASK_FAILED, STATES_TIMEOUT};
use super::processing::ResultPath;
use super::template::Template;
use serde_json::{Map, Value};
use std::time::Duration;

#[derive(Clone, Debug, PartialEq)]
pub struct Retrier {
    pub errors: Vec<String>,
    pub interval_seconds: u64,
    pub max_attempts: u32,
    pub backoff_rate: f64,
    pub max_delay_seconds: Option<u64>,
    /// `JitterStrategy: FULL`: each wait is drawn between zero and the computed one.
    pub full_jitter: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Catcher {
    pub errors: Vec<String>,
    pub result_path: ResultPath,
    /// `Assign`, evaluated over the error output (`{"Error", "Cause"}`).
    pub assign: Option<Template>,
    pub next: String,
}

/// Does an `ErrorEquals` list match this error name?
pub fn matches(error_equals: &[String], error: &str) -> bool {
    error_equals.iter().any(|name| match name.as_str() {
        // States.Runtime never reaches Retry or Catch; kept out here too.
        STATES_ALL => error != STATES_RUNTIME,
        STATES_TASK_FAILED => error != STATES_TIMEOUT && error != STATES_RUNTIME,
        exact => exact == error,
    })
}

impl Retrier {
    /// The wait before retry number `attempt + 1` (`attempt` retries done so far).
    pub fn delay(&self, attempt: u32) -> Duration {
        let seconds = self.interval_seconds as f64 * self.backoff_rate.powi(attempt as i32);
        let capped = match self.max_delay_seconds {
            Some(max) => seconds.min(max as f64),
            None => seconds,
        };
        // Guard against overflow from a large backoff before the cap applies.
        let seconds = capped.min(u32::MAX as f64);
        let seconds = if self.full_jitter {
            rand::random::<f64>() * seconds
        } else {
            seconds
        };
        Duration::from_secs_f64(seconds)
    }
}

const RETRIER_FIELDS: [&str; 7] = [
    "Comment",
    "ErrorEquals",
    "IntervalSeconds",
    "MaxAttempts",
    "BackoffRate",
    "MaxDelaySeconds",
    "JitterStrategy",
];
const CATCHER_FIELDS: [&str; 5] = ["ErrorEquals", "ResultPath", "Next", "Comment", "Assign"];

pub fn compile_retriers(value: &Value) -> Result<Vec<Retrier>, String> {
    compile_entries(value, "Retry", &RETRIER_FIELDS, compile_retrier, |r| {
        &r.errors
    })
}

pub fn compile_catchers(value: &Value) -> Result<Vec<Catcher>, String> {
    compile_entries(value, "Catch", &CATCHER_FIELDS, compile_catcher, |c| {
        &c.errors
    })
}

/// A Retry or Catch list (`what`): an array of objects with only the `allowed`
/// fields, each compiled by `compile`, with `States.ALL` only in the last entry.
fn compile_entries<T>(
    value: &Value,
    what: &str,
    allowed: &[&str],
    compile: impl Fn(&Map<String, Value>) -> Result<T, String>,
    errors: impl Fn(&T) -> &[String],
) -> Result<Vec<T>, String> {
    let list = value
        .as_array()
        .ok_or_else(|| format!("{what} must be an array"))?;
    let entries = list
        .iter()
        .map(|entry| {
            let fields = entry
                .as_object()
                .ok_or_else(|| format!("a {what} entry must be an object"))?;
            check_fields(fields, allowed, what)?;
            compile(fields)
        })
        .collect::<Result<Vec<_>, String>>()?;
    check_states_all_last(entries.iter().map(errors), what)?;
    Ok(entries)
}

fn compile_retrier(fields: &Map<String, Value>) -> Result<Retrier, String> {
    let full_jitter = match fields.get("JitterStrategy").map(|j| j.as_str()) {
        None | Some(Some("NONE")) => false,
        Some(Some("FULL")) => true,
        Some(other) => {
            return Err(format!(
                "Retry JitterStrategy must be FULL or NONE, not {}",
                other.unwrap_or("a non-string")
            ))
        }
    };
    let interval_seconds = positive_integer(fields, "IntervalSeconds")?.unwrap_or(1);
    let max_attempts = match fields.get("MaxAttempts") {
        None => 3,
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or("Retry MaxAttempts must be a non-negative integer")?,
    };
    let backoff_rate = match fields.get("BackoffRate") {
        None => 2.0,
        Some(v) => v
            .as_f64()
            .filter(|rate| *rate >= 1.0)
            .ok_or("Retry BackoffRate must be a number >= 1.0")?,
    };
    let max_delay_seconds = positive_integer(fields, "MaxDelaySeconds")?;
    Ok(Retrier {
        errors: error_equals(fields)?,
        interval_seconds,
        max_attempts,
        backoff_rate,
        max_delay_seconds,
        full_jitter,
    })
}

fn compile_catcher(fields: &Map<String, Value>) -> Result<Catcher, String> {
    let next = fields
        .get("Next")
        .and_then(Value::as_str)
        .ok_or("a Catch entry needs a Next")?;
    let result_path =
        ResultPath::compile(fields.get("ResultPath")).map_err(|e| format!("Catch {e}"))?;
    let assign = fields
        .get("Assign")
        .map(|value| Template::compile_assign(value).map_err(|e| format!("Catch Assign: {e}")))
        .transpose()?;
    Ok(Catcher {
        errors: error_equals(fields)?,
        result_path,
        assign,
        next: next.to_string(),
    })
}

fn check_fields(fields: &Map<String, Value>, allowed: &[&str], what: &str) -> Result<(), String> {
    match fields.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(key) => Err(format!("{what} field {key} is not supported")),
        None => Ok(()),
    }
}

fn error_equals(fields: &Map<String, Value>) -> Result<Vec<String>, String> {
    let names = fields
        .get("ErrorEquals")
        .and_then(Value::as_array)
        .filter(|names| !names.is_empty())
        .ok_or("ErrorEquals must be a non-empty array of error names")?;
    names
        .iter()
        .map(|name| {
            name.as_str()
                .map(str::to_string)
                .ok_or_else(|| "ErrorEquals holds strings".to_string())
        })
        .collect()
}

fn positive_integer(fields: &Map<String, Value>, name: &str) -> Result<Option<u64>, String> {
    fields
        .get(name)
        .map(|v| {
            v.as_u64()
                .filter(|n| *n >= 1)
                .ok_or_else(|| format!("Retry {name} must be a positive integer"))
        })
        .transpose()
}

/// `States.ALL` must be alone in its list and in the last entry, as the language requires.
fn check_states_all_last<'a>(
    lists: impl ExactSizeIterator<Item = &'a [String]>,
    what: &str,
) -> Result<(), String> {
    let count = lists.len();
    for (index, errors) in lists.enumerate() {
        if errors.iter().any(|name| name == STATES_ALL) && (errors.len() > 1 || index + 1 != count)
        {
            return Err(format!(
                "{what}: States.ALL must appear alone in the last entry"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wildcard_names_match_as_the_language_says() {
        let all = vec![STATES_ALL.to_string()];
        let task_failed = vec![STATES_TASK_FAILED.to_string()];
        assert!(matches(&all, "Wisaw.Transient") && matches(&all, STATES_TIMEOUT));
        assert!(matches(&task_failed, "Wisaw.Transient"));
        assert!(!matches(&task_failed, STATES_TIMEOUT));
        assert!(!matches(&all, STATES_RUNTIME));
        assert!(!matches(&["A".to_string()], "B"));
    }

    #[test]
    fn defaults_backoff_and_cap() {
        let retriers = compile_retriers(&json!([{"ErrorEquals": ["X"]}])).unwrap();
        let r = &retriers[0];
        assert_eq!(
            (
                r.interval_seconds,
                r.max_attempts,
                r.backoff_rate,
                r.max_delay_seconds
            ),
            (1, 3, 2.0, None)
        );
        assert_eq!(
            [r.delay(0), r.delay(1), r.delay(2)].map(|d| d.as_secs()),
            [1, 2, 4]
        );
        let capped = Retrier {
            max_delay_seconds: Some(3),
            ..r.clone()
        };
        assert_eq!(capped.delay(5), Duration::from_secs(3));
        let jittered = Retrier {
            full_jitter: true,
            ..capped
        };
        let waits: Vec<Duration> = (0..50).map(|_| jittered.delay(5)).collect();
        assert!(waits.iter().all(|wait| *wait <= Duration::from_secs(3)));
        assert!(
            waits.iter().any(|wait| *wait != waits[0]),
            "FULL jitter draws each wait"
        );
    }

    #[test]
    fn states_all_must_be_last() {
        let err = compile_catchers(&json!([
            {"ErrorEquals": ["States.ALL"], "Next": "A"},
            {"ErrorEquals": ["X"], "Next": "B"}
        ]))
        .unwrap_err();
        assert!(err.contains("States.ALL"), "{err}");
    }
}
