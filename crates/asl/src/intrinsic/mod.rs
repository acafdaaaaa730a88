//! The intrinsic functions of JSONPath states: `States.Format('Hello {}', $.name)`
//! and the seventeen others of Step Functions' developer guide.
//!
//! A call is parsed when the definition loads, so an unknown name, an argument
//! count that is wrong on its face or a broken literal is refused there, by name.
//! Everything that depends on the data (types, limits, indexes) is checked when the
//! call is evaluated, as Step Functions checks it, and fails with a cause that
//! names the call.
//!
//! This module evaluates a parsed call: its arguments inside out, then the
//! function. The parser, the catalogue of functions and the functions themselves,
//! grouped by what they work on, live in the submodules.

mod argument_checks;
mod arrays;
mod encoding;
mod function;
mod json;
mod math;
mod parser;
mod strings;
mod template_pieces;
#[cfg(test)]
mod tests;

use crate::path::PathSource;
use function::Function;
use parser::Arg;
use serde_json::Value;
use std::fmt;
use template_pieces::joined;

pub use parser::Intrinsic;

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
        parser::parse(text)
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
            Function::Format => strings::format(self.args.first(), &values),
            Function::StringToJson => json::string_to_json(&values),
            Function::JsonToString => json::json_to_string(&values),
            Function::Array => Ok(Value::Array(values)),
            Function::ArrayPartition => arrays::array_partition(&values),
            Function::ArrayContains => arrays::array_contains(&values),
            Function::ArrayRange => arrays::array_range(&values),
            Function::ArrayGetItem => arrays::array_get_item(&values),
            Function::ArrayLength => arrays::array_length(&values),
            Function::ArrayUnique => arrays::array_unique(&values),
            Function::Base64Encode => encoding::base64_encode(&values),
            Function::Base64Decode => encoding::base64_decode(&values),
            Function::Hash => encoding::hash(&values),
            Function::JsonMerge => json::json_merge(&values),
            Function::MathRandom => math::math_random(&values),
            Function::MathAdd => math::math_add(&values),
            Function::StringSplit => strings::string_split(&values),
            Function::Uuid => Ok(Value::String(uuid::Uuid::new_v4().to_string())),
        }
    }
}
