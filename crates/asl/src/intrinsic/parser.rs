//! The parser of intrinsic calls: reads `States.Format('Hello {}', $.name)` into
//! the function it names and its arguments (quoted strings, literals, paths and
//! nested calls), refusing by name what is wrong on its face.

use super::function::{arguments, Function};
use super::template_pieces::{placeholders, Piece};
use crate::path::PathSource;
use serde_json::Value;
use std::fmt;

/// Step Functions allows up to 10 intrinsic functions nested within a field.
const MAX_DEPTH: usize = 10;

/// A parsed intrinsic call, e.g. `States.Format('Hello {}', $.name)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Intrinsic {
    pub(super) function: Function,
    pub(super) args: Vec<Arg>,
    /// The call as written, for messages.
    text: String,
}

impl fmt::Display for Intrinsic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// An argument as written in the call.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Arg {
    /// A quoted string, in pieces so that escaped braces stay apart from `{}` placeholders.
    Quoted(Vec<Piece>),
    /// A number, `true`, `false` or `null`.
    Literal(Value),
    Path(PathSource),
    Call(Intrinsic),
}

/// Parses `text` as one call, with nothing after it.
pub(super) fn parse(text: &str) -> Result<Intrinsic, String> {
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
