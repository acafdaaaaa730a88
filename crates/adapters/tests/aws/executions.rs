//! Step Functions with the real `statemachines/upload.asl.json`: starting an execution
//! per photo, a duplicate start seen as handled, and reading it back as the operator
//! commands do.

use aws_config::SdkConfig;
use std::time::Duration;
use wisaw_adapters::aws::{console_url, SqsQueue, StepFunctionsOrchestrator};
use wisaw_domain::contracts::ExecutionInput;
use wisaw_domain::ingest::{read_dead_letters, replay_of};
use wisaw_domain::ports::{ExecutionStatus, Orchestrator, StartOutcome};
use wisaw_domain::{PhotoId, PortError};
use wisaw_testkit::aws_emulator::{
    create_queue, create_upload_machine, emulator, settled, upload_definition, ACCOUNT, REGION,
};
use wisaw_testkit::queues::receive_one;

/// The upload state machine on the emulator, the definition it was created with, and
/// its dead-letter queue.
struct UploadMachine {
    config: SdkConfig,
    orchestrator: StepFunctionsOrchestrator,
    definition: String,
    dlq_url: String,
}

/// A machine of `test`'s own, or `None` (after saying so) without an emulator.
async fn upload_machine(test: &str) -> Option<UploadMachine> {
    let config = emulator(test).await?;
    let (dlq_url, _) = create_queue(&aws_sdk_sqs::Client::new(&config), "dlq", &[]).await;
    let definition = upload_definition(&dlq_url);
    let arn = create_upload_machine(&config, &definition).await;
    Some(UploadMachine {
        orchestrator: StepFunctionsOrchestrator::from_config(&config, arn).unwrap(),
        config,
        definition,
        dlq_url,
    })
}

fn input_for(photo: PhotoId, attempt: u32) -> ExecutionInput {
    ExecutionInput {
        photo_id: photo,
        attempt,
    }
}

#[tokio::test]
async fn an_execution_per_photo_is_started_once_and_read_back() {
    let test = "an_execution_per_photo_is_started_once_and_read_back";
    let Some(machine) = upload_machine(test).await else {
        return;
    };
    let orchestrator = &machine.orchestrator;
    let photo = PhotoId::new_random();
    let input = input_for(photo, 0);
    let name = input.execution_name();

    assert_eq!(
        orchestrator.start_execution(&input).await.unwrap(),
        StartOutcome::Started
    );
    let execution = settled(orchestrator, &name).await;
    assert_eq!(execution.name, name);
    let expected_arn = format!(
        "arn:aws:states:{REGION}:{ACCOUNT}:execution:{}:{name}",
        orchestrator.state_machine_arn().rsplit(':').next().unwrap()
    );
    assert_eq!(execution.execution_id, expected_arn);
    assert_eq!(execution.console_url, console_url(&expected_arn));
    assert!(execution.stop_date.is_some());

    assert_eq!(
        orchestrator.start_execution(&input).await.unwrap(),
        StartOutcome::AlreadyExists,
        "a second notification of the same upload is already handled"
    );

    // No function exists on the emulator: Validate fails, MarkFailed fails, and the
    // Catch path still sends the photo to the dead-letter queue, as the definition says.
    assert_eq!(execution.status, ExecutionStatus::Failed);
    let history = orchestrator.execution_history(&name).await.unwrap();
    assert!(history.windows(2).all(|w| w[0].id < w[1].id));
    let started = &history[0];
    assert_eq!(started.event_type, "ExecutionStarted");
    let recorded: ExecutionInput =
        serde_json::from_str(started.details["input"].as_str().unwrap()).unwrap();
    assert_eq!(recorded, input);
    let lambda_failed = super::failed_at_validate(&history);
    let last = history.last().unwrap();
    assert_eq!(last.event_type, "ExecutionFailed");
    assert_eq!(last.details["error"], "PhotoFailed");

    let dead_letter = SqsQueue::from_config(&machine.config, &machine.dlq_url);
    let message = receive_one(&dead_letter, Duration::from_secs(30)).await;
    let letters = read_dead_letters(&message.body).unwrap();
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert_eq!((letter.photo_id, letter.attempt), (photo, input.attempt));
    assert_eq!(letter.execution_name.as_deref(), Some(name.as_str()));
    // The letter carries the step's error as the history tells it.
    let error = letter.error.as_ref().unwrap();
    assert_eq!(error["Error"], lambda_failed.details["error"]);
    assert_eq!(error["Cause"], lambda_failed.details["cause"]);
    assert_eq!(
        replay_of(&message.body).unwrap()[0].attempt,
        1,
        "a replay is the next attempt"
    );

    assert_eq!(
        orchestrator
            .describe_execution("no-such-photo")
            .await
            .unwrap(),
        None
    );
    assert!(matches!(
        orchestrator.execution_history("no-such-photo").await,
        Err(PortError::NotFound(_))
    ));
}

#[tokio::test]
async fn executions_are_listed_newest_first_and_filtered_by_status() {
    let test = "executions_are_listed_newest_first_and_filtered_by_status";
    let Some(machine) = upload_machine(test).await else {
        return;
    };
    let orchestrator = &machine.orchestrator;
    let photo = PhotoId::new_random();
    let mut names = Vec::new();
    for attempt in 0..3 {
        let input = input_for(photo, attempt);
        let name = input.execution_name();
        orchestrator.start_execution(&input).await.unwrap();
        settled(orchestrator, &name).await;
        names.push(name);
        // Start dates one apart, so newest first has one answer.
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }

    let all = orchestrator.list_executions(None, 10).await.unwrap();
    let listed: Vec<&str> = all.iter().map(|e| e.name.as_str()).collect();
    let newest_first: Vec<&str> = names.iter().rev().map(String::as_str).collect();
    assert_eq!(listed, newest_first);
    assert!(all.iter().all(|e| e.console_url.is_some()));

    let two = orchestrator.list_executions(None, 2).await.unwrap();
    assert_eq!(two.len(), 2);
    assert!(orchestrator
        .list_executions(None, 0)
        .await
        .unwrap()
        .is_empty());

    assert!(all.iter().all(|e| e.status == ExecutionStatus::Failed));
    let failed = orchestrator
        .list_executions(Some(ExecutionStatus::Failed), 10)
        .await
        .unwrap();
    assert_eq!(failed.len(), 3);
    assert!(orchestrator
        .list_executions(Some(ExecutionStatus::Succeeded), 10)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn the_definition_is_the_one_the_stage_runs() {
    let test = "the_definition_is_the_one_the_stage_runs";
    let Some(machine) = upload_machine(test).await else {
        return;
    };
    let (orchestrator, dlq_url) = (&machine.orchestrator, &machine.dlq_url);
    let deployed: serde_json::Value = serde_json::from_str(&machine.definition).unwrap();
    // Substituted as deployed: the queue's URL, not the file's `${DeadLetterQueueUrl}`.
    assert!(deployed.to_string().contains(dlq_url));
    assert_eq!(orchestrator.definition().await.unwrap(), deployed);

    let gone = StepFunctionsOrchestrator::from_config(
        &machine.config,
        format!("arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:no-such-machine"),
    )
    .unwrap();
    assert!(gone.definition().await.is_err());
}
