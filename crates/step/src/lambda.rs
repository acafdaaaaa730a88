//! A step as a Lambda function: the runtime's loop around [`run_step`], and its logs.

use crate::{run_step, Step};
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::future::Future;
use wisaw_domain::StepError;

pub use lambda_runtime::Error;

/// The Lambda error a step failure becomes: its type is what `Retry` and `Catch` match.
pub fn diagnostic(error: &StepError) -> Diagnostic {
    Diagnostic {
        error_type: error.error_name().to_string(),
        error_message: error.message.clone(),
    }
}

/// Logs as the function's logging configuration asks (`AWS_LAMBDA_LOG_FORMAT=JSON`,
/// `AWS_LAMBDA_LOG_LEVEL`), with the span fields (step, photo id) on every JSON line.
pub fn init_logs() {
    lambda_runtime::tracing::init_default_subscriber();
}

/// Serves `step` until the runtime stops: every invocation's payload goes through
/// [`run_step`] to `handler`.
pub async fn serve<I, O, F, Fut>(step: Step, handler: F) -> Result<(), Error>
where
    I: DeserializeOwned,
    O: Serialize,
    F: Fn(I) -> Fut,
    Fut: Future<Output = Result<O, StepError>>,
{
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        run_step(step, event.payload, handler)
            .await
            .map_err(|error| diagnostic(&error))
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use wisaw_domain::error::{PERMANENT_ERROR, TRANSIENT_ERROR};

    #[test]
    fn a_failure_reaches_lambda_typed_as_the_state_machine_matches_it() {
        let transient = diagnostic(&StepError::transient("the bucket is slow"));
        assert_eq!(transient.error_type, TRANSIENT_ERROR);
        assert_eq!(transient.error_message, "the bucket is slow");
        let permanent = diagnostic(&StepError::permanent("bad persist payload"));
        assert_eq!(permanent.error_type, PERMANENT_ERROR);
    }
}
