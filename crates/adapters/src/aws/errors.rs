//! How an AWS SDK error becomes a [`PortError`]: what is worth a retry (throttling,
//! timeouts, dropped connections, 5xx) is `Unavailable`, a missing thing is `NotFound`,
//! and everything else is `Invalid`.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use wisaw_domain::error::PortError;

/// Error codes that name something missing, across S3, SQS and Step Functions.
const NOT_FOUND_CODES: &[&str] = &[
    "NoSuchKey",
    "NoSuchBucket",
    "NotFound",
    "ExecutionDoesNotExist",
    "StateMachineDoesNotExist",
    "ResourceNotFoundException",
    "QueueDoesNotExist",
    "AWS.SimpleQueueService.NonExistentQueue",
];

/// Codes that say "later", whatever their HTTP status.
const RETRYABLE_CODES: &[&str] = &[
    "SlowDown",
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalError",
    "InternalFailure",
    "ServiceUnavailable",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "KmsThrottled",
];

fn is_throttling(code: &str) -> bool {
    code.contains("Throttl") || RETRYABLE_CODES.contains(&code)
}

/// Maps a failed call; `action` says what was attempted (e.g. "reading s3://b/k").
pub(crate) fn port_error<E>(action: &str, error: SdkError<E, HttpResponse>) -> PortError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let message = format!("{action}: {}", DisplayErrorContext(&error));
    match &error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            PortError::Unavailable(message)
        }
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let code = service.err().code().unwrap_or_default();
            classify(Some(status), code, message)
        }
        // A request the SDK could not even build: no retry will help.
        _ => PortError::Invalid(message),
    }
}

/// Maps an error a call reports for one of its items (an object of DeleteObjects), which
/// carries a code but no HTTP status of its own.
#[cfg(feature = "s3")]
pub(crate) fn item_error(action: &str, code: Option<&str>, message: Option<&str>) -> PortError {
    let code = code.unwrap_or_default();
    let message = format!("{action}: {code}: {}", message.unwrap_or_default());
    classify(None, code, message)
}

fn classify(status: Option<u16>, code: &str, message: String) -> PortError {
    let status = status.unwrap_or_default();
    if status == 404 || NOT_FOUND_CODES.contains(&code) {
        PortError::NotFound(message)
    } else if status >= 500 || status == 429 || is_throttling(code) {
        PortError::Unavailable(message)
    } else {
        PortError::Invalid(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_codes_of_every_service_are_recognised() {
        for code in [
            "Throttling",
            "ThrottlingException",
            "AWS.SimpleQueueService.RequestThrottled",
            "SlowDown",
            "RequestTimeout",
        ] {
            assert!(is_throttling(code), "{code}");
        }
        assert!(!is_throttling("AccessDenied"));
        assert!(!is_throttling("InvalidParameterValue"));
    }

    #[test]
    fn an_items_error_is_classified_by_its_code() {
        let item = |code| item_error("deleting s3://b/k", Some(code), Some("why"));
        assert!(matches!(item("SlowDown"), PortError::Unavailable(_)));
        assert!(matches!(item("InternalError"), PortError::Unavailable(_)));
        assert!(matches!(item("NoSuchKey"), PortError::NotFound(_)));
        let denied = item("AccessDenied");
        assert!(
            matches!(&denied, PortError::Invalid(m) if m.contains("AccessDenied") && m.contains("why"))
        );
    }
}
