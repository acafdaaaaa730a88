//! The pipeline's own Step Functions adapter (what the Lambdas and the operator use on
//! AWS) over the served engine: the same orchestrator port, answered by the local runner.

use crate::support::*;
use wisaw_adapters::aws::StepFunctionsOrchestrator;
use wisaw_domain::contracts::ExecutionInput;
use wisaw_domain::ports::{ExecutionStatus, Orchestrator, StartOutcome};
use wisaw_domain::PhotoId;

#[tokio::test]
async fn the_step_functions_adapter_runs_on_the_served_engine() {
    let served = Served::start().await;
    let orchestrator = StepFunctionsOrchestrator::new(served.client.clone(), OTHER_ARN).unwrap();
    let photo = PhotoId::new_random();
    let input = ExecutionInput {
        photo_id: photo,
        attempt: 0,
    };
    let name = input.execution_name();

    assert_eq!(
        orchestrator.start_execution(&input).await.unwrap(),
        StartOutcome::Started
    );
    let arn = format!("arn:aws:states:local:000000000000:execution:other:{name}");
    served.settled(&arn).await;
    assert_eq!(
        orchestrator.start_execution(&input).await.unwrap(),
        StartOutcome::AlreadyExists,
        "a second notification of the same upload is already handled"
    );

    let summary = orchestrator
        .describe_execution(&name)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(summary.execution_id, arn);
    assert_eq!(summary.status, ExecutionStatus::Succeeded);
    assert!(summary.stop_date.is_some());
    assert!(orchestrator
        .describe_execution("never-started")
        .await
        .unwrap()
        .is_none());

    let listed = orchestrator.list_executions(None, 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, name);
    let failed = orchestrator
        .list_executions(Some(ExecutionStatus::Failed), 10)
        .await
        .unwrap();
    assert!(failed.is_empty());

    let read = orchestrator.execution_history(&name).await.unwrap();
    let stored = served.other.history(&name).await.unwrap();
    let shape = |events: &[wisaw_asl::HistoryEvent]| {
        events
            .iter()
            .map(|e| (e.id, e.previous_event_id, e.event_type.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(shape(&read), shape(&stored));
    assert_eq!(read[0].details["input"], stored[0].details["input"]);

    let definition = orchestrator.definition().await.unwrap();
    assert_eq!(definition["States"]["Done"]["Type"], "Pass");
}
