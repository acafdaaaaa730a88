//! The JSONPath subset the runner understands: `$`, `$.a.b`, `$['a']`, `$.a[0]`.
//! Everything else (wildcards, filters, slices, recursive descent) is refused
//! when the definition loads, so a path never surprises at run time.

use serde_json::{Map, Value};
use std::fmt;

#[derive(Clone, Debug, PartialEq)]
enum Segment {
    Field(String),
    Index(usize),
}

/// A parsed path; keeps its text for error messages.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonPath {
    text: String,
    segments: Vec<Segment>,
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl JsonPath {
    pub fn root() -> Self {
        Self {
            text: "$".to_string(),
            segments: Vec::new(),
        }
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let rest = text
            .strip_prefix('$')
            .ok_or_else(|| format!("JSONPath {text:?} must start with '$'"))?;
        let chars: Vec<char> = rest.chars().collect();
        let mut segments = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '.' => {
                    if chars.get(i + 1) == Some(&'.') {
                        return Err(format!(
                            "recursive descent '..' in JSONPath {text:?} is not supported"
                        ));
                    }
                    let start = i + 1;
                    let mut end = start;
                    while end < chars.len() && chars[end] != '.' && chars[end] != '[' {
                        end += 1;
                    }
                    let name: String = chars[start..end].iter().collect();
                    if name.is_empty() {
                        return Err(format!("empty field name in JSONPath {text:?}"));
                    }
                    if name.contains(['*', '?', '@', '(', ')', ']', '\'', '"']) {
                        return Err(format!(
                            "wildcard or expression {name:?} in JSONPath {text:?} is not supported"
                        ));
                    }
                    segments.push(Segment::Field(name));
                    i = end;
                }
                '[' => {
                    let close = chars[i..]
                        .iter()
                        .position(|&c| c == ']')
                        .map(|offset| i + offset)
                        .ok_or_else(|| format!("unclosed '[' in JSONPath {text:?}"))?;
                    let inner: String = chars[i + 1..close].iter().collect();
                    segments.push(parse_bracket(&inner, text)?);
                    i = close + 1;
                }
                other => return Err(format!("unexpected {other:?} in JSONPath {text:?}")),
            }
        }
        Ok(Self {
            text: text.to_string(),
            segments,
        })
    }

    /// The path in the bracket notation Step Functions' messages use: `$['a'][0]`.
    pub fn normalized(&self) -> String {
        let mut out = String::from("$");
        for segment in &self.segments {
            match segment {
                Segment::Field(name) => out.push_str(&format!("['{name}']")),
                Segment::Index(index) => out.push_str(&format!("[{index}]")),
            }
        }
        out
    }

    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    /// The value at this path, if every step of it exists.
    pub fn select<'a>(&self, value: &'a Value) -> Option<&'a Value> {
        self.segments
            .iter()
            .try_fold(value, |current, segment| match segment {
                Segment::Field(name) => current.as_object()?.get(name),
                Segment::Index(index) => current.as_array()?.get(*index),
            })
    }

    /// Puts `value` at this path inside `target`, creating missing objects on the
    /// way, as a `ResultPath` does. A step through something that is not an object
    /// (or a missing array element) is an error.
    pub fn insert(&self, mut target: Value, value: Value) -> Result<Value, String> {
        let Some((last, parents)) = self.segments.split_last() else {
            return Ok(value);
        };
        let mut current = &mut target;
        for segment in parents {
            current = match segment {
                Segment::Field(name) => current
                    .as_object_mut()
                    .ok_or_else(|| format!("cannot apply ResultPath {self}: the input is not an object at {name:?}"))?
                    .entry(name.clone())
                    .or_insert_with(|| Value::Object(Default::default())),
                Segment::Index(index) => current
                    .as_array_mut()
                    .and_then(|items| items.get_mut(*index))
                    .ok_or_else(|| format!("cannot apply ResultPath {self}: no element [{index}]"))?,
            };
        }
        match last {
            Segment::Field(name) => {
                current
                    .as_object_mut()
                    .ok_or_else(|| format!("cannot apply ResultPath {self}: the input is not an object at {name:?}"))?
                    .insert(name.clone(), value);
            }
            Segment::Index(index) => {
                let slot = current
                    .as_array_mut()
                    .and_then(|items| items.get_mut(*index))
                    .ok_or_else(|| {
                        format!("cannot apply ResultPath {self}: no element [{index}]")
                    })?;
                *slot = value;
            }
        }
        Ok(target)
    }
}

fn parse_bracket(inner: &str, text: &str) -> Result<Segment, String> {
    let quoted = |quote: char| {
        inner
            .strip_prefix(quote)
            .and_then(|s| s.strip_suffix(quote))
    };
    if let Some(name) = quoted('\'').or_else(|| quoted('"')) {
        return Ok(Segment::Field(name.to_string()));
    }
    if !inner.is_empty() && inner.chars().all(|c| c.is_ascii_digit()) {
        let index = inner
            .parse()
            .map_err(|_| format!("index [{inner}] in JSONPath {text:?} is too large"))?;
        return Ok(Segment::Index(index));
    }
    Err(format!(
        "bracket [{inner}] in JSONPath {text:?} is not supported"
    ))
}

/// What paths other than `$` read: the context object (`$$`) and the workflow
/// variables in scope (`$name`).
#[derive(Clone, Copy, Debug)]
pub struct Scope<'a> {
    pub context: &'a Value,
    pub variables: &'a Map<String, Value>,
}

/// Where a `.$` value or a Choice `Variable` reads from: the state's input (`$...`),
/// the context object (`$$...`) or a workflow variable (`$name...`).
#[derive(Clone, Debug, PartialEq)]
pub enum PathSource {
    Input(JsonPath),
    Context(JsonPath),
    /// `$name.rest`: the variable's name, and the path inside its value (`$.rest`).
    Variable(String, JsonPath),
}

impl PathSource {
    pub fn parse(text: &str) -> Result<Self, String> {
        if let Some(context_path) = text.strip_prefix('$').filter(|rest| rest.starts_with('$')) {
            return JsonPath::parse(context_path).map(Self::Context);
        }
        if let Some(rest) = text.strip_prefix('$') {
            if let Some((name, inner)) = variable_name(rest) {
                return JsonPath::parse(&format!("${inner}"))
                    .map(|path| Self::Variable(name.to_string(), path));
            }
            return JsonPath::parse(text).map(Self::Input);
        }
        if let Some(open) = text.find('(').filter(|_| text.starts_with("States.")) {
            return Err(format!(
                "intrinsic function {} is not supported",
                &text[..open]
            ));
        }
        Err(format!("{text:?} is not a JSONPath"))
    }

    pub fn select<'a>(&self, input: &'a Value, scope: &Scope<'a>) -> Option<&'a Value> {
        match self {
            Self::Input(path) => path.select(input),
            Self::Context(path) => path.select(scope.context),
            Self::Variable(name, path) => path.select(scope.variables.get(name)?),
        }
    }

    /// The path in the bracket notation of Step Functions' messages (`$['a'][0]`).
    pub fn normalized(&self) -> String {
        match self {
            Self::Input(path) | Self::Context(path) | Self::Variable(_, path) => path.normalized(),
        }
    }

    /// The variable this path reads, if it reads one.
    pub fn variable(&self) -> Option<&str> {
        match self {
            Self::Variable(name, _) => Some(name),
            _ => None,
        }
    }
}

/// `name` and what follows it, when `rest` (the text after `$`) starts with a
/// variable name: a letter or `_`, then letters, digits or `_`.
fn variable_name(rest: &str) -> Option<(&str, &str)> {
    let first = rest.chars().next()?;
    if !(first.is_alphabetic() || first == '_') {
        return None;
    }
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    Some((&rest[..end], &rest[end..]))
}

impl fmt::Display for PathSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Input(path) => path.fmt(f),
            Self::Context(path) => write!(f, "${path}"),
            Self::Variable(name, path) => write!(f, "${name}{}", &path.text[1..]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selects_fields_quoted_fields_and_indexes() {
        let doc = json!({"a": {"b c": [10, {"d": true}]}});
        assert_eq!(JsonPath::parse("$").unwrap().select(&doc), Some(&doc));
        assert_eq!(
            JsonPath::parse("$.a['b c'][1].d").unwrap().select(&doc),
            Some(&json!(true))
        );
        assert_eq!(
            JsonPath::parse("$.a[\"b c\"][0]").unwrap().select(&doc),
            Some(&json!(10))
        );
        assert_eq!(JsonPath::parse("$.a.missing").unwrap().select(&doc), None);
    }

    #[test]
    fn refuses_what_the_subset_does_not_cover() {
        for bad in [
            "a.b",
            "$..a",
            "$.a[*]",
            "$.*",
            "$.a[1:2]",
            "$.a[?(@.x)]",
            "$.",
            "$.a[",
        ] {
            assert!(JsonPath::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn insert_creates_objects_and_replaces_at_root() {
        let path = JsonPath::parse("$.x.y").unwrap();
        assert_eq!(
            path.insert(json!({"k": 1}), json!(2)).unwrap(),
            json!({"k": 1, "x": {"y": 2}})
        );
        assert_eq!(
            JsonPath::root().insert(json!({"k": 1}), json!(2)).unwrap(),
            json!(2)
        );
        assert!(path.insert(json!({"x": 5}), json!(2)).is_err());
    }

    #[test]
    fn context_paths_and_intrinsics_are_told_apart() {
        let context = json!({"Execution": {"Name": "n"}});
        let variables = Map::from_iter([("photo".to_string(), json!({"id": 7}))]);
        let scope = Scope {
            context: &context,
            variables: &variables,
        };
        let source = PathSource::parse("$$.Execution.Name").unwrap();
        assert_eq!(source.select(&json!({}), &scope), Some(&json!("n")));
        let variable = PathSource::parse("$photo.id").unwrap();
        assert_eq!(variable.select(&json!({}), &scope), Some(&json!(7)));
        assert_eq!(variable.to_string(), "$photo.id");
        assert_eq!(
            JsonPath::parse("$.a['b c'][2]").unwrap().normalized(),
            "$['a']['b c'][2]"
        );
        assert_eq!(source.to_string(), "$$.Execution.Name");
        let err = PathSource::parse("States.Format('{}', $.a)").unwrap_err();
        assert!(err.contains("States.Format"), "{err}");
    }
}
