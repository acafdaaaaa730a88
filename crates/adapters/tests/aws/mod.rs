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

/// The failure of the upload machine's first step on the emulator, where no function
/// exists: its `LambdaFunctionFailed` event, its cause naming the missing validate
/// function (the emulator names the error `Exception` where AWS says
/// `Lambda.ResourceNotFoundException`).
fn validate_not_found(history: &[HistoryEvent]) -> &HistoryEvent {
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
