//! Choice rules: compiled at load (unknown or unsupported operators are refused
//! by name) and evaluated against the Choice state's effective input.

use super::error::RuntimeError;
use super::path::{PathSource, Scope};
use super::template::Template;
use super::timestamp::parse_timestamp;
use serde_json::{Map, Value};
use std::cmp::Ordering;

#[derive(Clone, Debug, PartialEq)]
pub struct ChoiceRule {
    pub condition: Condition,
    pub next: String,
    /// `Assign` when this rule is taken, over the Choice state's effective input.
    pub assign: Option<Template>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    And(Vec<Condition>),
    Or(Vec<Condition>),
    Not(Box<Condition>),
    Test { variable: PathSource, test: Test },
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    String,
    Numeric,
    Boolean,
    Timestamp,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Relation {
    Equals,
    LessThan,
    GreaterThan,
    LessThanEquals,
    GreaterThanEquals,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TypeTest {
    Present,
    Null,
    String,
    Numeric,
    Boolean,
    Timestamp,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    Literal(Value),
    Path(PathSource),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    Compare {
        kind: Kind,
        relation: Relation,
        operand: Operand,
    },
    Is {
        test: TypeTest,
        expected: bool,
    },
    /// `StringMatches`: `*` matches any run of characters; `\\*` and `\\\\` are literal.
    Matches(String),
}

impl ChoiceRule {
    pub fn compile(rule: &Value) -> Result<Self, String> {
        let fields = rule.as_object().ok_or("a Choice rule must be an object")?;
        let next = fields
            .get("Next")
            .and_then(Value::as_str)
            .ok_or("a Choice rule needs a Next")?
            .to_string();
        let assign = fields
            .get("Assign")
            .map(|value| Template::compile_assign(value).map_err(|e| format!("Choice Assign: {e}")))
            .transpose()?;
        Ok(Self {
            condition: Condition::compile(fields, true)?,
            next,
            assign,
        })
    }
}

impl Condition {
    fn compile(fields: &Map<String, Value>, top_level: bool) -> Result<Self, String> {
        let mut operators = fields
            .keys()
            .filter(|key| !matches!(key.as_str(), "Variable" | "Next" | "Comment" | "Assign"))
            .collect::<Vec<_>>();
        if !top_level && (fields.contains_key("Next") || fields.contains_key("Assign")) {
            return Err("a nested Choice rule cannot have a Next or an Assign".to_string());
        }
        let operator = match (operators.pop(), operators.is_empty()) {
            (Some(op), true) => op.as_str(),
            (None, _) => return Err("a Choice rule needs an operator".to_string()),
            (Some(op), false) => {
                return Err(format!(
                    "a Choice rule has several operators: {op} and {}",
                    operators[0]
                ))
            }
        };
        let value = &fields[operator];
        match operator {
            "And" | "Or" => {
                let rules = value
                    .as_array()
                    .filter(|rules| !rules.is_empty())
                    .ok_or_else(|| format!("{operator} needs a non-empty array of rules"))?;
                let nested = rules
                    .iter()
                    .map(nested_rule)
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(if operator == "And" {
                    Self::And(nested)
                } else {
                    Self::Or(nested)
                })
            }
            "Not" => Ok(Self::Not(Box::new(nested_rule(value)?))),
            _ => {
                let variable = fields
                    .get("Variable")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("{operator} needs a Variable"))?;
                let variable = PathSource::parse(variable).map_err(|e| format!("Variable: {e}"))?;
                Ok(Self::Test {
                    variable,
                    test: Test::compile(operator, value)?,
                })
            }
        }
    }

    pub fn evaluate(&self, input: &Value, scope: &Scope<'_>) -> Result<bool, RuntimeError> {
        match self {
            Self::And(rules) => {
                for rule in rules {
                    if !rule.evaluate(input, scope)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Self::Or(rules) => {
                for rule in rules {
                    if rule.evaluate(input, scope)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Self::Not(rule) => rule.evaluate(input, scope).map(|matched| !matched),
            Self::Test { variable, test } => {
                let value = variable.select(input, scope);
                if let Test::Is {
                    test: TypeTest::Present,
                    expected,
                } = test
                {
                    return Ok(value.is_some() == *expected);
                }
                // Only IsPresent may look at a path that is not there.
                let value = value.ok_or_else(|| {
                    RuntimeError(format!("Invalid path '{variable}': The choice state's condition path references an invalid value."))
                })?;
                test.holds(value, input, scope)
            }
        }
    }
}

fn nested_rule(value: &Value) -> Result<Condition, String> {
    let fields = value
        .as_object()
        .ok_or("a nested Choice rule must be an object")?;
    Condition::compile(fields, false)
}

impl Test {
    fn compile(operator: &str, value: &Value) -> Result<Self, String> {
        if operator == "StringMatches" {
            let pattern = value
                .as_str()
                .ok_or_else(|| format!("{operator} takes a string pattern"))?;
            return Ok(Self::Matches(pattern.to_string()));
        }
        let type_test = match operator {
            "IsPresent" => Some(TypeTest::Present),
            "IsNull" => Some(TypeTest::Null),
            "IsString" => Some(TypeTest::String),
            "IsNumeric" => Some(TypeTest::Numeric),
            "IsBoolean" => Some(TypeTest::Boolean),
            "IsTimestamp" => Some(TypeTest::Timestamp),
            _ => None,
        };
        if let Some(test) = type_test {
            let expected = value
                .as_bool()
                .ok_or_else(|| format!("{operator} takes true or false"))?;
            return Ok(Self::Is { test, expected });
        }
        let (base, by_path) = match operator.strip_suffix("Path") {
            Some(base) => (base, true),
            None => (operator, false),
        };
        let (kind, relation_name) = [
            ("String", Kind::String),
            ("Numeric", Kind::Numeric),
            ("Boolean", Kind::Boolean),
            ("Timestamp", Kind::Timestamp),
        ]
        .into_iter()
        .find_map(|(prefix, kind)| base.strip_prefix(prefix).map(|rest| (kind, rest)))
        .ok_or_else(|| format!("unknown Choice operator {operator}"))?;
        let relation = match relation_name {
            "Equals" => Relation::Equals,
            "LessThan" => Relation::LessThan,
            "GreaterThan" => Relation::GreaterThan,
            "LessThanEquals" => Relation::LessThanEquals,
            "GreaterThanEquals" => Relation::GreaterThanEquals,
            _ => return Err(format!("unknown Choice operator {operator}")),
        };
        if kind == Kind::Boolean && relation != Relation::Equals {
            return Err(format!("unknown Choice operator {operator}"));
        }
        let operand = if by_path {
            let text = value
                .as_str()
                .ok_or_else(|| format!("{operator} takes a path string"))?;
            Operand::Path(PathSource::parse(text).map_err(|e| format!("{operator}: {e}"))?)
        } else {
            if !kind.accepts(value) {
                return Err(format!(
                    "{operator} takes a {} value, not {value}",
                    kind.name()
                ));
            }
            Operand::Literal(value.clone())
        };
        Ok(Self::Compare {
            kind,
            relation,
            operand,
        })
    }

    fn holds(&self, value: &Value, input: &Value, scope: &Scope<'_>) -> Result<bool, RuntimeError> {
        match self {
            Self::Is { test, expected } => {
                let actual = match test {
                    TypeTest::Present => true,
                    TypeTest::Null => value.is_null(),
                    TypeTest::String => value.is_string(),
                    TypeTest::Numeric => value.is_number(),
                    TypeTest::Boolean => value.is_boolean(),
                    TypeTest::Timestamp => Kind::Timestamp.accepts(value),
                };
                Ok(actual == *expected)
            }
            Self::Matches(pattern) => Ok(value
                .as_str()
                .is_some_and(|text| glob_matches(pattern, text))),
            Self::Compare {
                kind,
                relation,
                operand,
            } => {
                let operand = match operand {
                    Operand::Literal(literal) => literal,
                    Operand::Path(path) => path.select(input, scope).ok_or_else(|| {
                        RuntimeError(format!("Invalid path '{path}': The choice state's condition path references an invalid value."))
                    })?,
                };
                // A value of another type than the operator's never matches.
                if !kind.accepts(value) || !kind.accepts(operand) {
                    return Ok(false);
                }
                let ordering = match kind {
                    Kind::String => value.as_str().cmp(&operand.as_str()),
                    Kind::Boolean => value.as_bool().cmp(&operand.as_bool()),
                    Kind::Timestamp => timestamp(value).cmp(&timestamp(operand)),
                    Kind::Numeric => {
                        let (a, b) = (
                            value.as_f64().unwrap_or(f64::NAN),
                            operand.as_f64().unwrap_or(f64::NAN),
                        );
                        match a.partial_cmp(&b) {
                            Some(ordering) => ordering,
                            None => return Ok(false),
                        }
                    }
                };
                Ok(match relation {
                    Relation::Equals => ordering == Ordering::Equal,
                    Relation::LessThan => ordering == Ordering::Less,
                    Relation::GreaterThan => ordering == Ordering::Greater,
                    Relation::LessThanEquals => ordering != Ordering::Greater,
                    Relation::GreaterThanEquals => ordering != Ordering::Less,
                })
            }
        }
    }
}

impl Kind {
    fn accepts(self, value: &Value) -> bool {
        match self {
            Self::String => value.is_string(),
            Self::Numeric => value.is_number(),
            Self::Boolean => value.is_boolean(),
            Self::Timestamp => timestamp(value).is_some(),
        }
    }
    fn name(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Numeric => "number",
            Self::Boolean => "boolean",
            Self::Timestamp => "timestamp",
        }
    }
}

fn timestamp(value: &Value) -> Option<chrono::DateTime<chrono::Utc>> {
    value.as_str().and_then(parse_timestamp)
}

/// `StringMatches`: `*` is any run of characters, `\*` a literal star and `\\` a
/// literal backslash. Written here because the language's escapes are its own
/// (glob crates read `?` and `[` as patterns too).
fn glob_matches(pattern: &str, text: &str) -> bool {
    enum Token {
        Star,
        Char(char),
    }
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '*' => Token::Star,
            '\\' => Token::Char(chars.next().unwrap_or('\\')),
            other => Token::Char(other),
        });
    }
    let text: Vec<char> = text.chars().collect();
    // Greedy matching with one backtrack point: the last star seen.
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match tokens.get(p) {
            Some(Token::Char(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            Some(Token::Star) => {
                star = Some((p, t));
                p += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    tokens[p..].iter().all(|token| matches!(token, Token::Star))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn holds(rule: Value, input: Value) -> Result<bool, RuntimeError> {
        let mut rule = rule;
        rule["Next"] = json!("X");
        ChoiceRule::compile(&rule).unwrap().condition.evaluate(
            &input,
            &Scope {
                context: &json!({}),
                variables: &Map::new(),
            },
        )
    }

    #[test]
    fn comparisons_and_combinators() {
        let input = json!({"n": 5, "s": "b", "t": true, "other": "b"});
        for (rule, expected) in [
            (
                json!({"Variable": "$.n", "NumericGreaterThanEquals": 5}),
                true,
            ),
            (json!({"Variable": "$.n", "NumericLessThan": 5}), false),
            (
                json!({"Variable": "$.s", "StringEqualsPath": "$.other"}),
                true,
            ),
            (json!({"Variable": "$.s", "StringLessThan": "c"}), true),
            (json!({"Variable": "$.n", "StringEquals": "5"}), false),
        ] {
            assert_eq!(holds(rule.clone(), input.clone()), Ok(expected), "{rule}");
        }
        let combined = json!({"And": [
            {"Variable": "$.t", "BooleanEquals": true},
            {"Not": {"Variable": "$.missing", "IsPresent": true}},
            {"Or": [{"Variable": "$.s", "IsNumeric": true}, {"Variable": "$.s", "IsString": true}]}
        ]});
        assert_eq!(holds(combined, input.clone()), Ok(true));
        assert!(holds(json!({"Variable": "$.missing", "IsNull": true}), input).is_err());
    }

    #[test]
    fn timestamps_compare_as_instants_and_patterns_match_with_escapes() {
        let input = json!({"at": "2026-12-01T10:00:00+01:00", "later": "2026-12-01T09:30:00Z",
                           "plain": "2026-12-01 10:00:00Z", "file": "photo*.jpg", "n": 3});
        for (rule, expected) in [
            (
                json!({"Variable": "$.at", "TimestampLessThanPath": "$.later"}),
                true,
            ),
            (
                json!({"Variable": "$.at", "TimestampEquals": "2026-12-01T09:00:00.000Z"}),
                true,
            ),
            (
                json!({"Variable": "$.plain", "TimestampLessThan": "2030-01-01T00:00:00Z"}),
                false,
            ),
            (json!({"Variable": "$.at", "IsTimestamp": true}), true),
            (json!({"Variable": "$.plain", "IsTimestamp": true}), false),
            (
                json!({"Variable": "$.file", "StringMatches": "photo\\*.*"}),
                true,
            ),
            (
                json!({"Variable": "$.file", "StringMatches": "photo\\*.png"}),
                false,
            ),
            (json!({"Variable": "$.file", "StringMatches": "*o*g"}), true),
            (json!({"Variable": "$.n", "StringMatches": "*"}), false),
        ] {
            assert_eq!(holds(rule.clone(), input.clone()), Ok(expected), "{rule}");
        }
        assert!(ChoiceRule::compile(
            &json!({"Variable": "$.a", "TimestampEquals": "yesterday", "Next": "N"})
        )
        .is_err());
    }

    #[test]
    fn unsupported_and_unknown_operators_are_named() {
        let err =
            ChoiceRule::compile(&json!({"Variable": "$.a", "BooleanLessThan": true, "Next": "N"}))
                .unwrap_err();
        assert!(err.contains("BooleanLessThan"), "{err}");
        let err =
            ChoiceRule::compile(&json!({"Variable": "$.a", "NumericEquals": "1", "Next": "N"}))
                .unwrap_err();
        assert!(err.contains("NumericEquals"), "{err}");
    }
}
