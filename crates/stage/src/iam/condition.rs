//! A statement's `Condition`: each operator's keys must all hold; a key holds when the
//! request's value matches any of the policy's (none, for a negated operator). A key the
//! request does not have fails the condition, except for a negated operator, an
//! `...IfExists` one, and `Null`, as IAM documents it.
//!
//! The operators: `StringEquals`, `StringNotEquals`, `StringEqualsIgnoreCase`,
//! `StringNotEqualsIgnoreCase`, `StringLike`, `StringNotLike`, `ArnEquals`, `ArnLike`,
//! `ArnNotEquals`, `ArnNotLike`, `Bool`, each with `...IfExists`, and `Null`. Any other
//! (numbers, dates, addresses, the `ForAnyValue:`/`ForAllValues:` set operators) is
//! refused by name when the policy is read, and so is a policy variable in a value.

use super::evaluate::{arn_matches, Context};
use super::policy::{policy_variable, PolicyError};
use serde_json::Value;
use wildmatch::WildMatch;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Test {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    /// `ArnEquals` and `ArnLike`: the same, as IAM documents.
    Arn,
    Bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operator {
    Match { test: Test, negated: bool },
    Null,
}

/// One key of one operator.
#[derive(Clone, Debug)]
pub struct Condition {
    operator: Operator,
    if_exists: bool,
    key: String,
    values: Vec<String>,
}

fn operator(name: &str) -> Option<Operator> {
    let matching = |test, negated| Some(Operator::Match { test, negated });
    match name {
        "StringEquals" => matching(Test::StringEquals, false),
        "StringNotEquals" => matching(Test::StringEquals, true),
        "StringEqualsIgnoreCase" => matching(Test::StringEqualsIgnoreCase, false),
        "StringNotEqualsIgnoreCase" => matching(Test::StringEqualsIgnoreCase, true),
        "StringLike" => matching(Test::StringLike, false),
        "StringNotLike" => matching(Test::StringLike, true),
        "ArnEquals" | "ArnLike" => matching(Test::Arn, false),
        "ArnNotEquals" | "ArnNotLike" => matching(Test::Arn, true),
        "Bool" => matching(Test::Bool, false),
        "Null" => Some(Operator::Null),
        _ => None,
    }
}

impl Condition {
    /// A `Condition` block: `{Operator: {key: value or [values]}}`. `variables`: the
    /// policy's version has policy variables, which are refused.
    pub fn parse_block(
        name: &str,
        block: &Value,
        variables: bool,
    ) -> Result<Vec<Condition>, PolicyError> {
        let malformed = |what: String| PolicyError::Malformed(format!("{name}: {what}"));
        let operators = block
            .as_object()
            .ok_or_else(|| malformed("a Condition is an object of operators".into()))?;
        let mut conditions = Vec::new();
        for (written, keys) in operators {
            let (base, if_exists) = match written.strip_suffix("IfExists") {
                Some(base) if base != "Null" => (base, true),
                _ => (written.as_str(), false),
            };
            let operator = operator(base).ok_or_else(|| {
                PolicyError::Unsupported(format!("{name}: the condition operator {written}"))
            })?;
            let keys = keys
                .as_object()
                .ok_or_else(|| malformed(format!("{written} is an object of keys")))?;
            for (key, values) in keys {
                let mut values = condition_values(values).ok_or_else(|| {
                    malformed(format!(
                        "{written} {key}: a value or a list of strings, numbers or booleans"
                    ))
                })?;
                let variable = values.iter().find_map(|v| policy_variable(v));
                if let Some(variable) = variable.filter(|_| variables) {
                    return Err(PolicyError::Unsupported(format!(
                        "{name}: the policy variable {variable} in {written} {key}"
                    )));
                }
                // `true`, `True` and `TRUE` are one value to a Bool or Null condition.
                let boolean = matches!(
                    operator,
                    Operator::Null
                        | Operator::Match {
                            test: Test::Bool,
                            ..
                        }
                );
                if boolean {
                    for value in &mut values {
                        value.make_ascii_lowercase();
                        if value != "true" && value != "false" {
                            return Err(malformed(format!("{written} {key} takes true or false")));
                        }
                    }
                }
                conditions.push(Condition {
                    operator,
                    if_exists,
                    key: key.clone(),
                    values,
                });
            }
        }
        Ok(conditions)
    }

    pub fn holds(&self, context: &Context) -> bool {
        let present = context.get(&self.key).filter(|values| !values.is_empty());
        let Operator::Match { test, negated } = self.operator else {
            // Null: true asks that the key be absent, false that it be there.
            let absent = present.is_none();
            return self.values.iter().any(|v| (v == "true") == absent);
        };
        let Some(actual) = present else {
            return self.if_exists || negated;
        };
        let any = actual
            .iter()
            .any(|value| self.values.iter().any(|wanted| test.matches(wanted, value)));
        any != negated
    }
}

impl Test {
    fn matches(self, wanted: &str, value: &str) -> bool {
        match self {
            Test::StringEquals => wanted == value,
            Test::StringEqualsIgnoreCase => wanted.to_lowercase() == value.to_lowercase(),
            Test::StringLike => WildMatch::new(wanted).matches(value),
            Test::Arn => arn_matches(wanted, value),
            Test::Bool => wanted.eq_ignore_ascii_case(value),
        }
    }
}

/// A condition's values as text: strings, and numbers and booleans as IAM reads them.
fn condition_values(value: &Value) -> Option<Vec<String>> {
    let one = |value: &Value| match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match value {
        Value::Array(list) if !list.is_empty() => list.iter().map(one).collect(),
        other => one(other).map(|v| vec![v]),
    }
}
