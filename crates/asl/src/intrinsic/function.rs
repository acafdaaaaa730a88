//! The catalogue of intrinsic functions: the name each is called by and how many
//! arguments it takes, checked when the definition loads.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Function {
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
    pub(super) fn named(name: &str) -> Option<Self> {
        FUNCTIONS
            .into_iter()
            .find(|function| function.name() == name)
    }

    pub(super) fn name(self) -> &'static str {
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
    pub(super) fn check_arity(self, count: usize) -> Result<(), String> {
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

/// "argument" or "arguments", as `count` wants.
pub(super) fn arguments(count: usize) -> &'static str {
    if count == 1 {
        "argument"
    } else {
        "arguments"
    }
}
