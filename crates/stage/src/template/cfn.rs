//! A template's values as CloudFormation sees them: plain JSON, or an intrinsic function
//! applied to an argument. The short forms (`!Ref X`) and the long ones (`{"Ref": "X"}`)
//! read the same.

use super::TemplateError;
use serde_json::Value;
use serde_norway::Value as Yaml;

/// A value of the template, before it is resolved.
#[derive(Clone, Debug, PartialEq)]
pub enum Cfn {
    /// A string, a number, a boolean or null.
    Scalar(Value),
    List(Vec<Cfn>),
    /// Keys in the order the template wrote them.
    Map(Vec<(String, Cfn)>),
    /// `Ref`, or `Fn::Name` in its long form's spelling.
    Intrinsic(String, Box<Cfn>),
}

/// The intrinsics as their long form names them, from a short form's tag.
fn long_name(tag: &str) -> String {
    match tag {
        "Ref" | "Condition" => tag.to_string(),
        other => format!("Fn::{other}"),
    }
}

impl Cfn {
    pub fn from_yaml(yaml: &Yaml) -> Result<Self, TemplateError> {
        Ok(match yaml {
            Yaml::Null => Cfn::Scalar(Value::Null),
            Yaml::Bool(b) => Cfn::Scalar(Value::Bool(*b)),
            Yaml::Number(n) => Cfn::Scalar(number(n)),
            Yaml::String(s) => Cfn::Scalar(Value::String(s.clone())),
            Yaml::Sequence(items) => {
                Cfn::List(items.iter().map(Cfn::from_yaml).collect::<Result<_, _>>()?)
            }
            Yaml::Mapping(map) => {
                let mut entries = Vec::with_capacity(map.len());
                for (key, value) in map {
                    let key = match key {
                        Yaml::String(key) => key.clone(),
                        Yaml::Number(n) => n.to_string(),
                        Yaml::Bool(b) => b.to_string(),
                        other => return Err(TemplateError::Malformed(format!("a key {other:?}"))),
                    };
                    entries.push((key, Cfn::from_yaml(value)?));
                }
                Self::map_or_intrinsic(entries)
            }
            Yaml::Tagged(tagged) => {
                let tag = tagged.tag.to_string();
                let name = long_name(tag.trim_start_matches('!'));
                Cfn::Intrinsic(name, Box::new(Cfn::from_yaml(&tagged.value)?))
            }
        })
    }

    /// `{"Ref": x}` and `{"Fn::Name": x}` are intrinsics; any other map is a map.
    fn map_or_intrinsic(mut entries: Vec<(String, Cfn)>) -> Cfn {
        let is_intrinsic = entries.len() == 1
            && (entries[0].0 == "Ref"
                || entries[0].0 == "Condition"
                || entries[0].0.starts_with("Fn::"));
        if is_intrinsic {
            let (name, argument) = entries.remove(0);
            Cfn::Intrinsic(name, Box::new(argument))
        } else {
            Cfn::Map(entries)
        }
    }

    pub fn get(&self, key: &str) -> Option<&Cfn> {
        match self {
            Cfn::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[(String, Cfn)] {
        match self {
            Cfn::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Cfn::Scalar(Value::String(s)) => Some(s),
            _ => None,
        }
    }
}

fn number(n: &serde_norway::Number) -> Value {
    if let Some(i) = n.as_i64() {
        Value::from(i)
    } else if let Some(u) = n.as_u64() {
        Value::from(u)
    } else {
        n.as_f64().map_or(Value::Null, Value::from)
    }
}
