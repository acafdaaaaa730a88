//! How an AWS SDK error becomes a [`PortError`]: what the SDK itself would retry
//! (throttling and transient codes by its own lists, errors its models mark retryable,
//! timeouts, dropped connections, 5xx) is `Unavailable`; a missing thing is `NotFound`;
//! everything else is `Invalid`. The SDK's error stays attached as the source; the
//! message says what a person needs (the service's code, its words, the HTTP status) and
//! never the raw answer, which a failed execution would carry on as its cause.

use aws_runtime::retries::classifiers::{THROTTLING_ERRORS, TRANSIENT_ERRORS};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::retry::ProvideErrorKind;
use wisaw_domain::error::{PortError, Reason};

/// Error codes that name something missing, across S3, SQS and Step Functions. The SDK
/// classifies errors for retrying only, so "missing" is said here; most of these also
/// come with a 404, but SQS and Step Functions answer 400.
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

/// What the SDK's own retry classifier would retry, by code: its throttling and transient
/// lists; SQS's throttling code has a prefix of its own.
fn is_retryable_code(code: &str) -> bool {
    THROTTLING_ERRORS.contains(&code)
        || TRANSIENT_ERRORS.contains(&code)
        || code.starts_with("AWS.SimpleQueueService.") && code.ends_with("Throttled")
}

/// Maps a failed call; `action` says what was attempted (e.g. "reading s3://b/k").
pub(crate) fn port_error<E>(action: &str, error: SdkError<E, HttpResponse>) -> PortError
where
    E: ProvideErrorMetadata + ProvideErrorKind + std::error::Error + Send + Sync + 'static,
{
    let message = format!("{action}: {}", described(&error));
    let kind = match &error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            Kind::Unavailable
        }
        SdkError::ServiceError(service) => {
            let modelled_retryable = service.err().retryable_error_kind().is_some();
            let code = ProvideErrorMetadata::code(service.err()).unwrap_or_default();
            if modelled_retryable {
                Kind::Unavailable
            } else {
                classify(Some(service.raw().status().as_u16()), code)
            }
        }
        // A request the SDK could not even build: no retry will help.
        _ => Kind::Invalid,
    };
    kind.error(Reason::caused_by(message, error))
}

/// A failed call in a person's words. A service's refusal is its code, message and HTTP
/// status; anything else is its chain of causes ([`wisaw_domain::error::with_causes`]).
/// Not the SDK's `DisplayErrorContext`: it ends with the error's `Debug`, the service's
/// raw answer included (S3's XML body, with a `<RequestId>` that some XML readers of the
/// cause, downstream, take for their own).
fn described<E>(error: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if let SdkError::ServiceError(service) = error {
        let refusal = service.err();
        let status = service.raw().status().as_u16();
        return match (refusal.code(), refusal.message()) {
            (Some(code), Some(message)) => format!("{code}: {message} (HTTP {status})"),
            (Some(code), None) => format!("{code} (HTTP {status})"),
            _ => format!("{refusal} (HTTP {status})"),
        };
    }
    wisaw_domain::error::with_causes(error)
}

/// Maps an error a call reports for one of its items (an object of DeleteObjects), which
/// carries a code but no HTTP status of its own.
#[cfg(feature = "s3")]
pub(crate) fn item_error(action: &str, code: Option<&str>, message: Option<&str>) -> PortError {
    let code = code.unwrap_or_default();
    let message = format!("{action}: {code}: {}", message.unwrap_or_default());
    // An item's error has S3's code without the status that comes with it elsewhere.
    let status = SERVER_ERROR_CODES.contains(&code).then_some(500);
    classify(status, code).error(message.into())
}

/// S3's codes of a 500 and a 503, for an item's error that carries no status.
#[cfg(feature = "s3")]
const SERVER_ERROR_CODES: &[&str] = &["InternalError", "ServiceUnavailable"];

#[derive(Debug, PartialEq)]
enum Kind {
    NotFound,
    Unavailable,
    Invalid,
}

impl Kind {
    fn error(self, reason: Reason) -> PortError {
        match self {
            Self::NotFound => PortError::NotFound(reason),
            Self::Unavailable => PortError::Unavailable(reason),
            Self::Invalid => PortError::Invalid(reason),
        }
    }
}

fn classify(status: Option<u16>, code: &str) -> Kind {
    let status = status.unwrap_or_default();
    if status == 404 || NOT_FOUND_CODES.contains(&code) {
        Kind::NotFound
    } else if status >= 500 || status == 429 || is_retryable_code(code) {
        Kind::Unavailable
    } else {
        Kind::Invalid
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
            assert!(is_retryable_code(code), "{code}");
        }
        assert!(!is_retryable_code("AccessDenied"));
        assert!(!is_retryable_code("InvalidParameterValue"));
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

    #[cfg(feature = "sqs")]
    #[test]
    fn a_call_keeps_the_sdks_error_as_its_source() {
        use aws_sdk_sqs::operation::send_message::SendMessageError;
        use aws_smithy_runtime_api::http::StatusCode;
        use aws_smithy_types::body::SdkBody;
        use aws_smithy_types::error::ErrorMetadata;

        let answer = |status: u16, code: &str| {
            let error = SendMessageError::generic(ErrorMetadata::builder().code(code).build());
            let raw = HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::empty());
            port_error("sending to q", SdkError::service_error(error, raw))
        };
        let missing = answer(400, "AWS.SimpleQueueService.NonExistentQueue");
        assert!(matches!(missing, PortError::NotFound(_)), "{missing}");
        let source = std::error::Error::source(&missing).expect("the SDK's error");
        assert!(source
            .downcast_ref::<SdkError<SendMessageError, HttpResponse>>()
            .is_some());
        assert!(answer(400, "ThrottlingException").is_transient());
        assert!(answer(503, "Whatever").is_transient());
        assert!(matches!(
            answer(400, "InvalidParameterValue"),
            PortError::Invalid(_)
        ));
    }

    #[cfg(feature = "s3")]
    #[test]
    fn a_refusal_is_told_by_its_code_and_message_without_the_raw_answer() {
        use aws_sdk_s3::operation::put_object::PutObjectError;
        use aws_smithy_runtime_api::http::StatusCode;
        use aws_smithy_types::body::SdkBody;
        use aws_smithy_types::error::ErrorMetadata;

        let body = "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>not \
                    allowed</Message><RequestId>R1</RequestId></Error>";
        let metadata = ErrorMetadata::builder()
            .code("AccessDenied")
            .message("not allowed")
            .build();
        let raw = HttpResponse::new(StatusCode::try_from(403).unwrap(), SdkBody::from(body));
        let error = SdkError::service_error(PutObjectError::generic(metadata), raw);
        let refused = port_error("writing s3://b/k", error);
        assert!(matches!(refused, PortError::Invalid(_)), "{refused}");
        assert_eq!(
            refused.to_string(),
            "writing s3://b/k: AccessDenied: not allowed (HTTP 403)"
        );
    }
}
