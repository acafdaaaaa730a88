//! Errors as Step Functions answers them: an HTTP status and a JSON body whose `__type`
//! is the error's shape, namespaced as AWS namespaces it. The SDKs read the name after
//! the `#` and map it to their typed errors (`DescribeExecutionError::ExecutionDoesNotExist`...).

use axum::http::StatusCode;
use serde::Serialize;
use wisaw_asl::RunnerError;

/// Step Functions' own errors.
const SFN: &str = "com.amazonaws.swf.service.v2.model";
/// The request checks every AWS JSON service shares.
const VALIDATE: &str = "com.amazon.coral.validate";
/// The protocol's and the service's failures.
const SERVICE: &str = "com.amazon.coral.service";

/// Each error, named as its shape is: the name the SDKs match on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    ExecutionAlreadyExists,
    ExecutionDoesNotExist,
    InvalidArn,
    InvalidExecutionInput,
    InvalidName,
    InvalidToken,
    ResourceNotFound,
    StateMachineDoesNotExist,
    StateMachineTypeNotSupported,
    ValidationException,
    SerializationException,
    UnknownOperationException,
    AccessDeniedException,
    InternalFailure,
    ServiceUnavailable,
}

impl Code {
    fn namespace(self) -> &'static str {
        match self {
            Self::ValidationException => VALIDATE,
            Self::SerializationException
            | Self::UnknownOperationException
            | Self::AccessDeniedException
            | Self::InternalFailure
            | Self::ServiceUnavailable => SERVICE,
            _ => SFN,
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Self::InternalFailure => StatusCode::INTERNAL_SERVER_ERROR,
            // The SDKs retry it, as they retry a throttled or restarting service.
            Self::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// One error answer.
#[derive(Debug)]
pub struct ApiError {
    pub code: Code,
    pub message: String,
}

/// The body AWS JSON 1.0 errors have.
#[derive(Serialize)]
pub struct ErrorBody {
    #[serde(rename = "__type")]
    pub error_type: String,
    pub message: String,
}

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        self.code.status()
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            // The variant's name is the shape's.
            error_type: format!("{}#{:?}", self.code.namespace(), self.code),
            message: self.message.clone(),
        }
    }

    pub fn execution_does_not_exist(arn: &str) -> Self {
        Self::new(
            Code::ExecutionDoesNotExist,
            format!("Execution Does Not Exist: '{arn}'"),
        )
    }

    pub fn state_machine_does_not_exist(arn: &str) -> Self {
        Self::new(
            Code::StateMachineDoesNotExist,
            format!("State Machine Does Not Exist: '{arn}'"),
        )
    }

    pub fn invalid_arn(why: &str) -> Self {
        Self::new(Code::InvalidArn, format!("Invalid Arn: '{why}'"))
    }

    pub fn invalid_token(token: &str) -> Self {
        Self::new(Code::InvalidToken, format!("Invalid Token: '{token}'"))
    }

    /// A member that breaks its constraint, in the words AWS's validation uses; its
    /// value is quoted when given.
    pub fn invalid_member(value: Option<&str>, member: &str, constraint: &str) -> Self {
        let value = value.map_or("Value".to_string(), |v| format!("Value '{v}'"));
        Self::validation(&value, member, constraint)
    }

    pub fn missing_member(member: &str) -> Self {
        Self::validation("Value null", member, "must not be null")
    }

    fn validation(value: &str, member: &str, constraint: &str) -> Self {
        Self::new(
            Code::ValidationException,
            format!(
                "1 validation error detected: {value} at '{member}' failed to satisfy \
                 constraint: Member {constraint}"
            ),
        )
    }

    /// The body is not the operation's JSON.
    pub fn serialization(error: impl std::fmt::Display) -> Self {
        Self::new(Code::SerializationException, error.to_string())
    }

    /// A runner's failure that is no fault of the request.
    pub fn runner(error: RunnerError) -> Self {
        match error {
            RunnerError::ShuttingDown => Self::new(Code::ServiceUnavailable, error.to_string()),
            other => {
                tracing::error!(error = %other, "the runner failed a Step Functions call");
                Self::new(Code::InternalFailure, other.to_string())
            }
        }
    }
}
