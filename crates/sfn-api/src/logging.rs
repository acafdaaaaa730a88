//! How a served machine logs its executions: its `LoggingConfiguration`, as it was
//! created with it and as `DescribeStateMachine` reports it. Delivering the logs is for
//! whoever runs the machine; the API only says where they go.

use std::fmt;
use std::str::FromStr;

/// Which of an execution's events are logged (the Step Functions developer guide's "log
/// levels").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LogLevel {
    All,
    Error,
    Fatal,
    #[default]
    Off,
}

impl LogLevel {
    pub const EVERY: [LogLevel; 4] = [Self::All, Self::Error, Self::Fatal, Self::Off];

    /// As AWS spells it: `ALL`, `ERROR`, `FATAL`, `OFF`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "ALL",
            Self::Error => "ERROR",
            Self::Fatal => "FATAL",
            Self::Off => "OFF",
        }
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A level that is none of AWS's.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a log level: ALL, ERROR, FATAL or OFF")]
pub struct UnknownLogLevel(pub String);

/// AWS's spelling only, as the API takes it.
impl FromStr for LogLevel {
    type Err = UnknownLogLevel;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::EVERY
            .into_iter()
            .find(|level| level.as_str() == text)
            .ok_or_else(|| UnknownLogLevel(text.to_string()))
    }
}

/// A machine's logging: none unless it is given one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Logging {
    pub level: LogLevel,
    pub include_execution_data: bool,
    /// The CloudWatch Logs log group's ARN (`arn:aws:logs:R:A:log-group:NAME:*`).
    pub log_group_arn: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_level_is_read_as_aws_spells_it_and_nothing_else() {
        for level in LogLevel::EVERY {
            assert_eq!(level.as_str().parse(), Ok(level));
        }
        assert_eq!(
            "all".parse::<LogLevel>(),
            Err(UnknownLogLevel("all".into()))
        );
        assert_eq!(
            UnknownLogLevel("DEBUG".into()).to_string(),
            "`DEBUG` is not a log level: ALL, ERROR, FATAL or OFF"
        );
        assert_eq!(Logging::default().level, LogLevel::Off);
    }
}
