//! The JSONPath subset the runner understands: `$`, `$.a.b`, `$['a']`, `$.a[0]`.
//! Everything else (wildcards, filters, slices, recursive descent) is refused
//! when the definition loads, so a path never surprises at run time.

use serde_json::Value;
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

/// Where a `.$` value or a Choice `Variable` reads from: the state's input (`$...`)
/// or the context object (`$$...`).
#[derive(Clone, Debug, PartialEq)]
pub enum PathSource {
    Input(JsonPath),
    Context(JsonPath),
}

impl PathSource {
    pub fn parse(text: &str) -> Result<Self, String> {
        if let Some(context_path) = text.strip_prefix('$').filter(|rest| rest.starts_with('$')) {
            return JsonPath::parse(context_path).map(Self::Context);
        }
        if text.starts_with('$') {
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

    pub fn select<'a>(&self, input: &'a Value, context: &'a Value) -> Option<&'a Value> {
        match self {
            Self::Input(path) => path.select(input),
            Self::Context(path) => path.select(context),
        }
    }
}

impl fmt::Display for PathSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Input(path) => path.fmt(f),
            Self::Context(path) => write!(f, "${path}"),
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
        let source = PathSource::parse("$$.Execution.Name").unwrap();
        assert_eq!(source.select(&json!({}), &context), Some(&json!("n")));
        assert_eq!(source.to_string(), "$$.Execution.Name");
        let err = PathSource::parse("States.Format('{}', $.a)").unwrap_err();
        assert!(err.contains("States.Format"), "{err}");
    }
}
