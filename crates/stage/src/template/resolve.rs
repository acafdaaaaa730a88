//! A template's values resolved as CloudFormation resolves them: parameters and pseudo
//! parameters, conditions, and the resources that stand in for AWS's. An intrinsic this
//! does not run is refused by name, never passed through.

use super::cfn::Cfn;
use super::TemplateError;
use serde_json::Value;
use std::collections::BTreeMap;

/// What the stood-in resources answer for `Ref` and `Fn::GetAtt`.
pub trait Resources {
    /// `Ref` of a resource: its name, URL or ARN, as its type says.
    fn reference(&self, logical_id: &str) -> Option<Value>;
    /// `Fn::GetAtt` of a resource's attribute.
    fn attribute(&self, logical_id: &str, attribute: &str) -> Option<Value>;
}

/// Everything a value may refer to.
pub struct Scope<'a> {
    /// The template's parameters and the pseudo parameters (`AWS::Region`, ...).
    pub parameters: &'a BTreeMap<String, Value>,
    pub conditions: &'a BTreeMap<String, bool>,
    pub resources: &'a dyn Resources,
}

/// `Ref: AWS::NoValue`: the property it stands in is left out.
const NO_VALUE: &str = "AWS::NoValue";

impl Scope<'_> {
    /// The value resolved; `None` where it is `AWS::NoValue`.
    pub fn resolve(&self, value: &Cfn) -> Result<Option<Value>, TemplateError> {
        Ok(Some(match value {
            Cfn::Scalar(scalar) => scalar.clone(),
            Cfn::List(items) => {
                let mut resolved = Vec::with_capacity(items.len());
                for item in items {
                    resolved.extend(self.resolve(item)?);
                }
                Value::Array(resolved)
            }
            Cfn::Map(entries) => {
                let mut resolved = serde_json::Map::new();
                for (key, item) in entries {
                    if let Some(item) = self.resolve(item)? {
                        resolved.insert(key.clone(), item);
                    }
                }
                Value::Object(resolved)
            }
            Cfn::Intrinsic(name, argument) => return self.intrinsic(name, argument),
        }))
    }

    fn intrinsic(&self, name: &str, argument: &Cfn) -> Result<Option<Value>, TemplateError> {
        match name {
            "Ref" => self.reference(text(name, argument)?),
            "Fn::GetAtt" => self.get_att(argument).map(Some),
            "Fn::Sub" => self.sub(argument).map(|s| Some(Value::String(s))),
            "Fn::Join" => self.join(argument).map(|s| Some(Value::String(s))),
            "Fn::Select" => self.select(argument).map(Some),
            "Fn::Split" => self.split(argument).map(Some),
            "Fn::If" => {
                let [condition, then, otherwise] = arguments::<3>(name, argument)?;
                let condition = text(name, condition)?;
                if self.named_condition(condition)? {
                    self.resolve(then)
                } else {
                    self.resolve(otherwise)
                }
            }
            "Fn::Equals" | "Fn::Not" | "Fn::And" | "Fn::Or" | "Condition" => self
                .condition(&Cfn::Intrinsic(name.into(), Box::new(argument.clone())))
                .map(|b| Some(Value::Bool(b))),
            other => Err(TemplateError::Unsupported(other.to_string())),
        }
    }

    /// A condition's value: `Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or` and `Condition`.
    pub fn condition(&self, value: &Cfn) -> Result<bool, TemplateError> {
        let Cfn::Intrinsic(name, argument) = value else {
            return Err(TemplateError::Malformed(format!(
                "a condition must be a condition function, not {value:?}"
            )));
        };
        match name.as_str() {
            "Fn::Equals" => {
                let [a, b] = arguments::<2>(name, argument)?;
                Ok(self.resolve(a)? == self.resolve(b)?)
            }
            "Fn::Not" => {
                let [inner] = arguments::<1>(name, argument)?;
                Ok(!self.condition(inner)?)
            }
            "Fn::And" | "Fn::Or" => {
                let Cfn::List(items) = argument.as_ref() else {
                    return Err(malformed(name, "a list of conditions"));
                };
                let values = items
                    .iter()
                    .map(|item| self.condition(item))
                    .collect::<Result<Vec<bool>, _>>()?;
                Ok(if name == "Fn::And" {
                    values.iter().all(|v| *v)
                } else {
                    values.iter().any(|v| *v)
                })
            }
            "Condition" => self.named_condition(text(name, argument)?),
            other => Err(TemplateError::Unsupported(other.to_string())),
        }
    }

    fn named_condition(&self, name: &str) -> Result<bool, TemplateError> {
        self.conditions
            .get(name)
            .copied()
            .ok_or_else(|| TemplateError::Unresolved(format!("the condition {name}")))
    }

    fn reference(&self, name: &str) -> Result<Option<Value>, TemplateError> {
        if name == NO_VALUE {
            return Ok(None);
        }
        if let Some(value) = self.parameters.get(name) {
            return Ok(Some(value.clone()));
        }
        self.resources
            .reference(name)
            .map(Some)
            .ok_or_else(|| TemplateError::Unresolved(format!("Ref {name}")))
    }

    fn get_att(&self, argument: &Cfn) -> Result<Value, TemplateError> {
        let (resource, attribute) = match argument {
            Cfn::Scalar(Value::String(dotted)) => dotted
                .split_once('.')
                .ok_or_else(|| malformed("Fn::GetAtt", "Resource.Attribute"))?,
            _ => {
                let [resource, attribute] = arguments::<2>("Fn::GetAtt", argument)?;
                (
                    text("Fn::GetAtt", resource)?,
                    text("Fn::GetAtt", attribute)?,
                )
            }
        };
        self.attribute(resource, attribute)
    }

    fn attribute(&self, resource: &str, attribute: &str) -> Result<Value, TemplateError> {
        self.resources
            .attribute(resource, attribute)
            .ok_or_else(|| TemplateError::Unresolved(format!("Fn::GetAtt {resource}.{attribute}")))
    }

    /// `Fn::Sub`: `${Name}` (a parameter, pseudo parameter or resource), `${Resource.Attr}`,
    /// `${!Literal}`, and the variables of its two-argument form.
    fn sub(&self, argument: &Cfn) -> Result<String, TemplateError> {
        let (template, variables) = match argument {
            Cfn::List(items) if items.len() == 2 => (text("Fn::Sub", &items[0])?, Some(&items[1])),
            _ => (text("Fn::Sub", argument)?, None),
        };
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| malformed("Fn::Sub", "a closing } after ${"))?;
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else {
                let variable = variables.and_then(|v| v.get(name));
                let value = match variable {
                    Some(variable) => self.resolve(variable)?,
                    None => match name.split_once('.') {
                        Some((resource, attribute)) => Some(self.attribute(resource, attribute)?),
                        None => self.reference(name)?,
                    },
                };
                out.push_str(&as_text(name, value)?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn join(&self, argument: &Cfn) -> Result<String, TemplateError> {
        let [delimiter, items] = arguments::<2>("Fn::Join", argument)?;
        let delimiter = text("Fn::Join", delimiter)?;
        let items = self.list("Fn::Join", items)?;
        let texts = items
            .into_iter()
            .map(|item| as_text("Fn::Join", Some(item)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(texts.join(delimiter))
    }

    fn select(&self, argument: &Cfn) -> Result<Value, TemplateError> {
        let [index, items] = arguments::<2>("Fn::Select", argument)?;
        let index = self
            .resolve(index)?
            .as_ref()
            .and_then(super::whole_number)
            .ok_or_else(|| malformed("Fn::Select", "a whole-number index"))?;
        let items = self.list("Fn::Select", items)?;
        usize::try_from(index)
            .ok()
            .and_then(|index| items.into_iter().nth(index))
            .ok_or_else(|| malformed("Fn::Select", "an index within the list"))
    }

    fn split(&self, argument: &Cfn) -> Result<Value, TemplateError> {
        let [delimiter, source] = arguments::<2>("Fn::Split", argument)?;
        let delimiter = text("Fn::Split", delimiter)?;
        let source = as_text("Fn::Split", self.resolve(source)?)?;
        Ok(Value::Array(
            source
                .split(delimiter)
                .map(|part| Value::String(part.to_string()))
                .collect(),
        ))
    }

    /// A value that must resolve to a list (a literal list, or a list parameter).
    fn list(&self, function: &str, value: &Cfn) -> Result<Vec<Value>, TemplateError> {
        match self.resolve(value)? {
            Some(Value::Array(items)) => Ok(items),
            _ => Err(malformed(function, "a list")),
        }
    }
}

/// A value spliced into text: strings as they are, numbers and booleans written out.
fn as_text(context: &str, value: Option<Value>) -> Result<String, TemplateError> {
    match value {
        Some(Value::String(s)) => Ok(s),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(Value::Bool(b)) => Ok(b.to_string()),
        other => Err(malformed(context, &format!("text, not {other:?}"))),
    }
}

fn text<'a>(function: &str, value: &'a Cfn) -> Result<&'a str, TemplateError> {
    value
        .as_str()
        .ok_or_else(|| malformed(function, "a string argument"))
}

fn arguments<'a, const N: usize>(
    function: &str,
    argument: &'a Cfn,
) -> Result<[&'a Cfn; N], TemplateError> {
    match argument {
        Cfn::List(items) if items.len() == N => Ok(std::array::from_fn(|i| &items[i])),
        _ => Err(malformed(function, &format!("a list of {N} arguments"))),
    }
}

fn malformed(function: &str, expected: &str) -> TemplateError {
    TemplateError::Malformed(format!("{function} takes {expected}"))
}
