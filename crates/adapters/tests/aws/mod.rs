//! The AWS adapters with the real SDK against an AWS emulator on this machine (moto),
//! as `wisaw_testkit::aws_emulator` finds it (skipped without one, unless required).
//! Every test makes its own bucket, queues and state machine.

mod blobs;
mod environment;
mod executions;
mod express_executions;
mod notifications;
mod queues;

use wisaw_domain::ports::HistoryEvent;

/// The upload machine's history on the emulator, where no function exists: Validate
/// fails, MarkFailed too, and the Catch path still sends the photo to the dead-letter
/// queue. Returns Validate's `LambdaFunctionFailed` event, its cause naming the missing
/// function (the emulator names the error `Exception` where AWS says
/// `Lambda.ResourceNotFoundException`).
fn failed_at_validate(history: &[HistoryEvent]) -> &HistoryEvent {
    let entered: Vec<&str> = history
        .iter()
        .filter(|e| e.event_type.ends_with("StateEntered"))
        .map(|e| e.details["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        entered,
        [
            "Validate",
            "MarkFailed",
            "SendToDeadLetterQueue",
            "PhotoFailed"
        ]
    );
    let failed = history
        .iter()
        .find(|e| e.event_type == "LambdaFunctionFailed")
        .unwrap_or_else(|| panic!("{history:#?}"));
    let cause = failed.details["cause"].as_str().unwrap_or_default();
    assert!(
        cause.starts_with("Function not found: ") && cause.contains("ValidateFunctionArn"),
        "{cause}"
    );
    failed
}
