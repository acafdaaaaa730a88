//! The string functions: States.Format, which fills a template's `{}`
//! placeholders, and States.StringSplit.

use super::argument_checks::{exactly, kind, string};
use super::function::arguments;
use super::parser::Arg;
use super::template_pieces::{pieces_of, placeholders, Piece};
use serde_json::Value;

/// States.Format: a quoted template keeps its escaped braces; a template read
/// from a path has only its `{}` as placeholders. `template_arg` is the template
/// as written in the call.
pub(super) fn format(template_arg: Option<&Arg>, values: &[Value]) -> Result<Value, String> {
    let (template, fills) = values
        .split_first()
        .ok_or("the template argument is missing")?;
    let pieces = match template_arg {
        Some(Arg::Quoted(pieces)) => pieces.clone(),
        _ => match template {
            Value::String(text) => pieces_of(text),
            other => return Err(format!("the template is {}, not a string", kind(other))),
        },
    };
    let wanted = placeholders(&pieces);
    if wanted != fills.len() {
        return Err(format!(
            "the template has {wanted} {{}} placeholders but {} {} to put in them",
            fills.len(),
            arguments(fills.len())
        ));
    }
    let mut fills = fills.iter();
    let mut out = String::new();
    for piece in &pieces {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Placeholder => {
                let fill = fills.next().ok_or("a placeholder has no argument")?;
                out.push_str(&natural_text(fill));
            }
        }
    }
    Ok(Value::String(out))
}

/// A value's natural string representation, as States.Format inserts it: Step
/// Functions writes a value as Java writes its map or list, so an object reads
/// `{Arg1=1, Arg2=[a, b]}`, strings bare at every depth.
fn natural_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        Value::Null => "null".to_string(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(natural_text).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|(name, value)| format!("{name}={}", natural_text(value)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
    }
}

/// Every character of the second argument delimits; empty pieces are dropped.
pub(super) fn string_split(values: &[Value]) -> Result<Value, String> {
    let [text, delimiters] = exactly::<2>(values)?;
    let text = string(text, "the first argument")?;
    let delimiters = string(delimiters, "the delimiter")?;
    Ok(Value::Array(
        text.split(|c| delimiters.contains(c))
            .filter(|piece| !piece.is_empty())
            .map(|piece| Value::String(piece.to_string()))
            .collect(),
    ))
}
