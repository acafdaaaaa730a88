//! GetExecutionHistory: the engine's events in AWS's shape, each event's details under
//! its own member, oldest or newest first, a page at a time, with or without the data.

use crate::support::*;
use aws_sdk_sfn::operation::get_execution_history::GetExecutionHistoryError;
use aws_sdk_sfn::types::{HistoryEvent, HistoryEventType as T};
use serde_json::json;

fn types(events: &[HistoryEvent]) -> Vec<T> {
    events.iter().map(|e| e.r#type().clone()).collect()
}

/// A succeeded run of the upload machine, read back.
async fn succeeded(served: &Served) -> (String, Vec<HistoryEvent>) {
    let (arn, _) = served.run_upload("h-1", &quick("eve")).await;
    let events = served.history(&arn).await;
    (arn, events)
}

#[tokio::test]
async fn the_history_reads_as_aws_gives_it() {
    let served = Served::start().await;
    let (_, events) = succeeded(&served).await;
    assert_eq!(
        types(&events),
        [
            T::ExecutionStarted,
            T::PassStateEntered,
            T::PassStateExited,
            T::WaitStateEntered,
            T::WaitStateExited,
            T::TaskStateEntered,
            T::TaskScheduled,
            T::TaskStarted,
            T::TaskSucceeded,
            T::TaskStateExited,
            T::ExecutionSucceeded,
        ]
    );
    for (index, event) in events.iter().enumerate() {
        assert_eq!(event.id(), index as i64 + 1);
        assert_eq!(event.previous_event_id(), index as i64);
    }
    assert!(events
        .windows(2)
        .all(|pair| millis(pair[0].timestamp()) <= millis(pair[1].timestamp())));

    let started = events[0].execution_started_event_details().unwrap();
    assert_eq!(json_of(started.input()), quick("eve"));
    assert!(!started.input_details().unwrap().truncated());
    let entered = events[1].state_entered_event_details().unwrap();
    assert_eq!(entered.name(), "Greet");
    let exited = events[2].state_exited_event_details().unwrap();
    assert_eq!(
        json_of(exited.output())["pass"],
        json!({"greeting": "hello eve"})
    );
    let scheduled = events[6].task_scheduled_event_details().unwrap();
    assert_eq!(
        (scheduled.resource_type(), scheduled.resource()),
        ("lambda", "invoke")
    );
    assert_eq!(
        json_of(Some(scheduled.parameters())),
        json!({"FunctionName": "echo", "Qualifier": "live", "Payload": {
            "who": "eve", "wait": 0, "function": "echo", "pass": {"greeting": "hello eve"}}})
    );
    let succeeded = events[8].task_succeeded_event_details().unwrap();
    assert_eq!(json_of(succeeded.output())["Payload"]["who"], "eve");
    let output = events[10].execution_succeeded_event_details().unwrap();
    assert_eq!(json_of(output.output())["task"], json!({"echoed": "eve"}));
    // Details only under their own member.
    assert!(events[1].state_exited_event_details().is_none());
    assert!(events[0].task_scheduled_event_details().is_none());
}

#[tokio::test]
async fn the_history_pages_oldest_first_or_newest_first() {
    let served = Served::start().await;
    let (arn, events) = succeeded(&served).await;
    let ids = |events: &[HistoryEvent]| events.iter().map(HistoryEvent::id).collect::<Vec<_>>();

    for reverse in [false, true] {
        let (read, pages) = all_pages(4, |token| {
            let page = served.get_history(&arn).max_results(4);
            let request = page.reverse_order(reverse).set_next_token(token).send();
            async move {
                let page = request.await.unwrap();
                let next_token = page.next_token().map(str::to_string);
                (page.events().to_vec(), next_token)
            }
        })
        .await;
        assert_eq!(pages, 3, "11 events, 4 a page");
        let mut expected = ids(&events);
        if reverse {
            expected.reverse();
        }
        assert_eq!(ids(&read), expected, "reverse: {reverse}");
    }

    // A token of the forward reading does not read backwards.
    let page = served
        .get_history(&arn)
        .max_results(4)
        .send()
        .await
        .unwrap();
    let crossed = refused(
        served
            .get_history(&arn)
            .reverse_order(true)
            .next_token(page.next_token().unwrap())
            .send(),
    )
    .await;
    assert!(matches!(crossed, GetExecutionHistoryError::InvalidToken(_)));
}

#[tokio::test]
async fn without_execution_data_the_events_carry_no_input_or_output() {
    let served = Served::start().await;
    let (arn, _) = succeeded(&served).await;
    let events = served
        .get_history(&arn)
        .include_execution_data(false)
        .send()
        .await
        .unwrap()
        .events()
        .to_vec();
    assert_eq!(events.len(), 11);
    let started = events[0].execution_started_event_details().unwrap();
    assert_eq!(started.input(), None);
    let entered = events[1].state_entered_event_details().unwrap();
    assert_eq!((entered.name(), entered.input()), ("Greet", None));
    assert_eq!(
        events[2].state_exited_event_details().unwrap().output(),
        None
    );
    assert_eq!(
        events[10]
            .execution_succeeded_event_details()
            .unwrap()
            .output(),
        None
    );
}

#[tokio::test]
async fn the_history_of_an_execution_that_does_not_exist_is_refused() {
    let served = Served::start().await;
    let error = refused(
        served
            .get_history(&upload_execution("never-started"))
            .send(),
    )
    .await;
    assert!(
        matches!(error, GetExecutionHistoryError::ExecutionDoesNotExist(_)),
        "{error:?}"
    );
}
