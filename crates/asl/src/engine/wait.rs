//! A Wait state: until a time, or for a number of seconds counted from when the state
//! was entered (so a resumed execution waits only what is left).

use super::super::definition::{State, WaitFor, WaitState};
use super::super::error::RuntimeError;
use super::super::path::Scope;
use super::{assign, Interrupt, Step};
use crate::timestamp::parse_timestamp;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// Waits, then passes the effective input on.
pub(super) async fn run(
    state: &State,
    wait: &WaitState,
    effective: Value,
    scope: &Scope<'_>,
    entered_at: DateTime<Utc>,
) -> Result<Step, Interrupt> {
    let assigned = assign(state.assign.as_ref(), &effective, scope)?;
    let until = wait_until(wait, &effective, scope, entered_at)?;
    if let Ok(delay) = (until - Utc::now()).to_std() {
        tokio::time::sleep(delay).await;
    }
    Ok(Step::after(
        &wait.transition,
        state.output_path.apply(&effective, scope)?,
        assigned,
    ))
}

/// When a Wait state ends. A relative wait counts from when the state was entered,
/// so a resumed execution waits only what is left.
fn wait_until(
    wait: &WaitState,
    effective: &Value,
    scope: &Scope<'_>,
    entered_at: DateTime<Utc>,
) -> Result<DateTime<Utc>, RuntimeError> {
    let after = |seconds: i64| {
        check_delay(seconds)?;
        Ok(entered_at + chrono::Duration::seconds(seconds))
    };
    // A time to wait until is held to the same ceiling, counted from the entry.
    let until = |at: DateTime<Utc>| {
        check_delay((at - entered_at).num_seconds())?;
        Ok(at)
    };
    match &wait.until {
        WaitFor::Seconds(seconds) => after(i64::try_from(*seconds).unwrap_or(i64::MAX)),
        WaitFor::Timestamp(at) => until(*at),
        WaitFor::SecondsPath(path) => {
            let value = path.select(effective, scope).ok_or_else(|| {
                RuntimeError(format!(
                    "The SecondsPath parameter does not reference an input value: {path}"
                ))
            })?;
            let seconds = value.as_i64().ok_or_else(|| {
                RuntimeError(format!(
                    "The SecondsPath parameter cannot be parsed as a long value: {path} == {value}"
                ))
            })?;
            if seconds < 0 {
                return Err(RuntimeError(format!(
                    "The SecondsPath parameter references a negative value: {path} == {value}"
                )));
            }
            after(seconds)
        }
        WaitFor::TimestampPath(path) => {
            let value = path.select(effective, scope).ok_or_else(|| {
                RuntimeError(format!(
                    "The TimestampPath parameter does not reference an input value: {path}"
                ))
            })?;
            let at = value.as_str().and_then(parse_timestamp).ok_or_else(|| {
                let shown = value.as_str().map_or_else(|| value.to_string(), str::to_string);
                RuntimeError(format!(
                    "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {path} == {shown}"
                ))
            })?;
            until(at)
        }
    }
}

/// Step Functions' own ceiling on a wait: 2^31 - 1 seconds, about 68 years.
fn check_delay(seconds: i64) -> Result<(), RuntimeError> {
    if seconds > i64::from(i32::MAX) {
        return Err(RuntimeError("Wait state delay is too long.".to_string()));
    }
    Ok(())
}
