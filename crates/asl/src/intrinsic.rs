//! The intrinsic functions of JSONPath states: `States.Format('Hello {}', $.name)`
//! and the seventeen others of Step Functions' developer guide.
//!
//! A call is parsed when the definition loads, so an unknown name, an argument
//! count that is wrong on its face or a broken literal is refused there, by name.
//! Everything that depends on the data (types, limits, indexes) is checked when the
//! call is evaluated, as Step Functions checks it, and fails with a cause that
//! names the call.

use crate::path::PathSource;
use crate::payload::{json_len, MAX_PAYLOAD_BYTES};
use base64::Engine as _;
use serde_json::{Map, Number, Value};
use std::collections::HashSet;
use std::fmt::{self, Write as _};

/// Step Functions allows up to 10 intrinsic functions nested within a field.
const MAX_DEPTH: usize = 10;
/// The data of Base64Encode, Base64Decode and Hash: at most this many characters.
const MAX_DATA_CHARS: usize = 10_000;
/// States.ArrayRange builds at most this many elements.
const MAX_RANGE_ELEMENTS: i128 = 1000;
/// States.MathAdd takes 32-bit integers.
const MATH_ADD_RANGE: std::ops::RangeInclusive<i64> = (i32::MIN as i64)..=(i32::MAX as i64);

/// A parsed intrinsic call, e.g. `States.Format('Hello {}', $.name)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Intrinsic {
    function: Function,
    args: Vec<Arg>,
    /// The call as written, for messages.
    text: String,
}

/// Why an intrinsic could not be evaluated at run time. The engine reports it as
/// `States.Runtime`, as Step Functions does (the language's specification names
/// `States.IntrinsicFailure`, but executions on AWS fail with a runtime error).
#[derive(Clone, Debug, PartialEq)]
pub struct IntrinsicFailure(pub String);

impl fmt::Display for IntrinsicFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for IntrinsicFailure {}

impl fmt::Display for Intrinsic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Arg {
    /// A quoted string, in pieces so that escaped braces stay apart from `{}` placeholders.
    Quoted(Vec<Piece>),
    /// A number, `true`, `false` or `null`.
    Literal(Value),
    Path(PathSource),
    Call(Intrinsic),
}

#[derive(Clone, Debug, PartialEq)]
enum Piece {
    Text(String),
    /// An unescaped `{}`: a placeholder of States.Format, plain `{}` anywhere else.
    Placeholder,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Function {
    Format,
    StringToJson,
    JsonToString,
    Array,
    ArrayPartition,
    ArrayContains,
    ArrayRange,
    ArrayGetItem,
    ArrayLength,
    ArrayUnique,
    Base64Encode,
    Base64Decode,
    Hash,
    JsonMerge,
    MathRandom,
    MathAdd,
    StringSplit,
    Uuid,
}

const FUNCTIONS: [Function; 18] = [
    Function::Format,
    Function::StringToJson,
    Function::JsonToString,
    Function::Array,
    Function::ArrayPartition,
    Function::ArrayContains,
    Function::ArrayRange,
    Function::ArrayGetItem,
    Function::ArrayLength,
    Function::ArrayUnique,
    Function::Base64Encode,
    Function::Base64Decode,
    Function::Hash,
    Function::JsonMerge,
    Function::MathRandom,
    Function::MathAdd,
    Function::StringSplit,
    Function::Uuid,
];

/// How many arguments a function takes.
enum Arity {
    Exactly(usize),
    AtLeast(usize),
    Between(usize, usize),
}

impl Function {
    fn named(name: &str) -> Option<Self> {
        FUNCTIONS
            .into_iter()
            .find(|function| function.name() == name)
    }

    fn name(self) -> &'static str {
        match self {
            Self::Format => "States.Format",
            Self::StringToJson => "States.StringToJson",
            Self::JsonToString => "States.JsonToString",
            Self::Array => "States.Array",
            Self::ArrayPartition => "States.ArrayPartition",
            Self::ArrayContains => "States.ArrayContains",
            Self::ArrayRange => "States.ArrayRange",
            Self::ArrayGetItem => "States.ArrayGetItem",
            Self::ArrayLength => "States.ArrayLength",
            Self::ArrayUnique => "States.ArrayUnique",
            Self::Base64Encode => "States.Base64Encode",
            Self::Base64Decode => "States.Base64Decode",
            Self::Hash => "States.Hash",
            Self::JsonMerge => "States.JsonMerge",
            Self::MathRandom => "States.MathRandom",
            Self::MathAdd => "States.MathAdd",
            Self::StringSplit => "States.StringSplit",
            Self::Uuid => "States.UUID",
        }
    }

    fn arity(self) -> Arity {
        match self {
            Self::Format => Arity::AtLeast(1),
            Self::Array => Arity::AtLeast(0),
            Self::Uuid => Arity::Exactly(0),
            Self::StringToJson
            | Self::JsonToString
            | Self::ArrayLength
            | Self::ArrayUnique
            | Self::Base64Encode
            | Self::Base64Decode => Arity::Exactly(1),
            Self::ArrayPartition
            | Self::ArrayContains
            | Self::ArrayGetItem
            | Self::Hash
            | Self::MathAdd
            | Self::StringSplit => Arity::Exactly(2),
            Self::ArrayRange | Self::JsonMerge => Arity::Exactly(3),
            Self::MathRandom => Arity::Between(2, 3),
        }
    }

    /// The load-time error for `count` arguments, if that count is wrong.
    fn check_arity(self, count: usize) -> Result<(), String> {
        let name = self.name();
        let wanted = match self.arity() {
            Arity::Exactly(n) if count != n => format!("{} {}", n, arguments(n)),
            Arity::AtLeast(n) if count < n => format!("at least {} {}", n, arguments(n)),
            Arity::Between(low, high) if !(low..=high).contains(&count) => {
                format!("{low} or {high} arguments")
            }
            _ => return Ok(()),
        };
        Err(format!("{name} takes {wanted}, not {count}"))
    }
}

fn arguments(count: usize) -> &'static str {
    if count == 1 {
        "argument"
    } else {
        "arguments"
    }
}

impl Intrinsic {
    /// True when `text` looks like an intrinsic call (starts with `States.` and has a '(').
    pub fn looks_like(text: &str) -> bool {
        text.starts_with("States.") && text.contains('(')
    }

    /// Parses at load time. Unknown function names, wrong argument counts that can be seen
    /// statically, unbalanced quotes/parentheses are errors naming the function,
    /// e.g. "intrinsic function States.Foo is not supported" or
    /// "States.ArrayLength takes 1 argument, not 2".
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let mut parser = Parser { text, pos: 0 };
        let call = parser.call(1)?;
        parser.skip_spaces();
        if !parser.rest().is_empty() {
            return Err(format!(
                "{}: unexpected {:?} after the call in {:?}",
                call.function.name(),
                abbreviated(parser.rest()),
                abbreviated(text)
            ));
        }
        Ok(call)
    }

    /// Evaluates; `resolve` gives the value a path argument points at (None = the path
    /// matches nothing, which is a failure naming the path).
    pub fn evaluate(
        &self,
        resolve: &dyn Fn(&PathSource) -> Option<Value>,
    ) -> Result<Value, IntrinsicFailure> {
        let values = self
            .args
            .iter()
            .map(|arg| self.value_of(arg, resolve))
            .collect::<Result<Vec<_>, _>>()?;
        self.apply(values)
            .map_err(|problem| IntrinsicFailure(format!("{self}: {problem}")))
    }

    fn value_of(
        &self,
        arg: &Arg,
        resolve: &dyn Fn(&PathSource) -> Option<Value>,
    ) -> Result<Value, IntrinsicFailure> {
        match arg {
            Arg::Quoted(pieces) => Ok(Value::String(joined(pieces))),
            Arg::Literal(value) => Ok(value.clone()),
            Arg::Path(path) => resolve(path).ok_or_else(|| {
                IntrinsicFailure(format!("{self}: the JSONPath {path} matches nothing"))
            }),
            // Its failure already names the inner call.
            Arg::Call(call) => call.evaluate(resolve),
        }
    }

    /// Runs the function on its evaluated arguments; an error is the problem alone.
    fn apply(&self, values: Vec<Value>) -> Result<Value, String> {
        match self.function {
            Function::Format => self.format(&values),
            Function::StringToJson => string_to_json(&values),
            Function::JsonToString => json_to_string(&values),
            Function::Array => Ok(Value::Array(values)),
            Function::ArrayPartition => array_partition(&values),
            Function::ArrayContains => array_contains(&values),
            Function::ArrayRange => array_range(&values),
            Function::ArrayGetItem => array_get_item(&values),
            Function::ArrayLength => array_length(&values),
            Function::ArrayUnique => array_unique(&values),
            Function::Base64Encode => base64_encode(&values),
            Function::Base64Decode => base64_decode(&values),
            Function::Hash => hash(&values),
            Function::JsonMerge => json_merge(&values),
            Function::MathRandom => math_random(&values),
            Function::MathAdd => math_add(&values),
            Function::StringSplit => string_split(&values),
            Function::Uuid => Ok(Value::String(uuid::Uuid::new_v4().to_string())),
        }
    }

    /// States.Format: a quoted template keeps its escaped braces; a template read
    /// from a path has only its `{}` as placeholders.
    fn format(&self, values: &[Value]) -> Result<Value, String> {
        let (template, fills) = values
            .split_first()
            .ok_or("the template argument is missing")?;
        let pieces = match self.args.first() {
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
                    out.push_str(&natural_text(fill)?);
                }
            }
        }
        Ok(Value::String(out))
    }
}

// ---- Parsing -------------------------------------------------------------------------

struct Parser<'a> {
    text: &'a str,
    /// A byte offset, always on a character boundary.
    pos: usize,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    /// A syntax error inside the call to `name`, with the whole text for context.
    fn error(&self, name: &str, problem: &str) -> String {
        format!("{name}: {problem} in {:?}", abbreviated(self.text))
    }

    /// A function name: the ASL spec allows letters, digits, '.' and '_'.
    fn name(&mut self) -> &'a str {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
        {
            self.bump();
        }
        self.text.get(start..self.pos).unwrap_or("")
    }

    fn call(&mut self, depth: usize) -> Result<Intrinsic, String> {
        let start = self.pos;
        let name = self.name();
        if name.is_empty() || self.peek() != Some('(') {
            return Err(format!(
                "{:?} is not an intrinsic function call: a name such as States.Format must be \
                 followed by '('",
                abbreviated(self.text)
            ));
        }
        let function = Function::named(name)
            .ok_or_else(|| format!("intrinsic function {name} is not supported"))?;
        // Checked before going deeper, so no input can exhaust the stack.
        if depth > MAX_DEPTH {
            return Err(self.error(
                name,
                &format!("more than {MAX_DEPTH} intrinsic functions are nested"),
            ));
        }
        self.bump();
        let args = self.arguments(name, depth)?;
        let text = self.text.get(start..self.pos).unwrap_or("").to_string();
        function.check_arity(args.len())?;
        check_statically(function, &args)?;
        Ok(Intrinsic {
            function,
            args,
            text,
        })
    }

    /// The arguments after '(' up to and including the closing ')'.
    fn arguments(&mut self, name: &str, depth: usize) -> Result<Vec<Arg>, String> {
        let mut args = Vec::new();
        self.skip_spaces();
        if self.peek() == Some(')') {
            self.bump();
            return Ok(args);
        }
        loop {
            self.skip_spaces();
            args.push(self.argument(name, depth)?);
            self.skip_spaces();
            match self.bump() {
                Some(',') => {}
                Some(')') => return Ok(args),
                Some(c) => return Err(self.error(name, &format!("unexpected {c:?}"))),
                None => return Err(self.error(name, "a closing ')' is missing")),
            }
        }
    }

    fn argument(&mut self, name: &str, depth: usize) -> Result<Arg, String> {
        match self.peek() {
            Some('\'') => self.quoted(name).map(Arg::Quoted),
            Some('$') => self.path(name).map(Arg::Path),
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(name).map(Arg::Literal),
            Some(c) if c.is_ascii_alphabetic() => self.word(name, depth),
            Some(c @ (',' | ')')) => {
                Err(self.error(name, &format!("an argument is missing before {c:?}")))
            }
            Some(c) => Err(self.error(name, &format!("unexpected {c:?}"))),
            None => Err(self.error(name, "a closing ')' is missing")),
        }
    }

    /// A nested call, or one of the literals `true`, `false` and `null`.
    fn word(&mut self, name: &str, depth: usize) -> Result<Arg, String> {
        let start = self.pos;
        let word = self.name();
        if self.peek() == Some('(') {
            self.pos = start;
            return self.call(depth + 1).map(Arg::Call);
        }
        match word {
            "true" => Ok(Arg::Literal(Value::Bool(true))),
            "false" => Ok(Arg::Literal(Value::Bool(false))),
            "null" => Ok(Arg::Literal(Value::Null)),
            _ => Err(self.error(name, &format!("unexpected {word:?}"))),
        }
    }

    /// A JSON number: integer or decimal, maybe negative.
    fn number(&mut self, name: &str) -> Result<Value, String> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
        {
            self.bump();
        }
        let token = self.text.get(start..self.pos).unwrap_or("");
        match serde_json::from_str::<Value>(token) {
            Ok(number @ Value::Number(_)) => Ok(number),
            _ => Err(self.error(name, &format!("{token:?} is not a number"))),
        }
    }

    /// A path runs to the next ',' or ')' (or space) outside brackets, so a quoted
    /// bracket name may hold them: `$['a,b']`.
    fn path(&mut self, name: &str) -> Result<PathSource, String> {
        let start = self.pos;
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        while let Some(c) = self.peek() {
            match (quote, c) {
                (Some(open), c) if c == open => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') if depth > 0 => quote = Some(c),
                (None, '[') => depth += 1,
                (None, ']') => depth = depth.saturating_sub(1),
                (None, ',' | ')') if depth == 0 => break,
                (None, c) if c.is_whitespace() && depth == 0 => break,
                _ => {}
            }
            self.bump();
        }
        if quote.is_some() || depth > 0 {
            return Err(self.error(name, "a '[' or quote in a path is not closed"));
        }
        let text = self.text.get(start..self.pos).unwrap_or("");
        PathSource::parse(text).map_err(|problem| format!("{name}: {problem}"))
    }

    /// A quoted string with the escapes `\'`, `\{`, `\}` and `\\`.
    fn quoted(&mut self, name: &str) -> Result<Vec<Piece>, String> {
        self.bump();
        let mut pieces = Vec::new();
        let mut text = String::new();
        loop {
            match self.bump() {
                None => return Err(self.error(name, "a quoted string is not closed")),
                Some('\'') => break,
                Some('\\') => match self.bump() {
                    Some(c @ ('\'' | '{' | '}' | '\\')) => text.push(c),
                    Some(c) => {
                        return Err(self.error(
                            name,
                            &format!("\\{c} is not an escape (only \\', \\{{, \\}} and \\\\ are)"),
                        ))
                    }
                    None => return Err(self.error(name, "a quoted string ends in a lone '\\'")),
                },
                Some('{') if self.peek() == Some('}') => {
                    self.bump();
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text)));
                    }
                    pieces.push(Piece::Placeholder);
                }
                Some(c) => text.push(c),
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(pieces)
    }
}

/// At most the first 200 characters of `text`, so that a message stays readable.
fn abbreviated(text: &str) -> String {
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or(text)),
        None => text.to_string(),
    }
}

/// What can be told wrong from the definition alone, beyond the argument count.
fn check_statically(function: Function, args: &[Arg]) -> Result<(), String> {
    let name = function.name();
    match (function, args) {
        (Function::Format, [Arg::Quoted(template), fills @ ..]) => {
            let wanted = placeholders(template);
            if wanted != fills.len() {
                return Err(format!(
                    "{name}: the template has {wanted} {{}} placeholders but {} {} to put in them",
                    fills.len(),
                    arguments(fills.len())
                ));
            }
        }
        (Function::JsonToString, [arg]) if !matches!(arg, Arg::Path(_)) => {
            return Err(format!("{name} takes a path argument"));
        }
        _ => {}
    }
    Ok(())
}

// ---- Strings and templates -----------------------------------------------------------

fn joined(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|piece| match piece {
            Piece::Text(text) => text.as_str(),
            Piece::Placeholder => "{}",
        })
        .collect()
}

fn placeholders(pieces: &[Piece]) -> usize {
    pieces
        .iter()
        .filter(|piece| matches!(piece, Piece::Placeholder))
        .count()
}

/// The pieces of a template that came from data: every `{}` is a placeholder.
fn pieces_of(text: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    for (i, part) in text.split("{}").enumerate() {
        if i > 0 {
            pieces.push(Piece::Placeholder);
        }
        if !part.is_empty() {
            pieces.push(Piece::Text(part.to_string()));
        }
    }
    pieces
}

/// A value's natural string representation, as States.Format inserts it.
fn natural_text(value: &Value) -> Result<String, String> {
    match value {
        Value::String(text) => Ok(text.clone()),
        Value::Number(number) => Ok(number.to_string()),
        Value::Bool(flag) => Ok(flag.to_string()),
        Value::Null => Ok("null".to_string()),
        other => Err(format!(
            "an argument is {}; only strings, numbers, booleans and null can be formatted",
            kind(other)
        )),
    }
}

/// "a string", "an array"…: for messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

// ---- Argument checks -----------------------------------------------------------------

/// The arguments as an array of the length the parser already checked.
fn exactly<const N: usize>(values: &[Value]) -> Result<&[Value; N], String> {
    values
        .try_into()
        .map_err(|_| format!("expected {N} {}", arguments(N)))
}

fn string<'v>(value: &'v Value, what: &str) -> Result<&'v str, String> {
    match value {
        Value::String(text) => Ok(text),
        other => Err(format!("{what} is {}, not a string", kind(other))),
    }
}

fn array<'v>(value: &'v Value, what: &str) -> Result<&'v [Value], String> {
    match value {
        Value::Array(items) => Ok(items),
        other => Err(format!("{what} is {}, not an array", kind(other))),
    }
}

fn object<'v>(value: &'v Value, what: &str) -> Result<&'v Map<String, Value>, String> {
    match value {
        Value::Object(fields) => Ok(fields),
        other => Err(format!("{what} is {}, not a JSON object", kind(other))),
    }
}

/// An integer argument; Step Functions rounds a non-integer to the nearest integer.
fn rounded_integer(value: &Value, what: &str) -> Result<i64, String> {
    let Value::Number(number) = value else {
        return Err(format!("{what} is {}, not an integer", kind(value)));
    };
    number
        .as_i64()
        .or_else(|| round_float(number))
        .ok_or_else(|| format!("{what} {number} is out of range"))
}

fn round_float(number: &Number) -> Option<i64> {
    let rounded = number.as_f64()?.round();
    // 2^63 is exactly representable; every float below it fits an i64.
    (rounded.is_finite() && rounded >= -(2f64.powi(63)) && rounded < 2f64.powi(63))
        .then_some(rounded as i64)
}

/// An integer argument that must already be one (an array index).
fn exact_integer(value: &Value) -> Option<i64> {
    let Value::Number(number) = value else {
        return None;
    };
    if let Some(integer) = number.as_i64() {
        return Some(integer);
    }
    let whole = number.as_f64()?.fract() == 0.0;
    round_float(number).filter(|_| whole)
}

fn within_payload_quota(items: &[Value], what: &str) -> Result<(), String> {
    let size = json_len(items);
    if size > MAX_PAYLOAD_BYTES {
        return Err(format!(
            "{what} is {size} bytes, over the {MAX_PAYLOAD_BYTES}-byte payload quota"
        ));
    }
    Ok(())
}

fn within_data_limit(text: &str, what: &str) -> Result<(), String> {
    let chars = text.chars().count();
    if chars > MAX_DATA_CHARS {
        return Err(format!(
            "{what} has {chars} characters; at most {MAX_DATA_CHARS} are allowed"
        ));
    }
    Ok(())
}

/// A key equal for equal JSON values: numbers by value (1 and 1.0 alike), object
/// fields in any order.
fn canonical(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Null | Value::Bool(_) => out.push_str(&value.to_string()),
        Value::Number(number) => match exact_integer(value) {
            Some(integer) => out.push_str(&integer.to_string()),
            None => out.push_str(&number.to_string()),
        },
        Value::String(text) => {
            let _ = write!(out, "{text:?}");
        }
        Value::Array(items) => {
            out.push('[');
            for item in items {
                write_canonical(item, out);
                out.push(',');
            }
            out.push(']');
        }
        Value::Object(fields) => {
            let mut names: Vec<&String> = fields.keys().collect();
            names.sort();
            out.push('{');
            for name in names {
                let _ = write!(out, "{name:?}:");
                if let Some(field) = fields.get(name) {
                    write_canonical(field, out);
                }
                out.push(',');
            }
            out.push('}');
        }
    }
}

// ---- The functions -------------------------------------------------------------------

fn string_to_json(values: &[Value]) -> Result<Value, String> {
    let [text] = exactly::<1>(values)?;
    let text = string(text, "the argument")?;
    serde_json::from_str(text).map_err(|err| format!("the string is not JSON text: {err}"))
}

fn json_to_string(values: &[Value]) -> Result<Value, String> {
    let [value] = exactly::<1>(values)?;
    serde_json::to_string(value)
        .map(Value::String)
        .map_err(|err| format!("the value cannot be written as JSON: {err}"))
}

fn array_partition(values: &[Value]) -> Result<Value, String> {
    let [items, size] = exactly::<2>(values)?;
    let items = array(items, "the first argument")?;
    let size = rounded_integer(size, "the chunk size")?;
    if size < 1 {
        return Err(format!(
            "the chunk size must be a positive integer, not {size}"
        ));
    }
    within_payload_quota(items, "the array")?;
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    Ok(Value::Array(
        items
            .chunks(size)
            .map(|chunk| Value::Array(chunk.to_vec()))
            .collect(),
    ))
}

fn array_contains(values: &[Value]) -> Result<Value, String> {
    let [items, wanted] = exactly::<2>(values)?;
    let items = array(items, "the first argument")?;
    within_payload_quota(items, "the array")?;
    let wanted = canonical(wanted);
    Ok(Value::Bool(
        items.iter().any(|item| canonical(item) == wanted),
    ))
}

fn array_range(values: &[Value]) -> Result<Value, String> {
    let [first, last, step] = exactly::<3>(values)?;
    let first = i128::from(rounded_integer(first, "the first element")?);
    let last = i128::from(rounded_integer(last, "the final element")?);
    let step = i128::from(rounded_integer(step, "the increment")?);
    if step == 0 {
        return Err("the increment must not be 0".into());
    }
    // A range that runs away from its final element is empty.
    let count = if (step > 0 && first > last) || (step < 0 && first < last) {
        0
    } else {
        (last - first) / step + 1
    };
    if count > MAX_RANGE_ELEMENTS {
        return Err(format!(
            "the range would have {count} elements; at most {MAX_RANGE_ELEMENTS} are allowed"
        ));
    }
    (0..count)
        .map(|k| {
            i64::try_from(first + k * step)
                .map(Value::from)
                .map_err(|_| "an element is out of range".to_string())
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

fn array_get_item(values: &[Value]) -> Result<Value, String> {
    let [items, index] = exactly::<2>(values)?;
    let items = array(items, "the first argument")?;
    let position = exact_integer(index)
        .and_then(|i| usize::try_from(i).ok())
        .ok_or_else(|| format!("the index must be a non-negative integer, not {index}"))?;
    items.get(position).cloned().ok_or_else(|| {
        format!(
            "the index {position} is out of bounds for an array of {} elements",
            items.len()
        )
    })
}

fn array_length(values: &[Value]) -> Result<Value, String> {
    let [items] = exactly::<1>(values)?;
    Ok(Value::from(array(items, "the argument")?.len()))
}

fn array_unique(values: &[Value]) -> Result<Value, String> {
    let [items] = exactly::<1>(values)?;
    let mut seen = HashSet::new();
    Ok(Value::Array(
        array(items, "the argument")?
            .iter()
            .filter(|item| seen.insert(canonical(item)))
            .cloned()
            .collect(),
    ))
}

/// MIME decoders skip line breaks and tolerate missing padding.
const LENIENT_BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

fn base64_encode(values: &[Value]) -> Result<Value, String> {
    let [data] = exactly::<1>(values)?;
    let data = string(data, "the data")?;
    within_data_limit(data, "the data")?;
    Ok(Value::String(
        base64::engine::general_purpose::STANDARD.encode(data),
    ))
}

fn base64_decode(values: &[Value]) -> Result<Value, String> {
    let [encoded] = exactly::<1>(values)?;
    let encoded = string(encoded, "the data")?;
    within_data_limit(encoded, "the data")?;
    let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = LENIENT_BASE64
        .decode(compact)
        .map_err(|err| format!("the data is not Base64: {err}"))?;
    String::from_utf8(bytes)
        .map(Value::String)
        .map_err(|_| "the decoded data is not UTF-8 text".to_string())
}

fn hash(values: &[Value]) -> Result<Value, String> {
    let [data, algorithm] = exactly::<2>(values)?;
    // The ASL spec limits "the stringified version" of the data: a string as it is,
    // anything else as its JSON text.
    let data = match data {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    within_data_limit(&data, "the data")?;
    let bytes = data.as_bytes();
    let hex = match string(algorithm, "the algorithm")? {
        "MD5" => hex_digest::<md5::Md5>(bytes),
        "SHA-1" => hex_digest::<sha1::Sha1>(bytes),
        "SHA-256" => hex_digest::<sha2::Sha256>(bytes),
        "SHA-384" => hex_digest::<sha2::Sha384>(bytes),
        "SHA-512" => hex_digest::<sha2::Sha512>(bytes),
        other => {
            return Err(format!(
                "the algorithm {other:?} is not one of MD5, SHA-1, SHA-256, SHA-384 and SHA-512"
            ))
        }
    };
    Ok(Value::String(hex))
}

fn hex_digest<D: sha2::Digest>(bytes: &[u8]) -> String {
    let mut hex = String::new();
    for byte in D::digest(bytes) {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

fn json_merge(values: &[Value]) -> Result<Value, String> {
    let [first, second, deep] = exactly::<3>(values)?;
    let first = object(first, "the first argument")?;
    let second = object(second, "the second argument")?;
    match deep {
        Value::Bool(false) => {}
        Value::Bool(true) => {
            return Err(
                "only the shallow merge is supported: the third argument must be false".into(),
            )
        }
        other => return Err(format!("the third argument is {}, not false", kind(other))),
    }
    // The first object's fields keep their places; the second's new fields follow.
    let mut merged = first.clone();
    for (name, value) in second {
        merged.insert(name.clone(), value.clone());
    }
    Ok(Value::Object(merged))
}

fn math_random(values: &[Value]) -> Result<Value, String> {
    use rand::{Rng as _, SeedableRng as _};
    let (start, end, seed) = match values {
        [start, end] => (start, end, None),
        [start, end, seed] => (start, end, Some(seed)),
        _ => return Err("expected 2 or 3 arguments".into()),
    };
    let start = rounded_integer(start, "the start")?;
    let end = rounded_integer(end, "the end")?;
    if start >= end {
        return Err(format!(
            "the start {start} must be less than the end {end} (which is excluded)"
        ));
    }
    let number = match seed {
        Some(seed) => {
            let seed = rounded_integer(seed, "the seed")?;
            rand::rngs::StdRng::seed_from_u64(u64::from_ne_bytes(seed.to_ne_bytes()))
                .gen_range(start..end)
        }
        None => rand::thread_rng().gen_range(start..end),
    };
    Ok(Value::from(number))
}

fn math_add(values: &[Value]) -> Result<Value, String> {
    let [a, b] = exactly::<2>(values)?;
    let a = rounded_integer(a, "the first argument")?;
    let b = rounded_integer(b, "the second argument")?;
    for n in [a, b] {
        if !MATH_ADD_RANGE.contains(&n) {
            return Err(format!(
                "{n} is outside the range {}..{} of States.MathAdd",
                MATH_ADD_RANGE.start(),
                MATH_ADD_RANGE.end()
            ));
        }
    }
    Ok(Value::from(a + b))
}

/// Every character of the second argument delimits; empty pieces are dropped.
fn string_split(values: &[Value]) -> Result<Value, String> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A resolver over exact path texts, so the tests depend on no path engine.
    fn paths<'a>(table: &'a [(&'a str, Value)]) -> impl Fn(&PathSource) -> Option<Value> + 'a {
        move |path| {
            let text = path.to_string();
            table
                .iter()
                .find(|(name, _)| *name == text)
                .map(|(_, value)| value.clone())
        }
    }

    fn run(text: &str, table: &[(&str, Value)]) -> Result<Value, IntrinsicFailure> {
        Intrinsic::parse(text)
            .unwrap_or_else(|err| panic!("{text} should parse: {err}"))
            .evaluate(&paths(table))
    }

    fn eval(text: &str, table: &[(&str, Value)]) -> Value {
        run(text, table).unwrap_or_else(|err| panic!("{text} should succeed: {err}"))
    }

    fn failure(text: &str, table: &[(&str, Value)]) -> String {
        match run(text, table) {
            Ok(value) => panic!("{text} should fail, but gave {value}"),
            Err(IntrinsicFailure(cause)) => cause,
        }
    }

    fn parse_error(text: &str) -> String {
        match Intrinsic::parse(text) {
            Ok(call) => panic!("{text} should be refused, but parsed as {call:?}"),
            Err(err) => err,
        }
    }

    fn nine() -> Value {
        json!([1, 2, 3, 4, 5, 6, 7, 8, 9])
    }

    #[test]
    fn looks_like_wants_the_prefix_and_a_parenthesis() {
        assert!(Intrinsic::looks_like("States.UUID()"));
        assert!(Intrinsic::looks_like("States.Foo(1)"));
        assert!(!Intrinsic::looks_like("$.States.Format"));
        assert!(!Intrinsic::looks_like("States.Format"));
    }

    #[test]
    fn format_fills_placeholders_from_literals_and_paths() {
        let input = [
            ("$.name", json!("Arnav")),
            ("$.template", json!("Hello, my name is {}.")),
        ];
        assert_eq!(
            eval("States.Format('Hello, my name is {}.', $.name)", &input),
            json!("Hello, my name is Arnav.")
        );
        assert_eq!(
            eval("States.Format($.template, $.name)", &input),
            json!("Hello, my name is Arnav.")
        );
        // The ASL spec's examples.
        assert_eq!(
            eval(
                "States.Format('Your name is {}, we are in the year {}', $.name, 2020)",
                &[("$.name", json!("Foo"))]
            ),
            json!("Your name is Foo, we are in the year 2020")
        );
        assert_eq!(
            eval(
                r"States.Format('Welcome to {} {}\'s playlist.', $.firstName, $.lastName)",
                &[("$.firstName", json!("Ann")), ("$.lastName", json!("Lee"))]
            ),
            json!("Welcome to Ann Lee's playlist.")
        );
        assert_eq!(
            eval(
                "States.Format('Today is {}', $$.DayOfWeek)",
                &[("$$.DayOfWeek", json!("TUESDAY"))]
            ),
            json!("Today is TUESDAY")
        );
    }

    #[test]
    fn format_writes_natural_text_and_keeps_escaped_braces() {
        assert_eq!(
            eval(
                r"States.Format('\{\} {} {} {} {}', 1.5, true, null, -7)",
                &[]
            ),
            json!("{} 1.5 true null -7")
        );
        assert_eq!(eval(r"States.Format('a\\b')", &[]), json!(r"a\b"));
        // Lone braces are text; only `{}` is a placeholder.
        assert_eq!(eval("States.Format('{ } {}', 'x')", &[]), json!("{ } x"));
        assert_eq!(eval("States.Array('a{}b')", &[]), json!(["a{}b"]));
    }

    #[test]
    fn format_refuses_objects_and_a_mismatched_count() {
        let cause = failure("States.Format('{}', $.obj)", &[("$.obj", json!({"a": 1}))]);
        assert!(cause.starts_with("States.Format('{}', $.obj): "), "{cause}");
        assert!(cause.contains("an object"), "{cause}");
        assert!(
            failure("States.Format('{}', $.arr)", &[("$.arr", json!([1]))]).contains("an array")
        );
        // A template from a path is only known at run time.
        let cause = failure("States.Format($.t, 1)", &[("$.t", json!("{} and {}"))]);
        assert!(
            cause.contains("2 {} placeholders but 1 argument"),
            "{cause}"
        );
        assert!(failure("States.Format($.t)", &[("$.t", json!(3))]).contains("not a string"));
        // A quoted template is checked when the definition loads.
        let err = parse_error("States.Format('{} {}', 1)");
        assert!(err.starts_with("States.Format:"), "{err}");
        assert!(err.contains("2 {} placeholders but 1 argument"), "{err}");
        assert_eq!(
            parse_error("States.Format()"),
            "States.Format takes at least 1 argument, not 0"
        );
    }

    #[test]
    fn string_to_json_parses_and_refuses_what_is_not_json() {
        assert_eq!(
            eval(
                "States.StringToJson($.escapedJsonString)",
                &[("$.escapedJsonString", json!("{\"foo\": \"bar\"}"))]
            ),
            json!({"foo": "bar"})
        );
        assert_eq!(
            eval(
                "States.StringToJson($.someString)",
                &[("$.someString", json!("{\"number\": 20}"))]
            ),
            json!({"number": 20})
        );
        assert!(failure("States.StringToJson('{nope')", &[]).contains("not JSON text"));
        assert!(failure("States.StringToJson(5)", &[]).contains("not a string"));
    }

    #[test]
    fn json_to_string_writes_compact_json_of_a_path() {
        assert_eq!(
            eval(
                "States.JsonToString($.someJson)",
                &[("$.someJson", json!({"name": "Foo", "year": 2020}))]
            ),
            json!("{\"name\":\"Foo\",\"year\":2020}")
        );
        assert_eq!(
            parse_error("States.JsonToString('{}')"),
            "States.JsonToString takes a path argument"
        );
        assert_eq!(
            parse_error("States.JsonToString($.a, $.b)"),
            "States.JsonToString takes 1 argument, not 2"
        );
    }

    #[test]
    fn array_gathers_its_arguments_in_order() {
        assert_eq!(
            eval("States.Array($.Id)", &[("$.Id", json!(123456))]),
            json!([123456])
        );
        assert_eq!(
            eval(
                "States.Array('Foo', 2020, $.someJson, null)",
                &[("$.someJson", json!({"random": "abcdefg"}))]
            ),
            json!(["Foo", 2020, {"random": "abcdefg"}, null])
        );
        assert_eq!(eval("States.Array()", &[]), json!([]));
        assert_eq!(
            eval("States.Array( true ,false,-0.25 )", &[]),
            json!([true, false, -0.25])
        );
    }

    #[test]
    fn array_partition_chunks_with_a_short_last_chunk() {
        let input = [("$.inputArray", nine())];
        assert_eq!(
            eval("States.ArrayPartition($.inputArray,4)", &input),
            json!([[1, 2, 3, 4], [5, 6, 7, 8], [9]])
        );
        assert_eq!(
            eval("States.ArrayPartition(States.Array(), 3)", &[]),
            json!([])
        );
        // A non-integer chunk size is rounded to the nearest integer.
        assert_eq!(
            eval("States.ArrayPartition($.inputArray, 4.4)", &input),
            json!([[1, 2, 3, 4], [5, 6, 7, 8], [9]])
        );
        assert_eq!(
            eval("States.ArrayPartition($.inputArray, 2147483647)", &input),
            json!([nine()])
        );
        for bad in ["0", "-1", "0.4", "'2'", "null"] {
            let cause = failure(
                &format!("States.ArrayPartition($.inputArray, {bad})"),
                &input,
            );
            assert!(cause.contains("chunk size"), "{bad}: {cause}");
        }
        assert!(failure("States.ArrayPartition('x', 2)", &[]).contains("not an array"));
    }

    #[test]
    fn array_partition_and_contains_keep_to_the_payload_quota() {
        let big = json!(vec!["x".repeat(1000); 300]);
        let input = [("$.big", big)];
        assert!(failure("States.ArrayPartition($.big, 2)", &input).contains("payload quota"));
        assert!(failure("States.ArrayContains($.big, 'x')", &input).contains("payload quota"));
    }

    #[test]
    fn array_contains_compares_json_values() {
        let input = [("$.inputArray", nine()), ("$.lookingFor", json!(5))];
        assert_eq!(
            eval("States.ArrayContains($.inputArray, $.lookingFor)", &input),
            json!(true)
        );
        assert_eq!(
            eval("States.ArrayContains($.inputArray, 10)", &input),
            json!(false)
        );
        assert_eq!(
            eval("States.ArrayContains($.inputArray, 5.0)", &input),
            json!(true)
        );
        let objects = [("$.a", json!([{"x": 1, "y": [2]}, "s"]))];
        assert_eq!(
            eval(
                "States.ArrayContains($.a, $.o)",
                &[objects[0].clone(), ("$.o", json!({"y": [2], "x": 1}))]
            ),
            json!(true)
        );
        assert_eq!(
            eval("States.ArrayContains($.a, 's')", &objects),
            json!(true)
        );
        assert!(failure("States.ArrayContains($.lookingFor, 5)", &input).contains("not an array"));
    }

    #[test]
    fn array_range_counts_up_and_down_to_1000_elements() {
        assert_eq!(
            eval("States.ArrayRange(1, 9, 2)", &[]),
            json!([1, 3, 5, 7, 9])
        );
        assert_eq!(
            eval("States.ArrayRange(1, 10, 2)", &[]),
            json!([1, 3, 5, 7, 9])
        );
        assert_eq!(eval("States.ArrayRange(5, 1, -2)", &[]), json!([5, 3, 1]));
        assert_eq!(eval("States.ArrayRange(5, 1, 1)", &[]), json!([]));
        assert_eq!(
            eval("States.ArrayRange(1.4, 2.6, 1)", &[]),
            json!([1, 2, 3])
        );
        let thousand = eval("States.ArrayRange(0, 999, 1)", &[]);
        assert_eq!(thousand.as_array().map(Vec::len), Some(1000));
        assert!(failure("States.ArrayRange(0, 1000, 1)", &[]).contains("1001 elements"));
        assert!(failure("States.ArrayRange(1, 9, 0)", &[]).contains("must not be 0"));
        assert!(failure("States.ArrayRange(0.3, 9, 0.4)", &[]).contains("must not be 0"));
        assert!(failure("States.ArrayRange('1', 9, 1)", &[]).contains("not an integer"));
        assert!(failure(
            "States.ArrayRange(-9223372036854775808, 9223372036854775807, 1)",
            &[]
        )
        .contains("at most 1000"));
        assert_eq!(
            parse_error("States.ArrayRange(1, 9)"),
            "States.ArrayRange takes 3 arguments, not 2"
        );
    }

    #[test]
    fn array_get_item_reads_an_index_in_bounds() {
        let input = [("$.inputArray", nine()), ("$.index", json!(5))];
        assert_eq!(
            eval("States.ArrayGetItem($.inputArray, $.index)", &input),
            json!(6)
        );
        assert_eq!(
            eval("States.ArrayGetItem($.inputArray, 0.0)", &input),
            json!(1)
        );
        assert!(failure("States.ArrayGetItem($.inputArray, 9)", &input).contains("out of bounds"));
        for bad in ["-1", "1.5", "'1'"] {
            let cause = failure(&format!("States.ArrayGetItem($.inputArray, {bad})"), &input);
            assert!(cause.contains("non-negative integer"), "{bad}: {cause}");
        }
    }

    #[test]
    fn array_length_and_unique() {
        let input = [("$.inputArray", nine())];
        assert_eq!(eval("States.ArrayLength($.inputArray)", &input), json!(9));
        assert_eq!(
            parse_error("States.ArrayLength($.a, $.b)"),
            "States.ArrayLength takes 1 argument, not 2"
        );
        assert!(failure("States.ArrayLength('abc')", &[]).contains("not an array"));
        assert_eq!(
            eval(
                "States.ArrayUnique($.inputArray)",
                &[("$.inputArray", json!([1, 2, 3, 3, 3, 3, 3, 3, 4]))]
            ),
            json!([1, 2, 3, 4])
        );
        assert_eq!(
            eval(
                "States.ArrayUnique($.a)",
                &[("$.a", json!([3, {"k": [1]}, "3", 3.0, {"k": [1]}, 1]))]
            ),
            json!([3, {"k": [1]}, "3", 1])
        );
        assert!(failure("States.ArrayUnique(null)", &[]).contains("not an array"));
    }

    #[test]
    fn base64_encodes_and_decodes_up_to_10000_characters() {
        assert_eq!(
            eval(
                "States.Base64Encode($.input)",
                &[("$.input", json!("Data to encode"))]
            ),
            json!("RGF0YSB0byBlbmNvZGU=")
        );
        // The guide prints "Decoded data" here: its example input decodes to this.
        assert_eq!(
            eval(
                "States.Base64Decode($.base64)",
                &[("$.base64", json!("RGF0YSB0byBlbmNvZGU="))]
            ),
            json!("Data to encode")
        );
        assert_eq!(eval("States.Base64Decode('RGF0YQ')", &[]), json!("Data"));
        assert_eq!(
            eval("States.Base64Decode('RGF0\r\nYQ==')", &[]),
            json!("Data")
        );
        let long = [
            ("$.long", json!("é".repeat(10_001))),
            ("$.ok", json!("é".repeat(10_000))),
        ];
        assert!(eval("States.Base64Encode($.ok)", &long).is_string());
        assert!(failure("States.Base64Encode($.long)", &long).contains("10001 characters"));
        assert!(failure("States.Base64Decode($.long)", &long).contains("at most 10000"));
        assert!(failure("States.Base64Decode('***')", &[]).contains("not Base64"));
        assert!(failure("States.Base64Decode('/w==')", &[]).contains("not UTF-8"));
        assert!(failure("States.Base64Encode(1)", &[]).contains("not a string"));
    }

    #[test]
    fn hash_gives_lowercase_hex_for_each_algorithm() {
        let input = [
            ("$.Data", json!("input data")),
            ("$.Algorithm", json!("SHA-1")),
        ];
        // The guide prints this digest with one '4' missing.
        assert_eq!(
            eval("States.Hash($.Data, $.Algorithm)", &input),
            json!("aaff4a450a104cd177d28d18d74485e8cae074b7")
        );
        assert_eq!(
            eval("States.Hash('input data', 'MD5')", &[]),
            json!("812f45842bc6d66ee14572ce20db8e86")
        );
        assert_eq!(
            eval("States.Hash('input data', 'SHA-256')", &[]),
            json!("b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3")
        );
        assert_eq!(
            eval("States.Hash('', 'SHA-384')", &[]),
            json!("38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b")
        );
        let sha512 = eval("States.Hash('x', 'SHA-512')", &[]);
        assert_eq!(sha512.as_str().map(str::len), Some(128));
        // Data that is not a string is hashed as its JSON text.
        assert_eq!(
            eval("States.Hash($.n, 'MD5')", &[("$.n", json!([1]))]),
            eval("States.Hash('[1]', 'MD5')", &[])
        );
        assert!(failure("States.Hash('x', 'sha-1')", &[]).contains("not one of MD5"));
        assert!(failure("States.Hash('x', 5)", &[]).contains("not a string"));
        let long = [("$.long", json!("a".repeat(10_001)))];
        assert!(failure("States.Hash($.long, 'MD5')", &long).contains("at most 10000"));
    }

    #[test]
    fn json_merge_is_shallow_and_keeps_the_first_objects_order() {
        let input = [
            ("$.json1", json!({"a": {"a1": 1, "a2": 2}, "b": 2})),
            ("$.json2", json!({"a": {"a3": 1, "a4": 2}, "c": 3})),
        ];
        assert_eq!(
            eval("States.JsonMerge($.json1, $.json2, false)", &input),
            json!({"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3})
        );
        let ordered = [
            ("$.x", json!({"z": 1, "a": 2})),
            ("$.y", json!({"m": 3, "z": 4})),
        ];
        let merged = eval("States.JsonMerge($.x, $.y, false)", &ordered);
        let names: Vec<&str> = merged.as_object().map_or(Vec::new(), |fields| {
            fields.keys().map(String::as_str).collect()
        });
        // Without serde_json's preserve_order every map is sorted.
        let keeps_order = Map::from_iter([
            ("b".to_string(), Value::Null),
            ("a".to_string(), Value::Null),
        ])
        .keys()
        .next()
        .is_some_and(|first| first == "b");
        let expected = if keeps_order {
            ["z", "a", "m"]
        } else {
            ["a", "m", "z"]
        };
        assert_eq!(names, expected);
        assert!(failure("States.JsonMerge($.json1, $.json2, true)", &input).contains("shallow"));
        assert!(
            failure("States.JsonMerge($.json1, $.json2, 'false')", &input).contains("not false")
        );
        assert!(
            failure("States.JsonMerge($.json1, 3, false)", &input).contains("not a JSON object")
        );
    }

    #[test]
    fn math_random_stays_in_range_and_repeats_for_a_seed() {
        let input = [("$.start", json!(1)), ("$.end", json!(999))];
        for _ in 0..200 {
            let n = eval("States.MathRandom($.start, $.end)", &input);
            assert!(n.as_i64().is_some_and(|n| (1..999).contains(&n)), "{n}");
        }
        let first = eval("States.MathRandom(0, 1000000, 42)", &[]);
        for _ in 0..5 {
            assert_eq!(eval("States.MathRandom(0, 1000000, 42)", &[]), first);
        }
        assert_eq!(eval("States.MathRandom(7, 8)", &[]), json!(7));
        // Non-integers round to the nearest integer.
        assert_eq!(eval("States.MathRandom(6.6, 7.6, 1)", &[]), json!(7));
        assert!(failure("States.MathRandom(5, 5)", &[]).contains("less than the end"));
        assert!(failure("States.MathRandom('1', 5)", &[]).contains("not an integer"));
        assert!(failure("States.MathRandom(1, 5, 'seed')", &[]).contains("seed"));
        assert_eq!(
            parse_error("States.MathRandom(1)"),
            "States.MathRandom takes 2 or 3 arguments, not 1"
        );
    }

    #[test]
    fn math_add_sums_32_bit_integers() {
        let input = [("$.value1", json!(111)), ("$.step", json!(-1))];
        assert_eq!(eval("States.MathAdd($.value1, $.step)", &input), json!(110));
        assert_eq!(eval("States.MathAdd(1.6, 1)", &[]), json!(3));
        assert_eq!(
            eval("States.MathAdd(2147483647, 2147483647)", &[]),
            json!(4294967294_i64)
        );
        assert_eq!(
            eval("States.MathAdd(-2147483648, 0)", &[]),
            json!(-2147483648_i64)
        );
        assert!(failure("States.MathAdd(2147483648, 0)", &[]).contains("outside the range"));
        assert!(failure("States.MathAdd(1, '2')", &[]).contains("not an integer"));
        assert!(failure("States.MathAdd(1, 1e300)", &[]).contains("out of range"));
        assert!(parse_error("States.MathAdd(1, 1e400)").contains("not a number"));
    }

    #[test]
    fn string_split_splits_on_every_delimiter_character() {
        assert_eq!(
            eval(
                "States.StringSplit($.inputString, $.splitter)",
                &[
                    ("$.inputString", json!("1,2,3,4,5")),
                    ("$.splitter", json!(","))
                ]
            ),
            json!(["1", "2", "3", "4", "5"])
        );
        assert_eq!(
            eval(
                "States.StringSplit($.inputString, $.splitter)",
                &[
                    ("$.inputString", json!("This.is+a,test=string")),
                    ("$.splitter", json!(".+,="))
                ]
            ),
            json!(["This", "is", "a", "test", "string"])
        );
        assert_eq!(
            eval("States.StringSplit(',a,,b,', ',')", &[]),
            json!(["a", "b"])
        );
        assert_eq!(eval("States.StringSplit('ab', '')", &[]), json!(["ab"]));
        assert!(failure("States.StringSplit(1, ',')", &[]).contains("not a string"));
    }

    #[test]
    fn uuid_is_a_fresh_version_4_uuid() {
        let a = eval("States.UUID()", &[]);
        let b = eval("States.UUID()", &[]);
        assert_ne!(a, b);
        let text = a.as_str().unwrap_or_default();
        assert_eq!(text.len(), 36);
        assert_eq!(text.chars().nth(14), Some('4'));
        assert!(text
            .chars()
            .all(|c| c == '-' || (c.is_ascii_hexdigit() && !c.is_ascii_uppercase())));
        assert_eq!(
            parse_error("States.UUID(1)"),
            "States.UUID takes 0 arguments, not 1"
        );
    }

    #[test]
    fn nested_calls_evaluate_inside_out() {
        // The guide's nine nested functions, with a template of two placeholders for
        // its two arguments (the guide's '{}.{}.{}' would be refused; see below).
        let arn = "States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), {})";
        let text = format!(
            "States.Format('{{}}.{{}}', {}, {})",
            arn.replace("{}", "0"),
            arn.replace("{}", "1")
        );
        let input = [(
            "$.ImageRecipe.Arn",
            json!("arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/my-recipe/1.2.3"),
        )];
        assert_eq!(eval(&text, &input), json!("1.2"));
        let as_written = text.replacen("'{}.{}'", "'{}.{}.{}'", 1);
        assert!(parse_error(&as_written).contains("3 {} placeholders but 2 arguments"));
        // An inner failure names the inner call.
        let cause = failure("States.ArrayLength(States.StringToJson('[1'))", &[]);
        assert!(cause.starts_with("States.StringToJson('[1'): "), "{cause}");
    }

    #[test]
    fn nesting_is_limited_to_10_functions() {
        let nested =
            |depth: usize| format!("{}1{}", "States.Array(".repeat(depth), ")".repeat(depth));
        assert!(Intrinsic::parse(&nested(10)).is_ok());
        assert!(parse_error(&nested(11)).contains("more than 10"));
        assert!(parse_error(&nested(100_000)).contains("more than 10"));
    }

    #[test]
    fn paths_may_hold_commas_in_brackets_and_read_the_context() {
        let input = [
            ("$['a,b']", json!("comma")),
            ("$$.Execution.Id", json!("exec-1")),
            ("$", json!({"whole": true})),
        ];
        assert_eq!(
            eval("States.Array( $['a,b'] ,$$.Execution.Id,$ )", &input),
            json!(["comma", "exec-1", {"whole": true}])
        );
        let cause = failure("States.ArrayLength($.missing)", &[]);
        assert_eq!(
            cause,
            "States.ArrayLength($.missing): the JSONPath $.missing matches nothing"
        );
        let err = parse_error("States.Array($.a[*])");
        assert!(err.starts_with("States.Array: "), "{err}");
        assert!(parse_error("States.Array($['a)").contains("not closed"));
    }

    #[test]
    fn display_gives_the_call_as_written() {
        let text = "States.Format('{} \\{', States.Array( 1 ))";
        let call = Intrinsic::parse(text).expect("parses");
        assert_eq!(call.to_string(), text);
        assert_eq!(
            Intrinsic::parse(&format!("  {text} ")).expect("parses"),
            call
        );
    }

    #[test]
    fn syntax_errors_name_the_function() {
        assert_eq!(
            parse_error("States.Foo(1)"),
            "intrinsic function States.Foo is not supported"
        );
        assert_eq!(
            parse_error("States.Array(States.Nope())"),
            "intrinsic function States.Nope is not supported"
        );
        for (text, problem) in [
            ("States.Format('abc)", "not closed"),
            ("States.Array(1", "')' is missing"),
            ("States.Array(1))", "after the call"),
            ("States.Array(1,)", "argument is missing"),
            ("States.Array(,1)", "argument is missing"),
            ("States.Array(1 2)", "unexpected '2'"),
            ("States.Array(01)", "not a number"),
            ("States.Array(1.)", "not a number"),
            ("States.Array(truthy)", "unexpected \"truthy\""),
            (r"States.Format('a\nb')", "not an escape"),
            (r"States.Format('a\", "lone"),
            ("States.Array(\"x\")", "unexpected '\"'"),
        ] {
            let err = parse_error(text);
            assert!(err.contains(problem), "{text}: {err}");
            assert!(err.contains("States."), "{text}: {err}");
        }
        assert!(parse_error("States.Format ('x')").contains("followed by '('"));
        assert!(parse_error("$.a").contains("not an intrinsic function call"));
        assert!(parse_error("").contains("not an intrinsic function call"));
    }

    /// Odd strings never panic: each parses or is refused, and what parses evaluates
    /// or fails.
    #[test]
    fn odd_input_never_panics() {
        let names = [
            "Format",
            "Array",
            "ArrayRange",
            "ArrayGetItem",
            "Hash",
            "MathRandom",
            "JsonMerge",
            "StringSplit",
            "Base64Decode",
            "UUID",
            "Nope",
        ];
        let pieces = [
            "States.Array(",
            "States.UUID()",
            "(",
            ")",
            "'",
            "\\",
            "{",
            "}",
            "{}",
            ",",
            ", ",
            " ",
            "$",
            "$$",
            ".a",
            ".s",
            "[",
            "]",
            "['x']",
            "[0]",
            "1",
            "-",
            "0.5",
            "e9",
            "true",
            "null",
            "'MD5'",
            "'é'",
            "\u{0}",
            "\"",
        ];
        let everything = json!({"a": [1, 2], "s": "x,y"});
        let resolve = |_: &PathSource| Some(everything.clone());
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |bound: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            usize::try_from(seed % bound as u64).unwrap_or(0)
        };
        let mut parsed = 0;
        for _ in 0..20_000 {
            let mut text = format!("States.{}(", names[next(names.len())]);
            for _ in 0..next(10) {
                text.push_str(pieces[next(pieces.len())]);
            }
            if next(4) > 0 {
                text.push(')');
            }
            if let Ok(call) = Intrinsic::parse(&text) {
                parsed += 1;
                let _ = call.evaluate(&resolve);
            }
        }
        for text in [
            "States.ArrayRange(-9223372036854775808, 9223372036854775807, -1)",
            "States.ArrayRange(9223372036854775807, -9223372036854775808, -1)",
            "States.ArrayPartition($.a, 18446744073709551615)",
            "States.ArrayGetItem($.a, 18446744073709551615)",
            "States.MathRandom(-9223372036854775808, 9223372036854775807)",
            "States.MathRandom(1e300, 1e301, -1e300)",
            "States.MathAdd(-1e300, 1e300)",
            "States.Format($.s)",
            "States.StringSplit($.s, $.s)",
        ] {
            let call = Intrinsic::parse(text).unwrap_or_else(|err| panic!("{text}: {err}"));
            let _ = call.evaluate(&resolve);
        }
        assert!(
            parsed > 100,
            "the generator should reach valid calls, not {parsed}"
        );
    }
}
