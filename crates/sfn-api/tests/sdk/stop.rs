//! StopExecution: a running execution (waiting, or in a task's call) ends ABORTED with
//! the caller's error and cause; again, the same stop date; an ended one is refused.

use crate::support::*;
use aws_sdk_sfn::operation::stop_execution::StopExecutionError;
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEventType};
use serde_json::json;

#[tokio::test]
async fn a_running_execution_stops_aborted_with_its_error_and_cause() {
    let served = Served::start().await;
    let arn = served.start_upload("s-1", &waiting("fay")).await;
    let stop = served.stop(&arn).error("Operator.Stop");
    let stopped = stop.cause("stopped from the CLI").send().await.unwrap();
    let stop_date = millis(stopped.stop_date());

    let described = served.describe(&arn).await;
    assert_eq!(*described.status(), ExecutionStatus::Aborted);
    assert_eq!(described.error(), Some("Operator.Stop"));
    assert_eq!(described.cause(), Some("stopped from the CLI"));
    assert_eq!(millis(described.stop_date().unwrap()), stop_date);
    assert_eq!(described.output(), None);

    let events = served.history(&arn).await;
    let last = events.last().unwrap();
    assert_eq!(*last.r#type(), HistoryEventType::ExecutionAborted);
    let details = last.execution_aborted_event_details().unwrap();
    assert_eq!(details.error(), Some("Operator.Stop"));
    assert_eq!(details.cause(), Some("stopped from the CLI"));
    assert_eq!(
        *events[events.len() - 2].r#type(),
        HistoryEventType::WaitStateEntered
    );

    // Again: nothing changes, the first stop's date is the answer.
    let again = served.stop(&arn).error("Other").send().await.unwrap();
    assert_eq!(millis(again.stop_date()), stop_date);
    let record = served.upload.describe("s-1").await.unwrap().unwrap();
    assert_eq!(record.error.as_deref(), Some("Operator.Stop"));
}

#[tokio::test]
async fn a_task_in_flight_is_dropped_by_a_stop() {
    let served = Served::start().await;
    let input = json!({"who": "gus", "wait": 0, "function": "hold"});
    let arn = served.start_upload("s-2", &input).await;
    // Until the call is in flight.
    for _ in 0..200 {
        let history = served.upload.history("s-2").await.unwrap();
        if history.iter().any(|e| e.event_type == "TaskStarted") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(served.upload.in_flight(), 1);
    served.stop(&arn).send().await.unwrap();
    assert_eq!(served.upload.in_flight(), 0);
    let described = served.describe(&arn).await;
    assert_eq!(*described.status(), ExecutionStatus::Aborted);
    assert_eq!((described.error(), described.cause()), (None, None));
}

#[tokio::test]
async fn stopping_an_ended_or_unknown_execution_is_refused() {
    let served = Served::start().await;
    let (arn, status) = served.run_upload("s-3", &quick("hal")).await;
    assert_eq!(status, ExecutionStatus::Succeeded);
    let ended = refused(served.stop(&arn).send()).await;
    assert!(
        matches!(ended, StopExecutionError::ValidationException(_)),
        "{ended:?}"
    );
    assert!(ended.to_string().contains("SUCCEEDED"), "{ended}");
    assert_eq!(served.settled(&arn).await, ExecutionStatus::Succeeded);

    let unknown = refused(served.stop(&upload_execution("never-started")).send()).await;
    assert!(
        matches!(unknown, StopExecutionError::ExecutionDoesNotExist(_)),
        "{unknown:?}"
    );
    let too_long = refused(served.stop(&arn).error("E".repeat(257)).send()).await;
    assert!(
        matches!(too_long, StopExecutionError::ValidationException(_)),
        "{too_long:?}"
    );
}
