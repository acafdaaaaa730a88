//! A Pass state: its result (`Result`, `Parameters` or the effective input) placed by
//! ResultPath.

use super::super::definition::{PassState, State};
use super::super::path::Scope;
use super::{assign, Interrupt, Step};
use serde_json::Value;

/// A Pass state's `Assign` reads its result (`Result`, `Parameters` or the effective
/// input), as on AWS.
pub(super) fn run(
    state: &State,
    pass: &PassState,
    effective: Value,
    raw_input: &Value,
    scope: &Scope<'_>,
) -> Result<Step, Interrupt> {
    let result = match (&pass.result, &pass.parameters) {
        (Some(result), _) => result.clone(),
        (None, Some(parameters)) => parameters.render(&effective, scope)?,
        (None, None) => effective,
    };
    let assigned = assign(state.assign.as_ref(), &result, scope)?;
    let merged = pass.result_path.apply(raw_input, result)?;
    Ok(Step::after(
        &pass.transition,
        state.output_path.apply(&merged, scope)?,
        assigned,
    ))
}
