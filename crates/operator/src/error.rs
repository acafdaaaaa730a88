//! What goes wrong when an operator acts, and how bad it is, decided here once for every
//! face of the operator (the console answers with a status, a command exits with a code).

use wisaw_domain::PortError;

#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// The request cannot be carried out as asked (no selection, a rate out of range).
    #[error("{0}")]
    Invalid(String),
    /// What the request names does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A port failed, with its own class.
    #[error(transparent)]
    Port(#[from] PortError),
}

pub type OperatorResult<T> = Result<T, OperatorError>;

/// How an operator's request failed, for whoever shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Ask differently (the console's 400, a command's exit code 2).
    Invalid,
    /// Nothing by that name (404, exit code 3).
    NotFound,
    /// The stage could not be reached; try again later (503, exit code 4).
    Unavailable,
    /// Something behind the operator misbehaved (502, exit code 1).
    Broken,
}

impl Failure {
    /// The class of an error: of the first operator or port error in its chain of sources,
    /// `Broken` when there is none.
    pub fn of(error: &(dyn std::error::Error + 'static)) -> Self {
        let mut next = Some(error);
        while let Some(error) = next {
            if let Some(error) = error.downcast_ref::<OperatorError>() {
                return error.failure();
            }
            if let Some(error) = error.downcast_ref::<PortError>() {
                return Self::of_port(error);
            }
            next = error.source();
        }
        Self::Broken
    }

    fn of_port(error: &PortError) -> Self {
        match error {
            PortError::NotFound(_) => Self::NotFound,
            PortError::Invalid(_) => Self::Invalid,
            PortError::Unavailable(_) => Self::Unavailable,
        }
    }

    /// A command's exit code.
    pub fn exit_code(self) -> u8 {
        match self {
            Self::Broken => 1,
            Self::Invalid => 2,
            Self::NotFound => 3,
            Self::Unavailable => 4,
        }
    }
}

impl OperatorError {
    pub fn failure(&self) -> Failure {
        match self {
            Self::Invalid(_) => Failure::Invalid,
            Self::NotFound(_) => Failure::NotFound,
            Self::Port(error) => Failure::of_port(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_is_found_anywhere_in_the_chain() {
        let port = anyhow::Error::new(PortError::NotFound("photo".into())).context("showing");
        assert_eq!(Failure::of(port.as_ref()), Failure::NotFound);
        let invalid = anyhow::Error::new(OperatorError::Invalid("no selection".into()));
        assert_eq!(Failure::of(invalid.as_ref()), Failure::Invalid);
        let outage = OperatorError::from(PortError::Unavailable("queue".into()));
        assert_eq!(Failure::of(&outage), Failure::Unavailable);
        let other = anyhow::anyhow!("the audit log refused the record");
        assert_eq!(Failure::of(other.as_ref()), Failure::Broken);
        assert_eq!(Failure::Invalid.exit_code(), 2);
    }
}
