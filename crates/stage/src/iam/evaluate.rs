//! Identity policies evaluated as IAM evaluates them: a statement applies when its
//! action, its resource and every condition match; an applying `Deny` wins, then an
//! applying `Allow`; with neither the request is implicitly denied.
//!
//! Written here because no maintained crate evaluates IAM policy documents; the rules are
//! those of AWS's "Policy evaluation logic" for a principal in the resource's own account.

use super::policy::{Effect, Matcher, Policy, Statement};
use std::collections::BTreeMap;
use wildmatch::WildMatch;

/// A request's condition keys and their values. Keys are case-insensitive, as IAM's are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Context(BTreeMap<String, Vec<String>>);

impl Context {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value of `key` (a key may hold several).
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.insert(key, value);
        self
    }

    pub fn insert(&mut self, key: &str, value: impl Into<String>) {
        self.0
            .entry(key.to_ascii_lowercase())
            .or_default()
            .push(value.into());
    }

    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.0.get(&key.to_ascii_lowercase()).map(Vec::as_slice)
    }
}

/// What the policies say of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// A `Deny` statement applies.
    ExplicitDeny,
    /// No statement allows it.
    ImplicitDeny,
}

pub fn decide(policies: &[Policy], action: &str, resource: &str, context: &Context) -> Decision {
    let applying = || {
        policies
            .iter()
            .flat_map(|policy| &policy.statements)
            .filter(|statement| applies(statement, action, resource, context))
    };
    if applying().any(|statement| statement.effect == Effect::Deny) {
        Decision::ExplicitDeny
    } else if applying().any(|statement| statement.effect == Effect::Allow) {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

fn applies(statement: &Statement, action: &str, resource: &str, context: &Context) -> bool {
    matches(&statement.actions, |pattern| {
        action_matches(pattern, action)
    }) && matches(&statement.resources, |pattern| {
        arn_matches(pattern, resource)
    }) && statement
        .conditions
        .iter()
        .all(|condition| condition.holds(context))
}

fn matches(matcher: &Matcher, mut one: impl FnMut(&str) -> bool) -> bool {
    match matcher {
        Matcher::AnyOf(patterns) => patterns.iter().any(|p| one(p)),
        Matcher::NoneOf(patterns) => !patterns.iter().any(|p| one(p)),
    }
}

/// `service:Action` against a pattern: case-insensitive, with `*` and `?`.
pub(crate) fn action_matches(pattern: &str, action: &str) -> bool {
    WildMatch::new_case_insensitive(pattern).matches(action)
}

/// An ARN against a pattern, as IAM compares them: case-sensitive, each of the six
/// colon-separated parts on its own (a wildcard does not reach into the next part,
/// except in the last, the resource, which may itself hold colons). `*` alone matches
/// anything.
pub(crate) fn arn_matches(pattern: &str, arn: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let pattern_parts: Vec<&str> = pattern.splitn(6, ':').collect();
    let arn_parts: Vec<&str> = arn.splitn(6, ':').collect();
    if pattern_parts.len() == 6 && arn_parts.len() == 6 {
        pattern_parts
            .iter()
            .zip(&arn_parts)
            .all(|(pattern, part)| WildMatch::new(pattern).matches(part))
    } else {
        WildMatch::new(pattern).matches(arn)
    }
}
