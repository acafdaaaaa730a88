//! The step edge: how a state machine's task payload becomes a handler call, and the
//! handler's answer becomes the task's result or error. The Lambda binaries and the
//! local runner of `wisaw serve` both go through [`run_step`], so a payload, an error
//! text or a log line at this edge is the same on a laptop as on AWS.
//!
//! A failure is reported with the error *type* set to [`StepError::error_name`]
//! (`Wisaw.Transient` / `Wisaw.Permanent`): Step Functions copies a Lambda's
//! `errorType` into the task's `Error`, which is what the state machine's `Retry`
//! and `Catch` match. A payload that does not fit the contract is permanent, so it
//! goes straight to the failure path instead of being retried. The payload is taken
//! as JSON rather than as the contract type so that a deserialisation error (whose
//! type would be a Rust type name) never reaches the state machine.

#[cfg(feature = "lambda")]
pub mod lambda;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::future::Future;
use tracing::Instrument;
use wisaw_domain::StepError;

/// The steps of `statemachines/upload.asl.json`, each a Lambda function of that name in
/// `template.yaml` and an in-process worker of `wisaw serve`. The one list of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    Validate,
    Thumbnail,
    Persist,
    Notify,
}

impl Step {
    pub const ALL: [Step; 4] = [Step::Validate, Step::Thumbnail, Step::Persist, Step::Notify];

    /// The function's name: the binary, the template's function (capitalised there) and
    /// the last segment of the ARN the state machine invokes.
    pub fn function_name(self) -> &'static str {
        match self {
            Step::Validate => "validate",
            Step::Thumbnail => "thumbnail",
            Step::Persist => "persist",
            Step::Notify => "notify",
        }
    }

    /// The function's logical id in `template.yaml`; the state machine's definition names
    /// it as the substitution `${<id>Arn}`.
    pub fn template_function(self) -> &'static str {
        match self {
            Step::Validate => "ValidateFunction",
            Step::Thumbnail => "ThumbnailFunction",
            Step::Persist => "PersistFunction",
            Step::Notify => "NotifyFunction",
        }
    }

    /// The DefinitionSubstitution the state machine's Task names as its `Resource`.
    pub fn function_arn_substitution(self) -> String {
        format!("{}Arn", self.template_function())
    }

    pub fn from_function_name(name: &str) -> Option<Step> {
        Step::ALL
            .into_iter()
            .find(|step| step.function_name() == name)
    }
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.function_name())
    }
}

/// Runs one step on its payload, inside a span carrying the step and the photo id so
/// that every log line of the invocation names the photo.
pub async fn run_step<I, O, F, Fut>(
    step: Step,
    payload: Value,
    handler: F,
) -> Result<Value, StepError>
where
    I: DeserializeOwned,
    O: Serialize,
    F: FnOnce(I) -> Fut,
    Fut: Future<Output = Result<O, StepError>>,
{
    let photo_id = payload
        .get("photoId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let span = tracing::info_span!("step", step = step.function_name(), photo_id = %photo_id);
    async move {
        let result = async {
            let input: I = serde_json::from_value(payload)
                .map_err(|e| StepError::permanent(format!("bad {step} payload: {e}")))?;
            let output = handler(input).await?;
            serde_json::to_value(output).map_err(|e| StepError::permanent(e.to_string()))
        }
        .await;
        if let Err(error) = &result {
            tracing::warn!(error_type = error.error_name(), %error, "step failed");
        }
        result
    }
    .instrument(span)
    .await
}

/// A blocking task that did not finish. A panic would repeat on the same bytes, so it
/// is permanent; a cancellation (the runtime shutting down) is worth another try.
pub fn blocking_failed(step: Step, error: tokio::task::JoinError) -> StepError {
    if error.is_panic() {
        StepError::permanent(format!("{step} crashed on this image"))
    } else {
        StepError::transient(format!("{step} was interrupted"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use wisaw_domain::error::{PERMANENT_ERROR, TRANSIENT_ERROR};
    use wisaw_domain::PortError;

    #[tokio::test]
    async fn a_payload_off_the_contract_is_a_permanent_error_naming_the_step() {
        #[derive(serde::Deserialize)]
        struct Input {
            #[serde(rename = "photoId")]
            _photo_id: uuid::Uuid,
        }
        let error = run_step(
            Step::Persist,
            json!({ "photoId": "not-a-uuid" }),
            |_: Input| async { Ok::<_, StepError>(json!({})) },
        )
        .await
        .unwrap_err();
        assert_eq!(error.error_name(), PERMANENT_ERROR);
        assert!(
            error.message.starts_with("bad persist payload"),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn a_port_outage_is_transient_with_its_message() {
        let outage = run_step(Step::Notify, json!({}), |_: Value| async {
            Err::<Value, _>(StepError::from(PortError::Unavailable(
                "connection refused".into(),
            )))
        })
        .await
        .unwrap_err();
        assert_eq!(outage.error_name(), TRANSIENT_ERROR);
        assert!(outage.message.contains("connection refused"));
    }

    #[test]
    fn every_step_is_found_by_its_function_name() {
        for step in Step::ALL {
            assert_eq!(Step::from_function_name(step.function_name()), Some(step));
        }
        assert_eq!(Step::from_function_name("Validate"), None);
    }
}
