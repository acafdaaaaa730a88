//! The engine's own histories read by the diagram as Step Functions' are: the diagram
//! crate draws from the events this engine writes, not only from AWS's.

use crate::definition::Resource;
use crate::history;
use chrono::{TimeZone, Utc};
use serde_json::json;
use sfn_vocabulary::HistoryEvent;
use wisaw_diagram::{execution_path, HistoryItem, StateOutcome};

#[test]
fn the_engines_own_events_read_as_a_caught_failure() {
    let input = json!({"photoId": "p1"});
    let lambda = &Resource::LambdaInvoke;
    let sqs = &Resource::SqsSendMessage;
    let mut events = vec![
        history::execution_started(&input, "arn:aws:states:local:0:stateMachine:upload"),
        history::state_entered("Task", "Validate", &input),
    ];
    for _ in 0..4 {
        events.push(history::task_scheduled("local", lambda, &input, Some(30)));
        events.push(history::task_started(lambda));
        events.push(history::task_failed(
            lambda,
            true,
            "States.Timeout",
            "too slow",
        ));
    }
    events.extend([
        history::state_exited("Task", "Validate", &input, &Default::default()),
        history::state_entered("Task", "MarkFailed", &input),
        history::task_scheduled("local", lambda, &input, Some(30)),
        history::task_started(lambda),
        history::task_succeeded(lambda, &input),
        history::state_exited("Task", "MarkFailed", &input, &Default::default()),
        history::state_entered("Task", "SendToDeadLetterQueue", &input),
        history::task_scheduled("local", sqs, &input, None),
        history::task_started(sqs),
        history::task_succeeded(sqs, &input),
        history::state_exited("Task", "SendToDeadLetterQueue", &input, &Default::default()),
        history::state_entered("Fail", "PhotoFailed", &input),
        history::execution_failed(Some("PhotoFailed"), Some("A step failed after its retries")),
    ]);
    let recorded: Vec<HistoryEvent> = events
        .into_iter()
        .enumerate()
        .map(|(id, event)| HistoryEvent {
            id: id as i64 + 1,
            previous_event_id: id as i64,
            timestamp: Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap()
                + chrono::Duration::seconds(id as i64),
            event_type: event.event_type,
            details: event.details,
        })
        .collect();
    let path = execution_path(recorded.iter().map(|event| HistoryItem {
        event_type: &event.event_type,
        timestamp: event.timestamp,
        details: &event.details,
    }));
    assert_eq!(
        path.entered,
        [
            "Validate",
            "MarkFailed",
            "SendToDeadLetterQueue",
            "PhotoFailed"
        ]
    );
    let validate = &path.marks["Validate"];
    assert_eq!(validate.outcome, StateOutcome::Caught);
    assert_eq!(validate.attempts, 4);
    assert_eq!(validate.error.as_deref(), Some("States.Timeout"));
    assert_eq!(path.marks["SendToDeadLetterQueue"].attempts, 1);
    assert_eq!(path.marks["PhotoFailed"].outcome, StateOutcome::Failed);
    assert!(path.reached_end);
}
