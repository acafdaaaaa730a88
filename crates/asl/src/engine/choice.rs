//! A Choice state: the first rule that matches names the next state, else the Default,
//! else `States.NoChoiceMatched`.

use super::super::definition::{ChoiceState, State};
use super::super::error::STATES_NO_CHOICE_MATCHED;
use super::super::path::Scope;
use super::{assign, Interrupt, Step};
use serde_json::Value;

/// The matching rule's Assign, or the state's own when the Default is taken.
pub(super) fn run(
    state: &State,
    choice: &ChoiceState,
    effective: Value,
    scope: &Scope<'_>,
) -> Result<Step, Interrupt> {
    let mut taken = None;
    for rule in &choice.rules {
        if rule.condition.evaluate(&effective, scope)? {
            taken = Some((rule.next.clone(), rule.assign.as_ref()));
            break;
        }
    }
    let taken = taken.or_else(|| {
        choice
            .default
            .clone()
            .map(|default| (default, state.assign.as_ref()))
    });
    let Some((next, assign_template)) = taken else {
        return Ok(Step::Fail {
            error: Some(STATES_NO_CHOICE_MATCHED.to_string()),
            cause: Some("No Matches!".to_string()),
        });
    };
    let assigned = assign(assign_template, &effective, scope)?;
    Ok(Step::Next {
        output: state.output_path.apply(&effective, scope)?,
        next,
        assigned,
    })
}
